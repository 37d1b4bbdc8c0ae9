/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Off-CPU and wall-clock profiles: microseconds per stack, the waits each
 * off-CPU stack stands for, and each thread's time on and off the CPU. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "memspy/events.h"
#include "profile/offcpu_profile.h"

struct thread_time {
	uint64_t on_us, off_us;
};

struct offcpu_profile {
	struct cpu_profile *waits; /* us per off-CPU stack */
	struct cpu_profile *wall;  /* us per wall stack */
	double *nr_waits;	   /* by off-CPU stack id */
	size_t cap_waits;
	struct thread_time *threads; /* by thread frame id */
	size_t cap_threads;
};

struct offcpu_profile *offcpu_profile__new(void)
{
	struct offcpu_profile *o = calloc(1, sizeof(*o));

	if (!o)
		return NULL;
	o->waits = cpu_profile__new();
	o->wall = cpu_profile__new();
	if (!o->waits || !o->wall) {
		offcpu_profile__free(o);
		return NULL;
	}
	return o;
}

void offcpu_profile__free(struct offcpu_profile *o)
{
	if (!o)
		return;
	cpu_profile__free(o->waits);
	cpu_profile__free(o->wall);
	free(o->nr_waits);
	free(o->threads);
	free(o);
}

/* Grow a zeroed array indexed by id (frame and stack ids are dense from 0). */
static int grow(void **arr, size_t *cap, size_t elem, uint32_t id)
{
	size_t nc = *cap ? *cap : 256;
	void *n;

	if (id < *cap)
		return 0;
	while (nc <= id)
		nc *= 2;
	n = realloc(*arr, nc * elem);
	if (!n)
		return -ENOMEM;
	memset((char *)n + *cap * elem, 0, (nc - *cap) * elem);
	*arr = n;
	*cap = nc;
	return 0;
}

int offcpu_profile__add_wait(struct offcpu_profile *o, uint32_t stack_id, uint64_t us,
			     double waits)
{
	if (grow((void **)&o->nr_waits, &o->cap_waits, sizeof(double), stack_id))
		return -ENOMEM;
	o->nr_waits[stack_id] += waits;
	return cpu_profile__add(o->waits, stack_id, us);
}

int offcpu_profile__add_wall(struct offcpu_profile *o, uint32_t wall_id, uint32_t thread,
			     uint64_t us, bool on_cpu)
{
	if (grow((void **)&o->threads, &o->cap_threads, sizeof(*o->threads), thread))
		return -ENOMEM;
	if (on_cpu)
		o->threads[thread].on_us += us;
	else
		o->threads[thread].off_us += us;
	return cpu_profile__add(o->wall, wall_id, us);
}

const struct cpu_profile *offcpu_profile__waits(const struct offcpu_profile *o)
{
	return o->waits;
}

const struct cpu_profile *offcpu_profile__wall(const struct offcpu_profile *o)
{
	return o->wall;
}

double offcpu_profile__nr_waits(const struct offcpu_profile *o, uint32_t stack_id)
{
	return stack_id < o->cap_waits ? o->nr_waits[stack_id] : 0;
}

bool offcpu_profile__thread_idle(const struct offcpu_profile *o, uint32_t thread)
{
	const struct thread_time *t;

	if (thread >= o->cap_threads)
		return false;
	t = &o->threads[thread];
	return t->on_us * 100 < t->on_us + t->off_us;
}

static const char *const reason_names[MS_OFF_REASONS] = {
	[MS_OFF_OTHER] = "other",	    [MS_OFF_SLEEP] = "sleep",
	[MS_OFF_LOCK] = "futex/lock",	    [MS_OFF_IO] = "socket/pipe",
	[MS_OFF_DISK] = "disk",		    [MS_OFF_PREEMPTED] = "preempted",
	[MS_OFF_GIL] = "GIL",
};

static const char *const reason_frames[MS_OFF_REASONS] = {
	[MS_OFF_OTHER] = "[off-cpu: other]",	       [MS_OFF_SLEEP] = "[off-cpu: sleep]",
	[MS_OFF_LOCK] = "[off-cpu: futex/lock]",       [MS_OFF_IO] = "[off-cpu: socket/pipe]",
	[MS_OFF_DISK] = "[off-cpu: disk]",	       [MS_OFF_PREEMPTED] = "[off-cpu: preempted]",
	[MS_OFF_GIL] = "[off-cpu: GIL]",
};

const char *offcpu_reason_frame(uint32_t reason)
{
	return reason_frames[reason < MS_OFF_REASONS ? reason : MS_OFF_OTHER];
}

const char *offcpu_reason_name(uint32_t reason)
{
	return reason_names[reason < MS_OFF_REASONS ? reason : MS_OFF_OTHER];
}
