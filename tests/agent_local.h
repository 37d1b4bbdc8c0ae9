/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The agent mapped into the calling process exactly as the injector maps it into a
 * target (file-backed R+X text, anonymous RW data), its control block filled from
 * this process's own slots: for the agent's self-test and its micro-benchmark. */
#ifndef MEMSPY_TESTS_AGENT_LOCAL_H
#define MEMSPY_TESTS_AGENT_LOCAL_H

#include "memspy/agent_abi.h"
#include "target/agent_image.h"
#include "target/alloc_slots.h"
#include "target/allocator.h"

typedef void (*agent_trap_fn)(const struct ms_agent_sample *s);

struct agent_local {
	struct agent_image img;
	struct allocator alloc;
	struct alloc_slots slots;
	uint64_t base;		/* where the image is mapped */
	struct ms_agent_ctl *ctl; /* its control block */
	void (*install)(struct ms_agent_ctl *ctl);
	void (*remove)(struct ms_agent_ctl *ctl);
};

/* Map the image at path, find this process's slots and fill the control block
 * for sampling at mean bytes. 0 or -errno, with a message on stderr. */
int agent_local_load(const char *path, uint64_t mean, struct agent_local *a);
/* Point the trap functions at on_alloc and on_free (a jump patched over their
 * nop; ret): what a uprobe would see, without BPF. 0 or -errno. */
int agent_local_catch_traps(struct agent_local *a, agent_trap_fn on_alloc, agent_trap_fn on_free);
/* The calling thread's record, or NULL before its first hooked call. */
struct ms_agent_thread *agent_local_thread(struct agent_local *a);
void agent_local_unload(struct agent_local *a);

#endif
