// SPDX-License-Identifier: GPL-2.0-or-later
/* CPU sampling: a perf cpu-clock event on every CPU runs this program; samples of
 * the target's threads go to user space with user registers and stack (and kernel
 * frames when asked) for DWARF unwinding there. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "memspy/events.h"
#include "user_stack.bpf.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 target_tgid = 0;
const volatile __u32 stack_bytes = MS_DEFAULT_STACK_BYTES;
const volatile __u32 want_kernel = 0;
const volatile __u64 wakeup_bytes = 1 << 20;

#include "follow.bpf.h"
#include "python.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} cpu_events SEC(".maps");

/* One sample under construction per CPU (too big for a per-CPU map's value). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ms_cpu_event);
} cpu_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MS_CNT_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} cpu_counters SEC(".maps");

static __always_inline void count(__u32 which)
{
	__u64 *c = bpf_map_lookup_elem(&cpu_counters, &which);

	if (c)
		*c += 1;
}

SEC("perf_event")
int on_cpu_sample(struct bpf_perf_event_data *ctx)
{
	struct ms_cpu_event *ev;
	__u64 id = bpf_get_current_pid_tgid();
	__u32 cpu;
	long n;

	if (!is_followed(id >> 32))
		return 0;
	cpu = bpf_get_smp_processor_id();
	ev = bpf_map_lookup_elem(&cpu_scratch, &cpu);
	if (!ev)
		return 0;
	count(MS_CNT_CPU_SAMPLES);
	fill_header(&ev->hdr, MS_EV_CPU, 0);
	ev->nr_kstack = 0;
	read_python_stack(&ev->py, ev->hdr.tid);
	if (want_kernel) {
		n = bpf_get_stack(ctx, ev->kstack, sizeof(ev->kstack), 0);
		ev->nr_kstack = n > 0 ? n / sizeof(__u64) : 0;
	}
	capture_user_state(ev, stack_bytes);
	if (output_sample(&cpu_events, ev, wakeup_bytes))
		count(MS_CNT_LOST_CPU);
	return 0;
}
