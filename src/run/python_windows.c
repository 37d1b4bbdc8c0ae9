/* SPDX-License-Identifier: GPL-2.0-or-later */
/* When the agent's hooks hold CPython's allocation fields: windows, 1/N of the time. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/log.h"
#include "memspy/agent_abi.h"
#include "run/python_windows.h"
#include "target/procmem.h"

#define WINDOW_NS (PY_WINDOW_US * 1000ull)
/* The longest the thread sleeps between two looks at the agent: a target that
 * starts threads burns CPU time faster than the pace the last look measured. */
#define MAX_SLEEP_NS (50 * 1000000ull)
/* How soon to look again for the agent's answer to a request: it answers at its
 * next hook call, which in a busy target comes within a few ms; the wait doubles
 * from 1 ms up to 32 (each look wakes memspy on a CPU the target may want, and a
 * target busy in code that calls no allocator answers late). */
#define ANSWER_POLL_NS 1000000ull
#define ANSWER_POLL_DOUBLINGS 5

/* Times are the target's CPU time (its process CPU clock, which the agent reads
 * too): the windows follow a share of the work it does, and time it spends
 * idle, when no hook is called to open a window, counts on neither side. */
struct python_windows {
	pid_t pid;
	uint64_t ctl;	   /* the control block's target address */
	unsigned shift;	   /* hooked 1/2^shift of the time */
	clockid_t cpu;	   /* the target's process CPU clock */
	uint64_t start_ns; /* its CPU time when the sampler was installed */
	uint64_t end_ns;   /* ... when it was removed; 0: still in */
	pthread_t thread;  /* opens and closes the windows on time, whatever the
			    * main loop is busy with */
	bool running;
	uint32_t asked;	   /* the last request written (ms_agent_ctl.py_window) */
	unsigned polls;	   /* looks since it was written, while it waits for an answer */
	uint64_t pace_wall, pace_cpu; /* wall and target CPU time at the thread's last look */
	pthread_mutex_t lock; /* the fields below */
	pthread_cond_t wake;  /* the thread's sleep, cut short by stop */
	bool stop;
	bool off_seen;	      /* the agent stopped Python sampling: said once */
	bool gone;	      /* no agent at ctl any more (the target exec'd) */
	double frozen;	      /* the share when off_seen was set */
	uint64_t last_ns;     /* the target's CPU time at the last look */
	uint64_t base_ns;     /* time hooked before start_ns (an adopted agent's) */
	uint64_t base_sample_ns; /* sample_ns before start_ns */
	uint64_t base_skip_ns; /* skipped_ns before start_ns */
	/* the agent's state at the last look */
	uint32_t parked, done;
	uint64_t hooked_ns, window_cpu, sample_ns, skipped_ns;
};

/* What each look reads: the control block from its magic to the Python
 * record's counters, where the window state sits. */
#define LOOK_TO offsetof(struct ms_agent_ctl, py.n)
#define FIELD(buf, member, out) \
	memcpy(&(out), (buf) + offsetof(struct ms_agent_ctl, member), sizeof(out))

struct python_windows *python_windows__new(pid_t pid, uint64_t ctl, unsigned shift)
{
	struct python_windows *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->pid = pid;
	w->ctl = ctl;
	w->shift = shift;
	if (clock_getcpuclockid(pid, &w->cpu)) {
		free(w);
		return NULL;
	}
	pthread_mutex_init(&w->lock, NULL);
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC); /* clock_now_ns()'s */
	pthread_cond_init(&w->wake, &attr);
	pthread_condattr_destroy(&attr);
	return w;
}

/* The target's CPU time now; 0 once it is gone. */
static uint64_t cpu_now(const struct python_windows *w)
{
	struct timespec ts;

	if (clock_gettime(w->cpu, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* CPU time the windows' denser sampling took beyond what sampling at the mean
 * would have (2^shift as many samples, each with its trap), since start_ns: time the
 * windows spend on no work of the program's, left out of both sides of the
 * share. (What the hooks and pymalloc out of line cost in a window is not: the
 * share comes out a little high, the estimates a little low, by up to 10% in a
 * loop that does nothing but allocate.) */
static uint64_t excess_ns(const struct python_windows *w)
{
	uint64_t spent = w->sample_ns > w->base_sample_ns ? w->sample_ns - w->base_sample_ns : 0;

	return spent - (spent >> w->shift);
}

/* CPU time of the open window at now (no more than since install), and of it
 * what the agent will skip, roughly: what passes 3 windows' worth. */
static uint64_t open_at(const struct python_windows *w, uint64_t now, uint64_t *skip)
{
	uint64_t open = w->window_cpu && now > w->window_cpu ? now - w->window_cpu : 0;

	if (open > now - w->start_ns)
		open = now - w->start_ns;
	*skip = open > 3 * WINDOW_NS ? open - 3 * WINDOW_NS : 0;
	return open - *skip;
}

/* CPU time windows outlasting 3 windows' worth skipped since start_ns. */
static uint64_t skipped_at(const struct python_windows *w, uint64_t now)
{
	uint64_t skip, s = w->skipped_ns > w->base_skip_ns ? w->skipped_ns - w->base_skip_ns : 0;

	open_at(w, now, &skip);
	return s + skip;
}

/* CPU time hooked since start_ns, at now, from the last look, less the excess. */
static uint64_t hooked_at(const struct python_windows *w, uint64_t now)
{
	uint64_t skip, h;

	h = w->hooked_ns + open_at(w, now, &skip);
	h = h > w->base_ns ? h - w->base_ns : 0;
	return h > excess_ns(w) ? h - excess_ns(w) : 0;
}

/* CPU time since start_ns, at now, less the excess and what was skipped. */
static uint64_t total_at(const struct python_windows *w, uint64_t now)
{
	uint64_t t = now > w->start_ns ? now - w->start_ns : 0, less = excess_ns(w) + skipped_at(w, now);

	return t > less ? t - less : 0;
}

/* The share at end, under the lock. */
static double share_at(const struct python_windows *w, uint64_t end)
{
	uint64_t total = total_at(w, end);
	double share = total ? (double)hooked_at(w, end) / (double)total : 1.0;

	return share > 1.0 ? 1.0 : share;
}

/* Read the agent's window state. 0 or -errno. */
static int look(struct python_windows *w)
{
	unsigned char buf[LOOK_TO];
	uint64_t magic, hooked, start, spent, skipped, now = cpu_now(w);
	uint32_t off, parked, done;
	bool say = false;
	int err = procmem_read(w->pid, w->ctl, buf, sizeof(buf));

	if (err)
		return err;
	FIELD(buf, magic, magic);
	FIELD(buf, py_window_done, done);
	FIELD(buf, py.parked, parked);
	FIELD(buf, py.hooked_cpu_ns, hooked);
	FIELD(buf, py.window_cpu, start);
	FIELD(buf, py.sample_cpu_ns, spent);
	FIELD(buf, py.skipped_cpu_ns, skipped);
	FIELD(buf, py.off, off);
	pthread_mutex_lock(&w->lock);
	if (magic != MS_AGENT_MAGIC) {
		w->gone = true;
		pthread_mutex_unlock(&w->lock);
		return -ESRCH;
	}
	if (!w->off_seen) {
		w->parked = parked;
		w->done = done;
		w->hooked_ns = hooked;
		w->window_cpu = start;
		w->sample_ns = spent;
		w->skipped_ns = skipped;
		if (now)
			w->last_ns = now;
	}
	if (off && !w->off_seen) {
		/* the Python record stops counting here: so does the share */
		w->frozen = share_at(w, w->last_ns);
		say = w->off_seen = true;
	}
	pthread_mutex_unlock(&w->lock);
	if (say)
		ms_warn("CPython's allocator was changed while attached (tracemalloc started?): "
			"Python objects are no longer sampled");
	return 0;
}

/* Wall time in which the target will have run cpu_ns more, at the pace it ran
 * since the thread's last look: one CPU's at least (a target that idles is
 * looked at again sooner, not later), at most MAX_SLEEP_NS. */
static uint64_t wall_for(struct python_windows *w, double cpu_ns, uint64_t now_cpu)
{
	uint64_t wall = clock_now_ns();
	double pace = 1.0, ns;

	if (w->pace_wall && wall > w->pace_wall && now_cpu > w->pace_cpu)
		pace = (double)(now_cpu - w->pace_cpu) / (double)(wall - w->pace_wall);
	w->pace_wall = wall;
	w->pace_cpu = now_cpu;
	ns = cpu_ns / (pace > 1.0 ? pace : 1.0) + 100000;
	return ns > (double)MAX_SLEEP_NS ? MAX_SLEEP_NS : (uint64_t)ns;
}

/* Ask for the next switch when it is due: hooked time follows 1/N of the time
 * since install, a window closing once it is WINDOW_NS ahead (the agent closes
 * it itself at its first sample past that), the next opening when the share has
 * caught up. A request is written only once the agent has answered the last
 * one (memspy writes py_window, nothing else). How long to wait before the next
 * look. */
static uint64_t drive(struct python_windows *w)
{
	double n = (double)(1u << w->shift), ahead, wait;
	uint32_t want, ask;

	if (look(w))
		return MAX_SLEEP_NS;
	pthread_mutex_lock(&w->lock);
	uint64_t now = w->last_ns;
	ahead = (double)hooked_at(w, now) - (double)total_at(w, now) / n;
	bool parked = w->parked, off = w->off_seen, pending = w->done != w->asked;
	pthread_mutex_unlock(&w->lock);
	if (off)
		return MAX_SLEEP_NS;
	if (!parked) {
		wait = ((double)WINDOW_NS * (1 - 1 / n) - ahead) / (1 - 1 / n);
		want = MS_PY_WINDOW_CLOSE;
	} else {
		wait = ahead * n;
		want = MS_PY_WINDOW_OPEN;
	}
	uint64_t sleep = wall_for(w, wait > 0 ? wait : 0, now);
	if (!pending)
		w->polls = 0;
	if (wait > 0)
		return sleep;
	if (!pending) {
		ask = ((w->asked >> 2) + 1) << 2 | want;
		if (procmem_write(w->pid, w->ctl + offsetof(struct ms_agent_ctl, py_window), &ask,
				  sizeof(ask)))
			return ANSWER_POLL_NS;
		w->asked = ask;
	}
	return ANSWER_POLL_NS << (w->polls < ANSWER_POLL_DOUBLINGS ? w->polls++ : w->polls);
}

static void *windows_thread(void *arg)
{
	struct python_windows *w = arg;

	for (;;) {
		pthread_mutex_lock(&w->lock);
		bool stop = w->stop || w->gone;
		pthread_mutex_unlock(&w->lock);
		if (stop)
			break;
		uint64_t wait = drive(w), until = clock_now_ns() + wait;
		struct timespec ts = {(time_t)(until / 1000000000ull), (long)(until % 1000000000ull)};
		/* a stop ends the sleep (detach waits for this thread), a spurious
		 * wake-up does not */
		pthread_mutex_lock(&w->lock);
		while (!w->stop && pthread_cond_timedwait(&w->wake, &w->lock, &ts) == 0)
			;
		pthread_mutex_unlock(&w->lock);
	}
	return NULL;
}

uint64_t python_windows__cpu_now(const struct python_windows *w)
{
	return w ? cpu_now(w) : 0;
}

void python_windows__started(struct python_windows *w, uint64_t cpu)
{
	uint32_t asked;

	if (!w || !w->shift)
		return;
	w->start_ns = w->last_ns = cpu;
	if (look(w))
		return;
	/* an adopted agent's last request, and what it was hooked before this run,
	 * the part of a window open since before counted there too */
	if (!procmem_read(w->pid, w->ctl + offsetof(struct ms_agent_ctl, py_window), &asked,
			  sizeof(asked)))
		w->asked = asked;
	w->base_sample_ns = w->sample_ns;
	w->base_skip_ns = w->skipped_ns;
	w->base_ns = w->hooked_ns + (w->window_cpu && w->window_cpu < cpu ? cpu - w->window_cpu : 0);
	w->running = !pthread_create(&w->thread, NULL, windows_thread, w);
	if (!w->running)
		ms_warn("in-process sampler: no thread to switch the Python windows: Python objects "
			"sampled in the first window only");
}

void python_windows__stop(struct python_windows *w)
{
	if (!w || !w->running)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	pthread_cond_broadcast(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	w->running = false;
}

void python_windows__removed(struct python_windows *w)
{
	if (!w || w->end_ns || !w->start_ns)
		return;
	/* the agent closed the last window at removal: its hooked time is final
	 * (a target gone keeps the last look's) */
	look(w);
	w->end_ns = w->last_ns;
}

double python_windows__share(struct python_windows *w)
{
	double share;
	uint64_t now;

	if (!w || !w->shift || !w->start_ns)
		return 1.0;
	now = w->end_ns ? 0 : cpu_now(w);
	pthread_mutex_lock(&w->lock);
	if (w->off_seen)
		share = w->frozen;
	else
		share = share_at(w, w->end_ns ? w->end_ns : now > w->last_ns ? now : w->last_ns);
	pthread_mutex_unlock(&w->lock);
	return share;
}

void python_windows__free(struct python_windows *w)
{
	if (!w)
		return;
	python_windows__stop(w);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	free(w);
}
