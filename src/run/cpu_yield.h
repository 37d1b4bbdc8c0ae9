/* SPDX-License-Identifier: GPL-2.0-or-later */
/* While recording, memspy's threads run at SCHED_IDLE: a CPU busy only with
 * memspy counts as idle to the scheduler, so a thread the target wakes (its
 * load generator's, its own) goes there instead of preempting the target on
 * its CPU. On a Flask worker under wrk on 2 CPUs, memspy at normal priority
 * cost the worker 1.0% of its CPU time; at SCHED_IDLE, 0.1% (README,
 * Performance). A SCHED_IDLE thread gets almost no CPU on a CPU a normal thread
 * wants, and one descheduled inside the kernel may hold the target's memory
 * map lock (a page-map or process_vm_readv read) meanwhile; so it is only done
 * while the machine has a CPU to spare. A watchdog at normal priority looks ten
 * times a second at the machine's idle time (/proc/stat) and at how long
 * memspy's threads waited for a CPU (their schedstat): when less than a quarter
 * of a CPU was idle, or they waited more than a quarter of the time, it gives
 * them normal priority back for a while. */
#ifndef MEMSPY_CPU_YIELD_H
#define MEMSPY_CPU_YIELD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The watchdog looks this often: a starved memspy is seen within a tenth of a
 * second, while its ring buffers (megabytes each) hold seconds of samples. */
#define MS_YIELD_LOOK_NS (100 * 1000000ull)
/* Starving: waiting for a CPU more than 1/MS_YIELD_STARVED of the time (at
 * SCHED_IDLE on a CPU nothing else wants, memspy waits microseconds a wake-up);
 * busy: less than 1/MS_YIELD_STARVED of a CPU idle, machine-wide. */
#define MS_YIELD_STARVED 4
/* Normal priority is held this long the first time, twice as long each time it
 * comes back, up to MS_YIELD_HOLD_MAX_NS; a calm spell of MS_YIELD_CALM_NS at
 * SCHED_IDLE starts over from MS_YIELD_HOLD_MIN_NS. Past the hold, SCHED_IDLE
 * comes back at the first look that finds a CPU to spare. */
#define MS_YIELD_HOLD_MIN_NS (1000 * 1000000ull)
#define MS_YIELD_HOLD_MAX_NS (64 * 1000 * 1000000ull)
#define MS_YIELD_CALM_NS (30 * 1000 * 1000000ull)

/* The watchdog's decisions: pure logic, the thread applies them. */
enum cpu_yield_act {
	CPU_YIELD_STAY,	  /* nothing to change */
	CPU_YIELD_IDLE,	  /* every thread to SCHED_IDLE */
	CPU_YIELD_NORMAL, /* every thread back to normal priority */
};

struct cpu_yield_policy {
	bool idle;	    /* memspy's threads are at SCHED_IDLE now */
	uint64_t last_ns;   /* the last look */
	uint64_t hold_ns;   /* the next boost's length */
	uint64_t boost_end; /* while at normal priority: not back to SCHED_IDLE before */
	uint64_t idle_since;
	unsigned boosts;    /* times normal priority was given back */
};

/* The threads were put at SCHED_IDLE at now. */
void cpu_yield_policy__init(struct cpu_yield_policy *p, uint64_t now);
/* A look at now: since the last one, memspy's threads waited waited_ns for a
 * CPU, and the machine's CPUs were idle spare_ns in all. */
enum cpu_yield_act cpu_yield_policy__step(struct cpu_yield_policy *p, uint64_t now,
					  uint64_t waited_ns, uint64_t spare_ns);

struct cpu_yield;

/* Every thread of the process at SCHED_IDLE now (a process forked from here
 * inherits it: load_cmd.c puts its child back), the watchdog started at normal
 * priority. NULL, with the reason in why and every thread left as it was, when
 * memspy does not run at normal priority to begin with (chrt, a real-time or
 * batch policy: left as the user set it), could not come back from SCHED_IDLE
 * (no CAP_SYS_NICE), or cannot see its waits (no schedstat, no /proc/stat). */
struct cpu_yield *cpu_yield__start(char *why, size_t whylen);
/* The watchdog stopped and every thread back at normal priority: before the
 * target is detached from and the outputs are written. Returns how many times
 * the watchdog gave normal priority back. Frees y; accepts NULL. */
unsigned cpu_yield__stop(struct cpu_yield *y);

#endif
