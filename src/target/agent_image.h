/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The agent image memspy maps into a target (src/agent/, memspy-agent.so): where
 * it is installed, the addresses of its entry points, and the control block memspy
 * writes into it once mapped (include/memspy/agent_abi.h). */
#ifndef MEMSPY_AGENT_IMAGE_H
#define MEMSPY_AGENT_IMAGE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "memspy/agent_abi.h"
#include "target/alloc_slots.h"

/* Addresses are the image's own (add the base it is mapped at). */
struct agent_image {
	char *path;
	uint64_t ctl;			/* ms_agent_ctl */
	uint64_t install, remove;	/* ms_agent_install, ms_agent_remove */
	uint64_t trap_alloc, trap_free; /* ms_trap_alloc, ms_trap_free */
	uint64_t trap_alloc_offset;	/* their file offsets, for uprobes */
	uint64_t trap_free_offset;
	uint64_t hooks[MS_HOOK_COUNT]; /* ms_hook_* */
	uint64_t text_size;	       /* bytes of the R+X segment, from file offset 0 */
	uint64_t data_vaddr;	       /* the zero-filled RW segment */
	uint64_t data_size;
	uint64_t span; /* bytes from the base to the end of the RW segment, page rounded */
};

/* The installed memspy-agent.so: $MEMSPY_AGENT if set, else in the build tree of
 * the running program (src/agent/ beside it or beside its folder), else the
 * package's library directory. A malloc'ed path, or NULL (errno ENOENT) when none
 * is readable. */
char *agent_image_locate(void);
/* Read an agent image: every entry point and the layout. 0, -ENOEXEC (not an
 * agent: a missing symbol or another layout), or -errno. */
int agent_image_open(const char *path, struct agent_image *out);
void agent_image_release(struct agent_image *img);
/* Fill ctl (zeroed first) for the image mapped at base: countdown draws of mean
 * seeded by seed, the originals and, in install order, the slots (at most
 * MS_AGENT_MAX_SLOTS: more are left out and counted in the return value). Returns
 * the number of slots left out. */
size_t agent_image_fill_ctl(const struct agent_image *img, uint64_t base,
			    const struct alloc_slots *slots, uint64_t mean, uint64_t seed,
			    struct ms_agent_ctl *ctl);

/* What the agent counted so far, summed over every thread record and the overflow
 * record, and its own troubles. */
struct agent_counts {
	struct ms_agent_counts n;  /* every record's, the Python one's included */
	struct ms_agent_counts py; /* the CPython domains' record alone */
	uint64_t sampled_frees; /* frees of sampled blocks that reached the trap */
	uint64_t set_full;	/* sampled blocks dropped: the set had no room */
	uint64_t threads_full;	/* calls counted on the overflow record */
	uint32_t threads;	/* thread records in use */
	uint32_t enabled;	/* the hooks count and sample */
};

/* Read the counters of the control block at ctl (a target address) of pid, while
 * it runs: each word is read whole, so every counter is one the agent wrote.
 * 0 or -errno (-ESRCH once the target is gone). */
int agent_image_read_counts(pid_t pid, uint64_t ctl, struct agent_counts *out);

#endif
