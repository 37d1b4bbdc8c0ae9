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
	struct cpu_yield_policy policy;
};

void cpu_yield_policy__init(struct cpu_yield_policy *p)
{
	*p = (struct cpu_yield_policy){.hold_ns = MS_YIELD_HOLD_MIN_NS};
}

enum cpu_yield_act cpu_yield_policy__step(struct cpu_yield_policy *p, uint64_t now,
					  uint64_t waited_ns)
{
	uint64_t span = p->last_ns && now > p->last_ns ? now - p->last_ns : MS_YIELD_LOOK_NS;

	p->last_ns = now;
	if (!p->idle) {
		if (now < p->boost_end)
			return CPU_YIELD_STAY;
		p->idle = true;
		p->idle_since = now;
		return CPU_YIELD_IDLE;
	}
	if (now - p->idle_since >= MS_YIELD_CALM_NS)
		p->hold_ns = MS_YIELD_HOLD_MIN_NS;
	/* measured over the time since the last look: a late look is no starving */
	if (waited_ns * MS_YIELD_STARVED <= span)
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
	if (sscanf(buf, "%llu %llu", &run, &wait) != 2)
		return -1;
	return (int64_t)wait;
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

/* One look: the threads' waits since the last, and the policy's answer applied
 * (a policy set anew, the waits measured from there). */
static void look(struct cpu_yield *y, uint64_t now)
{
	uint64_t delay = each_thread(y, -1);
	/* a thread that exited takes its waits with it: the sum may go down */
	uint64_t waited = delay > y->delay ? delay - y->delay : 0;

	y->delay = delay;
	switch (cpu_yield_policy__step(&y->policy, now, waited)) {
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

	y->tid = gettid_(); /* before the first look, which sets the others idle */
	pthread_mutex_lock(&y->lock);
	while (!y->stop) {
		pthread_mutex_unlock(&y->lock);
		uint64_t now = clock_now_ns(), until = now + MS_YIELD_LOOK_NS;
		look(y, now);
		struct timespec ts = {(time_t)(until / 1000000000ull), (long)(until % 1000000000ull)};
		pthread_mutex_lock(&y->lock);
		/* a stop ends the sleep, a spurious wake-up does not */
		while (!y->stop && pthread_cond_timedwait(&y->wake, &y->lock, &ts) == 0)
			;
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
	pthread_condattr_t attr;
	pthread_t t;
	int e, trip = 0;

	if (run_delay(gettid_()) < 0) {
		snprintf(why, whylen, "no /proc/self/task/<tid>/schedstat to watch its waits");
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
	y->tid = -1;
	cpu_yield_policy__init(&y->policy);
	pthread_mutex_init(&y->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC); /* clock_now_ns()'s */
	pthread_cond_init(&y->wake, &attr);
	pthread_condattr_destroy(&attr);
	/* created at normal priority: nothing is idle before the watchdog runs */
	e = pthread_create(&y->thread, NULL, watchdog, y);
	if (e) {
		snprintf(why, whylen, "no thread for the watchdog: %s", strerror(e));
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
