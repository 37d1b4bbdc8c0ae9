/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The CPU profile: samples per stack, and functions ranked by self and total samples. */
#ifndef MEMSPY_CPU_PROFILE_H
#define MEMSPY_CPU_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#include "profile/stacktab.h"

struct cpu_profile;

struct cpu_function {
	uint32_t frame_id;
	uint64_t self;	/* samples with this function as the leaf */
	uint64_t total; /* samples with this function anywhere in the stack (once each) */
};

struct cpu_profile *cpu_profile__new(void);
void cpu_profile__free(struct cpu_profile *c);
/* Count n samples of a stack. 0 or -ENOMEM. */
int cpu_profile__add(struct cpu_profile *c, uint32_t stack_id, uint64_t n);
/* Take back up to n of a stack's counts (RSS: pages unmapped again); a stack left
 * at 0 stays listed with 0, which the folded writer skips. */
void cpu_profile__remove(struct cpu_profile *c, uint32_t stack_id, uint64_t n);
uint64_t cpu_profile__total(const struct cpu_profile *c);
/* Stack ids and their samples, for the folded writer: arrays valid until the next
 * add; returns their length. */
size_t cpu_profile__stacks(const struct cpu_profile *c, const uint32_t **ids,
			   const uint64_t **samples);
/* Every function seen, sorted by self (by_self) or total samples, largest first.
 * The caller frees *out. Returns the number, or -ENOMEM. Frames named like
 * "[truncated]" or a thread root ("name-tid", --threads) still count. */
long cpu_profile_functions(const struct cpu_profile *c, const struct stacktab *t, int by_self,
			   struct cpu_function **out);

#endif
