/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Off-CPU and wall-clock profiles: microseconds per stack, the waits each
 * off-CPU stack stands for, and each thread's time on and off the CPU. */
#ifndef MEMSPY_OFFCPU_PROFILE_H
#define MEMSPY_OFFCPU_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile/cpu_profile.h"

struct offcpu_profile;

struct offcpu_profile *offcpu_profile__new(void);
void offcpu_profile__free(struct offcpu_profile *o);
/* A sampled wait: us microseconds of waiting in the off-CPU stack stack_id
 * (its leaf the reason), standing for an estimated waits waits. 0 or -ENOMEM. */
int offcpu_profile__add_wait(struct offcpu_profile *o, uint32_t stack_id, uint64_t us,
			     double waits);
/* us microseconds of a thread's wall-clock time in wall_id, a stack rooted at
 * the thread's frame thread; on_cpu: a CPU sample's, else a wait's. 0 or -ENOMEM. */
int offcpu_profile__add_wall(struct offcpu_profile *o, uint32_t wall_id, uint32_t thread,
			     uint64_t us, bool on_cpu);
/* Microseconds per off-CPU stack, and per wall stack. */
const struct cpu_profile *offcpu_profile__waits(const struct offcpu_profile *o);
const struct cpu_profile *offcpu_profile__wall(const struct offcpu_profile *o);
/* The estimated number of waits behind an off-CPU stack. */
double offcpu_profile__nr_waits(const struct offcpu_profile *o, uint32_t stack_id);
/* An idle thread: on the CPU less than 1% of the time it was seen. Its wall
 * stacks go under a root of their own, so that a pool of threads waiting for
 * work does not bury the threads doing it. */
bool offcpu_profile__thread_idle(const struct offcpu_profile *o, uint32_t thread);

/* The frame that names a reason (enum ms_off_reason), e.g. "[off-cpu: sleep]". */
const char *offcpu_reason_frame(uint32_t reason);
/* Its short name for the report, e.g. "sleep". */
const char *offcpu_reason_name(uint32_t reason);

#endif
