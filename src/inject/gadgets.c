// SPDX-License-Identifier: GPL-2.0-or-later
/* Finds the target's `syscall; ret` and __restore_rt (gadgets.h). */
#include "inject/gadgets.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "target/procmaps.h"

static const uint8_t syscall_ret[] = {0x0f, 0x05, 0xc3};
/* glibc's and musl's __restore_rt; a local symbol, so found by its bytes */
static const uint8_t restore_rt[] = {0x48, 0xc7, 0xc0, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05};

void gadgets_scan(const uint8_t *text, size_t len, uint64_t start, struct inject_gadgets *g)
{
	const uint8_t *p;

	if (!g->syscall_ret && (p = memmem(text, len, syscall_ret, sizeof(syscall_ret))))
		g->syscall_ret = start + (uint64_t)(p - text);
	if (!g->restore_rt && (p = memmem(text, len, restore_rt, sizeof(restore_rt))))
		g->restore_rt = start + (uint64_t)(p - text);
}

static bool is_libc(const struct map_entry *e)
{
	const char *base = strrchr(e->path, '/');

	base = base ? base + 1 : e->path;
	return !strncmp(base, "libc.so", 7) || !strncmp(base, "libc-", 5) ||
	       !strncmp(base, "ld-musl", 7);
}

static int scan_mapping(pid_t pid, const struct map_entry *e, struct inject_gadgets *g)
{
	size_t len = e->end - e->start;
	uint8_t *buf = malloc(len);
	struct iovec local = {buf, len}, remote = {(void *)e->start, len};
	ssize_t got;

	if (!buf)
		return -ENOMEM;
	got = process_vm_readv(pid, &local, 1, &remote, 1, 0);
	if (got > 0)
		gadgets_scan(buf, (size_t)got, e->start, g);
	free(buf);
	return got < 0 ? -errno : 0;
}

int gadgets_find(pid_t pid, struct inject_gadgets *g, char *why, size_t len)
{
	struct procmaps maps;
	int err = procmaps_read(pid, &maps);

	*g = (struct inject_gadgets){0};
	if (err) {
		snprintf(why, len, "cannot read /proc/%d/maps: %s", pid, strerror(-err));
		return err;
	}
	/* libc first: its __restore_rt is the one the process's handlers use */
	for (int pass = 0; pass < 2 && !err && !(g->syscall_ret && g->restore_rt); pass++) {
		for (size_t i = 0; i < maps.n && !(g->syscall_ret && g->restore_rt); i++) {
			const struct map_entry *e = &maps.entries[i];

			if (strcmp(e->perms, "r-xp") || !map_entry_is_file(e) ||
			    is_libc(e) != (pass == 0))
				continue;
			err = scan_mapping(pid, e, g);
			if (err) {
				snprintf(why, len, "cannot read the code of pid %d at %#llx: %s",
					 pid, (unsigned long long)e->start, strerror(-err));
				break;
			}
		}
	}
	procmaps_release(&maps);
	if (!err && !g->restore_rt)
		snprintf(why, len,
			 "no rt_sigreturn trampoline (__restore_rt) in the code of pid %d", pid);
	else if (!err && !g->syscall_ret)
		snprintf(why, len, "no 'syscall; ret' instruction pair in the code of pid %d", pid);
	return err ? err : g->syscall_ret && g->restore_rt ? 0 : -ENOENT;
}
