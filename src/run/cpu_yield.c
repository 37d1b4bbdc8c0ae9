/* SPDX-License-Identifier: GPL-2.0-or-later */
/* memspy's threads at SCHED_IDLE while recording, and the watchdog that gives
 * them normal priority back while they wait for a CPU. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "run/cpu_yield.h"

struct cpu_yield {
	pthread_t thread;
	pid_t tid;	      /* the watchdog's own: it stays at normal priority */
	pthread_mutex_t lock;
	pthread_cond_t wake;  /* its sleep, cut short by stop */
	bool stop;
	uint64_t delay;	      /* the threads' summed run_delay at the last look (ns) */
	uint64_t idle;	      /* the machine's idle time at the last look (ns) */
	struct cpu_yield_policy policy;
};

void cpu_yield_policy__init(struct cpu_yield_policy *p, uint64_t now)
{
	*p = (struct cpu_yield_policy){
		.idle = true, .last_ns = now, .hold_ns = MS_YIELD_HOLD_MIN_NS, .idle_since = now};
}

enum cpu_yield_act cpu_yield_policy__step(struct cpu_yield_policy *p, uint64_t now,
					  uint64_t waited_ns, uint64_t spare_ns)
{
	/* judged over the time since the last look: a late look is no starving */
	uint64_t span = now > p->last_ns ? now - p->last_ns : 1;
	bool busy = spare_ns * MS_YIELD_STARVED < span;

	p->last_ns = now;
	if (!p->idle) {
		if (now < p->boost_end || busy)
			return CPU_YIELD_STAY;
		p->idle = true;
		p->idle_since = now;
		return CPU_YIELD_IDLE;
	}
	if (now - p->idle_since >= MS_YIELD_CALM_NS)
		p->hold_ns = MS_YIELD_HOLD_MIN_NS;
	if (!busy && waited_ns * MS_YIELD_STARVED <= span)
		return CPU_YIELD_STAY;
	p->idle = false;
	p->boost_end = now + p->hold_ns;
	p->hold_ns = p->hold_ns * 2 > MS_YIELD_HOLD_MAX_NS ? MS_YIELD_HOLD_MAX_NS : p->hold_ns * 2;
	p->boosts++;
	return CPU_YIELD_NORMAL;
}

static pid_t gettid_(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static int set_policy(pid_t tid, int policy)
{
	struct sched_param p = {.sched_priority = 0};

	/* the nice value stays as it was: a user's `nice memspy` holds at normal */
	return sched_setscheduler(tid, policy, &p) ? -errno : 0;
}

/* The time thread tid spent runnable but waiting for a CPU, in ns (the second
 * field of its schedstat); -1 when it cannot be read (it exited, or the kernel
 * has no CONFIG_SCHED_INFO). */
static int64_t run_delay(pid_t tid)
{
	char path[64], buf[96];
	unsigned long long run, wait;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/schedstat", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* "0 0 0": a kernel that keeps no such times (no SCHEDSTATS, nodelayacct) */
	if (sscanf(buf, "%llu %llu", &run, &wait) != 2 || (!run && !wait))
		return -1;
	return (int64_t)wait;
}

/* The time the machine's CPUs were idle since boot, in all (ns): /proc/stat's
 * idle and iowait; 0 when it cannot be read. */
static uint64_t machine_idle_ns(void)
{
	static long hz;
	unsigned long long user, nice, sys, idle, iowait;
	char buf[256];
	ssize_t n;
	int fd = open("/proc/stat", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if (sscanf(buf, "cpu %llu %llu %llu %llu %llu", &user, &nice, &sys, &idle, &iowait) != 5)
		return 0;
	if (!hz)
		hz = sysconf(_SC_CLK_TCK);
	return hz > 0 ? (uint64_t)((idle + iowait) * (1000000000.0 / (double)hz)) : 0;
}

/* Every thread but the watchdog: set to policy when policy >= 0; returns their
 * summed run_delay. Threads started meanwhile inherit their creator's policy. */
static uint64_t each_thread(const struct cpu_yield *y, int policy)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	uint64_t sum = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		pid_t tid = (pid_t)atoi(e->d_name);
		int64_t w;

		if (tid <= 0 || tid == y->tid)
			continue;
		if (policy >= 0)
			set_policy(tid, policy); /* a thread that just exited fails: fine */
		w = run_delay(tid);
		if (w > 0)
			sum += (uint64_t)w;
	}
	closedir(d);
	return sum;
}

/* One look: the threads' waits and the machine's idle time since the last,
 * and the policy's answer applied (the waits measured anew from there). */
static void look(struct cpu_yield *y, uint64_t now)
{
	uint64_t delay = each_thread(y, -1), idle = machine_idle_ns();
	/* a thread that exited takes its waits with it: the sum may go down */
	uint64_t waited = delay > y->delay ? delay - y->delay : 0;
	uint64_t spare = idle > y->idle ? idle - y->idle : 0;

	y->delay = delay;
	y->idle = idle;
	switch (cpu_yield_policy__step(&y->policy, now, waited, spare)) {
	case CPU_YIELD_IDLE:
		y->delay = each_thread(y, SCHED_IDLE);
		break;
	case CPU_YIELD_NORMAL:
		y->delay = each_thread(y, SCHED_OTHER);
		break;
	case CPU_YIELD_STAY:
		break;
	}
}

static void *watchdog(void *arg)
{
	struct cpu_yield *y = arg;

	y->tid = gettid_(); /* read by this thread only, until joined */
	pthread_mutex_lock(&y->lock);
	while (!y->stop) {
		uint64_t until = clock_now_ns() + MS_YIELD_LOOK_NS;
		struct timespec ts = {(time_t)(until / 1000000000ull), (long)(until % 1000000000ull)};
		/* a stop ends the sleep, a spurious wake-up does not */
		while (!y->stop && pthread_cond_timedwait(&y->wake, &y->lock, &ts) == 0)
			;
		if (y->stop)
			break;
		pthread_mutex_unlock(&y->lock);
		look(y, clock_now_ns());
		pthread_mutex_lock(&y->lock);
	}
	pthread_mutex_unlock(&y->lock);
	return NULL;
}

/* Whether this process can come back from SCHED_IDLE (CAP_SYS_NICE, or an
 * RLIMIT_NICE that allows it): tried on a thread of its own, so that a failure
 * strands no thread that matters there. */
static void *try_round_trip(void *arg)
{
	int *e = arg;

	*e = set_policy(0, SCHED_IDLE);
	if (!*e)
		*e = set_policy(0, SCHED_OTHER);
	return NULL;
}

struct cpu_yield *cpu_yield__start(char *why, size_t whylen)
{
	struct cpu_yield *y;
	pthread_condattr_t cattr;
	pthread_attr_t attr;
	struct sched_param normal = {.sched_priority = 0};
	pthread_t t;
	int e, trip = 0, policy = sched_getscheduler(0);

	if (policy != SCHED_OTHER) {
		snprintf(why, whylen, "memspy runs under scheduling policy %d, left as it is",
			 policy);
		return NULL;
	}
	if (run_delay(gettid_()) < 0 || !machine_idle_ns()) {
		snprintf(why, whylen, "no schedstat or /proc/stat to watch the waits by");
		return NULL;
	}
	e = pthread_create(&t, NULL, try_round_trip, &trip);
	if (e) {
		snprintf(why, whylen, "no thread to try SCHED_IDLE on: %s", strerror(e));
		return NULL;
	}
	pthread_join(t, NULL);
	if (trip) {
		snprintf(why, whylen, "cannot come back from SCHED_IDLE: %s", strerror(-trip));
		return NULL;
	}
	y = calloc(1, sizeof(*y));
	if (!y) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&y->lock, NULL);
	pthread_condattr_init(&cattr);
	pthread_condattr_setclock(&cattr, CLOCK_MONOTONIC); /* clock_now_ns()'s */
	pthread_cond_init(&y->wake, &cattr);
	pthread_condattr_destroy(&cattr);
	/* every thread idle from here, this one included; the watchdog created
	 * after, at normal priority all the same (not its creator's) */
	y->tid = -1;
	y->delay = each_thread(y, SCHED_IDLE);
	y->idle = machine_idle_ns();
	cpu_yield_policy__init(&y->policy, clock_now_ns());
	pthread_attr_init(&attr);
	pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
	pthread_attr_setschedpolicy(&attr, SCHED_OTHER);
	pthread_attr_setschedparam(&attr, &normal);
	e = pthread_create(&y->thread, &attr, watchdog, y);
	pthread_attr_destroy(&attr);
	if (e) {
		snprintf(why, whylen, "no thread for the watchdog: %s", strerror(e));
		each_thread(y, SCHED_OTHER);
		pthread_cond_destroy(&y->wake);
		pthread_mutex_destroy(&y->lock);
		free(y);
		return NULL;
	}
	return y;
}

unsigned cpu_yield__stop(struct cpu_yield *y)
{
	unsigned boosts;

	if (!y)
		return 0;
	pthread_mutex_lock(&y->lock);
	y->stop = true;
	pthread_cond_broadcast(&y->wake);
	pthread_mutex_unlock(&y->lock);
	pthread_join(y->thread, NULL);
	y->tid = -1; /* joined: every thread left is one of the others */
	each_thread(y, SCHED_OTHER);
	boosts = y->policy.boosts;
	pthread_cond_destroy(&y->wake);
	pthread_mutex_destroy(&y->lock);
	free(y);
	return boosts;
}
