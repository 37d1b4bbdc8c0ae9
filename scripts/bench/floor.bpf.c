// SPDX-License-Identifier: GPL-2.0-or-later
/* The trap-only floor of the heap benchmark: empty programs on the allocator's
 * entry points, so the cost measured is the uprobe and uretprobe traps alone. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("uprobe")
int floor_entry(struct pt_regs *ctx)
{
	return 0;
}

SEC("uretprobe")
int floor_return(struct pt_regs *ctx)
{
	return 0;
}

SEC("uprobe")
int floor_free(struct pt_regs *ctx)
{
	return 0;
}
