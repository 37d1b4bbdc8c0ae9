/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Python windows (agent_abi.h): with the domains' frees left to pymalloc, the
 * agent's hooks hold CPython's malloc and calloc fields 1/2^shift of the target's
 * CPU time, and pymalloc's own functions, which PGO inlined into the interpreter,
 * the rest (the realloc fields stay hooked, forwarding between windows). A thread
 * of memspy's asks the agent to open and close them, so that the time hooked
 * follows that share; the counts of the Python record are then scaled by the
 * share, and each sample, drawn 2^shift times as densely, stands for what a
 * sample drawn throughout would. */
#ifndef MEMSPY_PYTHON_WINDOWS_H
#define MEMSPY_PYTHON_WINDOWS_H

#include <stdint.h>
#include <sys/types.h>

/* Hooked windows of this long: short enough that a run of seconds holds dozens
 * of them (the share of time hooked then comes out within a few percent of 1/N)
 * and that a burst of samples fits the ring buffer, long enough that opening and
 * closing them (four compare-and-swaps and two clock reads in the target) costs
 * nothing measurable. The agent closes a window this old at its next sample. */
#define PY_WINDOW_US 20000

struct python_windows;

/* For the agent whose control block is at ctl in pid, hooked 1/2^shift of the
 * time (0: throughout, nothing to drive). NULL when out of memory. */
struct python_windows *python_windows__new(pid_t pid, uint64_t ctl, unsigned shift);
/* The target's CPU time now (its process CPU clock, ns); 0 when it is gone. */
uint64_t python_windows__cpu_now(const struct python_windows *w);
/* The sampler was installed when the target's CPU time was cpu, its first
 * window open: a thread of memspy's opens and closes the next ones on time from
 * now on. */
void python_windows__started(struct python_windows *w, uint64_t cpu);
/* Stop that thread: before the agent is removed. Accepts NULL. */
void python_windows__stop(struct python_windows *w);
/* The sampler was removed: the time hooked is final. */
void python_windows__removed(struct python_windows *w);
/* The share of the target's CPU time since install (up to removal) the fields
 * were hooked in: 1 without windows. Accepts NULL. */
double python_windows__share(struct python_windows *w);
/* Stops the thread. Accepts NULL. */
void python_windows__free(struct python_windows *w);

#endif
