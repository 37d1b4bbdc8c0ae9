/* SPDX-License-Identifier: GPL-2.0-or-later */
/* When the agent's hooks hold CPython's allocation fields: windows, 1/N of the time. */
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "memspy/agent_abi.h"
#include "run/python_windows.h"
#include "target/procmem.h"

#define WINDOW_NS (PY_WINDOW_US * 1000ull)
/* The longest the thread sleeps between two looks at the agent. */
#define MAX_SLEEP_NS (5 * 1000000ull)

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
	uint64_t last_ns;  /* ... at the last look */
	uint64_t base_ns;  /* time hooked before start_ns (an adopted agent's) */
	pthread_t thread;  /* opens and closes the windows on time, whatever the
			    * main loop is busy with */
	bool running, stop;
	pthread_mutex_t lock; /* the fields below and stop */
	bool off_seen;	      /* the agent stopped Python sampling: said once */
	uint32_t parked;      /* the agent's state at the last look */
	uint64_t hooked_ns, window_cpu, trap_ns;
	uint64_t base_trap_ns; /* trap_ns before start_ns */
};

/* The words read at each look: the request word and the Python record's
 * countdown line, where the window state sits. */
#define LOOK_FROM offsetof(struct ms_agent_ctl, py_window)
#define LOOK_TO	  offsetof(struct ms_agent_ctl, py.n)
/* A field of the control block from buf, which holds its bytes from LOOK_FROM. */
#define FIELD(buf, member, out) \
	memcpy(&(out), (buf) + offsetof(struct ms_agent_ctl, member) - LOOK_FROM, sizeof(out))

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

/* Read the agent's window state (the request word into *ask), under the lock.
 * 0 or -errno. */
static int look(struct python_windows *w, uint32_t *ask)
{
	unsigned char buf[LOOK_TO - LOOK_FROM];
	uint32_t off, parked;
	uint64_t hooked, start, trap;
	uint64_t now = cpu_now(w);
	bool say = false;
	int err = procmem_read(w->pid, w->ctl + LOOK_FROM, buf, sizeof(buf));

	if (err)
		return err;
	FIELD(buf, py_window, *ask);
	FIELD(buf, py.parked, parked);
	FIELD(buf, py.hooked_cpu_ns, hooked);
	FIELD(buf, py.window_cpu, start);
	FIELD(buf, py.trap_cpu_ns, trap);
	FIELD(buf, py.off, off);
	pthread_mutex_lock(&w->lock);
	w->parked = parked;
	w->hooked_ns = hooked;
	w->window_cpu = start;
	w->trap_ns = trap;
	if (now)
		w->last_ns = now;
	if (off && !w->off_seen)
		say = w->off_seen = true;
	pthread_mutex_unlock(&w->lock);
	if (say)
		ms_warn("CPython's allocator was changed while attached (tracemalloc started?): "
			"Python objects are no longer sampled");
	return 0;
}

/* CPU time the windows' denser sampling took beyond what sampling at the mean
 * would have (the traps of 2^shift as many samples), since start_ns: time the
 * windows spend on no work of the program's, left out of both sides of the
 * share so that it is a share of the work (a busy allocator's windows would
 * otherwise be slower, and their samples stand for too little). */
static uint64_t excess_ns(const struct python_windows *w)
{
	uint64_t trap = w->trap_ns > w->base_trap_ns ? w->trap_ns - w->base_trap_ns : 0;

	return trap - (trap >> w->shift);
}

/* CPU time hooked since start_ns, at now, from the last look, less the excess. */
static uint64_t hooked_at(const struct python_windows *w, uint64_t now)
{
	uint64_t open = w->window_cpu && now > w->window_cpu ? now - w->window_cpu : 0;
	uint64_t h;

	if (open > now - w->start_ns)
		open = now - w->start_ns;
	h = w->hooked_ns + open;
	h = h > w->base_ns ? h - w->base_ns : 0;
	return h > excess_ns(w) ? h - excess_ns(w) : 0;
}

/* CPU time since start_ns, at now, less the excess. */
static uint64_t total_at(const struct python_windows *w, uint64_t now)
{
	uint64_t t = now > w->start_ns ? now - w->start_ns : 0;

	return t > excess_ns(w) ? t - excess_ns(w) : 0;
}

/* Ask for the next switch when it is due: hooked time follows 1/N of the time
 * since install, a window closing once it is WINDOW_NS ahead (the agent closes
 * it itself at its first sample past that), the next opening when the share has
 * caught up. How long to wait before the next look. */
static uint64_t drive(struct python_windows *w)
{
	uint32_t ask, want;
	double n = (double)(1u << w->shift), ahead, wait;

	if (look(w, &ask))
		return MAX_SLEEP_NS;
	pthread_mutex_lock(&w->lock);
	uint64_t now = w->last_ns;
	ahead = (double)hooked_at(w, now) - (double)total_at(w, now) / n;
	bool parked = w->parked, off = w->off_seen;
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
	/* CPU time of the target: no sooner in wall time */
	if (wait > 0)
		return wait > MAX_SLEEP_NS ? MAX_SLEEP_NS : (uint64_t)wait + 100000;
	if (ask == MS_PY_WINDOW_IDLE)
		procmem_write(w->pid, w->ctl + offsetof(struct ms_agent_ctl, py_window), &want,
			      sizeof(want));
	return 1000000; /* the next hook call does it: look again soon */
}

static void *windows_thread(void *arg)
{
	struct python_windows *w = arg;

	for (;;) {
		pthread_mutex_lock(&w->lock);
		bool stop = w->stop;
		pthread_mutex_unlock(&w->lock);
		if (stop)
			break;
		uint64_t wait = drive(w);
		struct timespec ts = {(time_t)(wait / 1000000000ull), (long)(wait % 1000000000ull)};
		nanosleep(&ts, NULL);
	}
	return NULL;
}

void python_windows__started(struct python_windows *w, uint64_t cpu)
{
	uint32_t ask;

	if (!w || !w->shift)
		return;
	w->start_ns = w->last_ns = cpu;
	look(w, &ask);
	/* what an adopted agent was hooked before this run */
	w->base_ns = 0;
	w->base_trap_ns = w->trap_ns;
	w->base_ns = hooked_at(w, cpu);
	w->running = !pthread_create(&w->thread, NULL, windows_thread, w);
	if (!w->running)
		ms_warn("in-process sampler: no thread to switch the Python windows: Python objects "
			"sampled in the first window only");
}

void python_windows__removed(struct python_windows *w)
{
	uint32_t ask;

	if (!w || w->end_ns || !w->start_ns)
		return;
	/* the agent closed the last window at removal: its hooked time is final
	 * (a target gone keeps the last look's) */
	look(w, &ask);
	w->end_ns = w->last_ns;
}

void python_windows__stop(struct python_windows *w)
{
	if (!w || !w->running)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	w->running = false;
}

uint64_t python_windows__cpu_now(const struct python_windows *w)
{
	return w ? cpu_now(w) : 0;
}

double python_windows__share(struct python_windows *w)
{
	double share = 1.0;
	uint64_t now;

	if (!w || !w->shift || !w->start_ns)
		return 1.0;
	now = w->end_ns ? 0 : cpu_now(w);
	pthread_mutex_lock(&w->lock);
	uint64_t end = w->end_ns ? w->end_ns : now > w->last_ns ? now : w->last_ns;
	if (total_at(w, end) > 0)
		share = (double)hooked_at(w, end) / (double)total_at(w, end);
	pthread_mutex_unlock(&w->lock);
	return share > 1.0 ? 1.0 : share;
}

void python_windows__free(struct python_windows *w)
{
	if (!w)
		return;
	python_windows__stop(w);
	pthread_mutex_destroy(&w->lock);
	free(w);
}
