/* SPDX-License-Identifier: GPL-2.0-or-later */
/* In-process sampling (DESIGN.md): the agent mapped into the target, its control
 * block written, the allocator's pointer slots switched to its hooks from inside
 * the target, and at the end switched back. The BPF side then probes only the
 * agent's trap functions (heap_probes with heap_agent_traps). */
#ifndef MEMSPY_INPROCESS_H
#define MEMSPY_INPROCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "probes/heap_probes.h"
#include "target/agent_image.h"
#include "target/allocator.h"

/* How memspy enters the target (src/inject: ptrace), as calls. */
struct inprocess_injector {
	/* Borrow a thread of pid: a session, or NULL with a one-line reason in why. */
	void *(*begin)(pid_t pid, char *why, size_t len);
	/* Map the agent image at path into the target: *base is its address 0. */
	int (*map_image)(void *session, const char *path, uint64_t *base);
	/* An agent an earlier attach mapped into pid, of the same build as the file at
	 * path: 0 with *base, -ENOENT when none. May be NULL. */
	int (*find_image)(pid_t pid, const char *path, uint64_t *base);
	/* Run fn(arg) in the target; its return value is lost. 0 or -errno. */
	int (*call)(void *session, uint64_t fn, uint64_t arg);
	/* Give the thread back. */
	void (*end)(void *session);
};

/* The injector this build has; NULL when none (src/run/injector.c). */
const struct inprocess_injector *run_injector(void);

struct inprocess;

/* Map the agent into pid (or take the one an earlier attach left, when it is of
 * this build and not installed), find the slots through which it calls a's
 * allocator and write the control block for sampling at mean bytes. py: the
 * addresses of the target's CPython allocator domains (python__domains), whose
 * mem and obj function fields are hooked too; NULL when it runs no Python; with
 * their frees left to pymalloc, their allocation fields are hooked in windows,
 * 1/2^py_shift of the time (0: throughout). The injection session stays
 * open for inprocess__install: attach the trap probes in between. NULL with a
 * one-line reason in why (meant for "uprobes on <allocator> (<why>)"). */
struct inprocess *inprocess__prepare(pid_t pid, const struct allocator *a, const uint64_t *py,
				     uint64_t mean, unsigned py_shift, uint64_t seed,
				     const struct inprocess_injector *inj, char *why, size_t len);
/* Where the trap probes go. Valid while ip lives. */
const struct heap_agent_traps *inprocess__traps(const struct inprocess *ip);
/* Switch the slots to the hooks and give the borrowed thread back. 0, or -errno
 * with a reason in why (no slot could be switched). */
int inprocess__install(struct inprocess *ip, char *why, size_t len);
/* One line for the report: "in-process sampler (N pointer slots in M modules)",
 * and ", Python objects sampled (mem domain at 0x..., obj domain at 0x...)" when
 * CPython's domains are hooked. */
void inprocess__describe(const struct inprocess *ip, char *buf, size_t len);

/* Whether CPython's domains are hooked without their free fields (the agent sends
 * its sampled small objects to malloc, agent_abi.h): the frees pymalloc serves
 * itself are not counted. */
bool inprocess__py_frees_unhooked(const struct inprocess *ip);
/* Hook the slots of libraries the target loaded since the last call (dlopen), once
 * the dynamic linker has relocated them: call it about once a second. */
void inprocess__poll(struct inprocess *ip);
/* The share of the time since install CPython's allocation fields were hooked
 * (python_windows.h): 1 without windows. */
double inprocess__py_share(const struct inprocess *ip);
/* The agent's counters now, the Python record's scaled by the share of time
 * hooked. 0 or -errno. */
int inprocess__counts(const struct inprocess *ip, struct agent_counts *out);
/* Draw the sampler's countdowns 2^shift times as long from now (agent_abi.h's
 * mean_shift). 0 or -errno. */
int inprocess__set_mean_shift(struct inprocess *ip, unsigned shift);
/* Switch back every slot that still holds a hook and stop the agent counting (the
 * mapping stays, inert). Reports a failure once. 0 or -errno. Idempotent. */
int inprocess__remove(struct inprocess *ip);
/* Ends a session still open (the agent stays mapped, never installed). Accepts NULL. */
void inprocess__free(struct inprocess *ip);

#endif
