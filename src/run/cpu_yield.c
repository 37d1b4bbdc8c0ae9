/* SPDX-License-Identifier: GPL-2.0-or-later */
/* memspy's threads at SCHED_IDLE while recording, and the watchdog that gives
 * them normal priority back while no CPU is idle or they wait for one. */
#include <dirent.h> /* getdents64 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
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

/* What a thread's schedstat says: time run and time waited for a CPU (ns). */
struct sched_times {
	uint64_t run, wait;
};

struct cpu_yield {
	pthread_t thread;
	pid_t tid;	      /* the watchdog's own: it stays at normal priority */
	pthread_mutex_t lock;
	pthread_cond_t wake;  /* its sleep, cut short by stop */
	bool stop;
	int task_fd;	      /* /proc/self/task: a look lists it without malloc, whose
			       * lock a starved thread may hold */
	cpu_set_t cpus;	      /* the CPUs memspy may run on: only their idle time counts */
	struct sched_times last; /* the threads' sums at the last look */
	uint64_t idle;	      /* those CPUs' idle time at the last look (ns) */
	struct cpu_yield_policy policy;
	char buf[1 << 16];    /* directory entries, /proc/stat */
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

/* Thread tid's schedstat. 0, or -1 when it cannot be read (it exited) or says
 * nothing ("0 0 0": a kernel that keeps no such times, SCHEDSTATS off and
 * booted with nodelayacct). */
static int read_schedstat(pid_t tid, struct sched_times *t)
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
	if (sscanf(buf, "%llu %llu", &run, &wait) != 2 || (!run && !wait))
		return -1;
	t->run = run;
	t->wait = wait;
	return 0;
}

/* The time the CPUs memspy may run on were idle since boot, in all (ns):
 * /proc/stat's idle and iowait of each. false when it cannot be read. */
static bool cpus_idle_ns(struct cpu_yield *y, uint64_t *out)
{
	static long hz;
	unsigned long long v[5];
	unsigned cpu;
	uint64_t sum = 0;
	ssize_t n = 0, got;
	int fd = open("/proc/stat", O_RDONLY | O_CLOEXEC);
	bool any = false;

	if (fd < 0)
		return false;
	/* the per-CPU lines come first: 64 KiB holds those of ~800 CPUs */
	while (n < (ssize_t)sizeof(y->buf) - 1 &&
	       (got = read(fd, y->buf + n, sizeof(y->buf) - 1 - (size_t)n)) > 0)
		n += got;
	close(fd);
	y->buf[n] = '\0';
	if (!hz)
		hz = sysconf(_SC_CLK_TCK);
	for (char *line = y->buf; line && strncmp(line, "cpu", 3) == 0;
	     line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (sscanf(line, "cpu%u %llu %llu %llu %llu %llu", &cpu, &v[0], &v[1], &v[2], &v[3],
			   &v[4]) != 6 ||
		    cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, &y->cpus))
			continue; /* the first line, "cpu  ...", is every CPU's */
		sum += v[3] + v[4];
		any = true;
	}
	if (!any || hz <= 0)
		return false;
	*out = (uint64_t)((double)sum * (1e9 / (double)hz));
	return true;
}

/* Every thread but the watchdog: set to policy when policy >= 0; returns their
 * summed times. Threads started meanwhile inherit their creator's policy. */
static struct sched_times each_thread(struct cpu_yield *y, int policy)
{
	struct sched_times sum = {0, 0}, t;
	ssize_t n;

	if (lseek(y->task_fd, 0, SEEK_SET) < 0)
		return sum;
	while ((n = getdents64(y->task_fd, y->buf, sizeof(y->buf))) > 0) {
		for (ssize_t off = 0; off < n;) {
			struct dirent64 *e = (struct dirent64 *)(y->buf + off);
			pid_t tid = (pid_t)atoi(e->d_name);

			off += e->d_reclen;
			if (tid <= 0 || tid == y->tid)
				continue;
			if (policy >= 0)
				set_policy(tid, policy); /* one that just exited fails: fine */
			if (!read_schedstat(tid, &t)) {
				sum.run += t.run;
				sum.wait += t.wait;
			}
		}
	}
	return sum;
}

/* now - before, or 0: a thread that exited takes its times with it */
static uint64_t since(uint64_t now, uint64_t before)
{
	return now > before ? now - before : 0;
}

/* One look: the threads' waits and the CPUs' spare time since the last, and
 * the policy's answer applied (the times measured anew from there). */
static void look(struct cpu_yield *y, uint64_t now)
{
	struct sched_times t = each_thread(y, -1);
	uint64_t idle, spare;

	/* what memspy ran counts as spare: without it those CPUs would be idle */
	spare = since(t.run, y->last.run);
	if (cpus_idle_ns(y, &idle)) {
		spare += since(idle, y->idle);
		y->idle = idle;
	} else {
		spare = UINT64_MAX / MS_YIELD_STARVED; /* unknown: judged by the waits alone */
	}
	uint64_t waited = since(t.wait, y->last.wait);
	y->last = t;
	switch (cpu_yield_policy__step(&y->policy, now, waited, spare)) {
	case CPU_YIELD_IDLE:
		y->last = each_thread(y, SCHED_IDLE);
		break;
	case CPU_YIELD_NORMAL:
		y->last = each_thread(y, SCHED_OTHER);
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

/* Undo what cpu_yield__start did before it failed: every thread back to normal. */
static void undo(struct cpu_yield *y)
{
	if (y->task_fd >= 0) {
		each_thread(y, SCHED_OTHER);
		close(y->task_fd);
	}
	pthread_cond_destroy(&y->wake);
	pthread_mutex_destroy(&y->lock);
	free(y);
}

struct cpu_yield *cpu_yield__start(char *why, size_t whylen)
{
	struct cpu_yield *y;
	struct sched_times self;
	pthread_condattr_t cattr;
	pthread_attr_t attr;
	struct sched_param normal = {.sched_priority = 0};
	sigset_t all, old;
	pthread_t t;
	int e, trip = 0, policy = sched_getscheduler(0);

	if (policy != SCHED_OTHER) {
		snprintf(why, whylen, "memspy runs under scheduling policy %d, left as it is",
			 policy);
		return NULL;
	}
	if (read_schedstat(gettid_(), &self)) {
		snprintf(why, whylen, "no schedstat to watch its waits by");
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
	pthread_mutex_init(&y->lock, NULL);
	pthread_condattr_init(&cattr);
	pthread_condattr_setclock(&cattr, CLOCK_MONOTONIC); /* clock_now_ns()'s */
	pthread_cond_init(&y->wake, &cattr);
	pthread_condattr_destroy(&cattr);
	y->task_fd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (y->task_fd < 0 || sched_getaffinity(0, sizeof(y->cpus), &y->cpus) ||
	    !cpus_idle_ns(y, &y->idle)) {
		snprintf(why, whylen, "cannot read /proc/self/task, its CPUs or /proc/stat");
		undo(y);
		return NULL;
	}
	/* every thread idle from here, this one included; the watchdog created
	 * after, at normal priority all the same (not its creator's), and with
	 * every signal blocked: they are the main thread's to take */
	y->last = each_thread(y, SCHED_IDLE);
	cpu_yield_policy__init(&y->policy, clock_now_ns());
	pthread_attr_init(&attr);
	pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
	pthread_attr_setschedpolicy(&attr, SCHED_OTHER);
	pthread_attr_setschedparam(&attr, &normal);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	e = pthread_create(&y->thread, &attr, watchdog, y);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (e) {
		snprintf(why, whylen, "no thread for the watchdog: %s", strerror(e));
		undo(y);
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
	boosts = y->policy.boosts;
	undo(y);
	return boosts;
}
