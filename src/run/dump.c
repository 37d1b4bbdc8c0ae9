/* SPDX-License-Identifier: GPL-2.0-or-later */
/* memspy dump: collect each thread's record from the task iterator (and the
 * samples of running threads), then unwind, merge and name each stack. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "memspy/events.h"
#include "probes/capture.h"
#include "probes/dump_probes.h"
#include "python/python.h"
#include "python/python_detect.h"
#include "python/python_gil.h"
#include "run/dump.h"
#include "symbolize/target_dwfl.h"
#include "target/freeze.h"
#include "target/procstat.h"
#include "target/syscalls.h"

#define MS_DUMP_MAX_FRAMES 256
#define MS_DUMP_SAMPLE_PERIOD_NS 1000000ULL /* 1 ms of the thread's own CPU time */
#define MS_DUMP_SAMPLE_WAIT_MS 100

/* The newest useful record of each thread. */
struct dump_rec {
	struct ms_dump_event *ev;
	size_t size;
};

struct dump_ctx {
	const struct dump_opts *o;
	struct dump_probes *probes;
	struct capture *cap;
	struct dump_rec *recs;
	size_t nr, cap_recs;
	struct target_dwfl *dwfl;
	struct python *py;
	uint64_t gil;	/* PyThreadState * holding the GIL */
	bool gil_known;
	int oom;
	bool compare;	/* records only say which threads moved since their read */
	pid_t *moved;	/* those threads */
	size_t nr_moved, cap_moved;
};

static struct dump_rec *find_rec(struct dump_ctx *c, uint32_t tid)
{
	for (size_t i = 0; i < c->nr; i++)
		if (c->recs[i].ev->cpu.hdr.tid == tid)
			return &c->recs[i];
	return NULL;
}

/* Make room for one more of n items of size sz in *arr (capacity *cap). */
static int grow(void *arr, size_t n, size_t *cap, size_t sz)
{
	void **p = arr, *g;
	size_t want = *cap ? 2 * *cap : 64;

	if (n < *cap)
		return 0;
	g = realloc(*p, want * sz);
	if (!g)
		return -ENOMEM;
	*p = g;
	*cap = want;
	return 0;
}

/* A thread moved when it ran since its record was read (or while it was). */
static void note_moved(struct dump_ctx *c, const struct dump_rec *r, const struct ms_dump_event *ev)
{
	if (r && r->ev->switches == ev->switches && r->ev->on_cpu != MS_DUMP_ON_CPU &&
	    ev->on_cpu != MS_DUMP_ON_CPU)
		return;
	if (grow(&c->moved, c->nr_moved, &c->cap_moved, sizeof(*c->moved))) {
		c->oom = 1;
		return;
	}
	c->moved[c->nr_moved++] = (pid_t)ev->cpu.hdr.tid;
}

/* Keep a copy of the record as thread's (r, or a new entry when NULL). */
static void store_rec(struct dump_ctx *c, struct dump_rec *r, const void *data, size_t size)
{
	void *copy = malloc(size);

	if (!copy || (!r && grow(&c->recs, c->nr, &c->cap_recs, sizeof(*c->recs)))) {
		free(copy);
		c->oom = 1;
		return;
	}
	memcpy(copy, data, size);
	if (!r)
		r = &c->recs[c->nr++];
	else
		free(r->ev);
	r->ev = copy;
	r->size = size;
}

/* Keep a thread's first record, unless it was read while on a CPU (stale
 * registers) and this one was not. */
static int on_record(void *ctx, const void *data, size_t size)
{
	struct dump_ctx *c = ctx;
	const struct ms_dump_event *ev = data;
	struct dump_rec *r;

	if (size < MS_DUMP_EVENT_HDR_SIZE || ev->cpu.hdr.kind != MS_EV_DUMP ||
	    ev->cpu.stack_len > size - MS_DUMP_EVENT_HDR_SIZE)
		return 0;
	r = find_rec(c, ev->cpu.hdr.tid);
	if (c->compare)
		note_moved(c, r, ev);
	else if (!r || (r->ev->on_cpu == MS_DUMP_ON_CPU && ev->on_cpu != MS_DUMP_ON_CPU))
		store_rec(c, r, data, size);
	return 0;
}

static int iterate(struct dump_ctx *c)
{
	char err[512];
	int e = dump_probes__iterate(c->probes, c->cap, err, sizeof(err));

	if (e) {
		ms_err("%s", err);
		return e;
	}
	capture__drain(c->cap);
	return 0;
}

/* Threads that were on a CPU while the iterator read them. */
static size_t running_tids(struct dump_ctx *c, pid_t *tids)
{
	size_t n = 0;

	for (size_t i = 0; i < c->nr; i++)
		if (c->recs[i].ev->on_cpu == MS_DUMP_ON_CPU)
			tids[n++] = (pid_t)c->recs[i].ev->cpu.hdr.tid;
	return n;
}

/* Sample the threads that were running, once each, for up to
 * MS_DUMP_SAMPLE_WAIT_MS; a thread that stopped running meanwhile is read again by
 * the iterator, now from its exact saved state. */
static int read_running(struct dump_ctx *c)
{
	pid_t *tids = calloc(c->nr ? c->nr : 1, sizeof(*tids));
	uint64_t deadline = clock_now_ns() + MS_DUMP_SAMPLE_WAIT_MS * 1000000ULL;
	char err[512];
	size_t n;
	int e = 0;

	if (!tids)
		return -ENOMEM;
	n = running_tids(c, tids);
	if (n) {
		e = dump_probes__sample(c->probes, tids, n, MS_DUMP_SAMPLE_PERIOD_NS, err,
					sizeof(err));
		if (e)
			ms_warn("%s", err);
		while (!e && running_tids(c, tids) && clock_now_ns() < deadline)
			capture__poll(c->cap, 5);
		dump_probes__stop_sampling(c->probes);
		capture__drain(c->cap);
		if (running_tids(c, tids))
			e = iterate(c);
	}
	free(tids);
	return e;
}

static void read_gil(struct dump_ctx *c)
{
	c->gil_known = python__frames_on(c->py) &&
		       python_gil_holder(c->o->pid, python__offsets(c->py), &c->gil) == 0;
}

/* Forget the records of the threads that moved, to read them again. */
static void drop_moved(struct dump_ctx *c)
{
	for (size_t m = 0; m < c->nr_moved; m++) {
		struct dump_rec *r = find_rec(c, (uint32_t)c->moved[m]);
		if (!r)
			continue;
		free(r->ev);
		*r = c->recs[--c->nr];
	}
}

/* --consistent: the running threads are held still (src/target/freeze.h) and the
 * blocked ones read as they wait; a thread that ran meanwhile (its context
 * switches changed between two reads) is stopped, or read again if it blocked
 * again, up to MS_DUMP_ROUNDS times. */
#define MS_DUMP_ROUNDS 2
static int read_held(struct dump_ctx *c, double *held_ms)
{
	char err[512];
	struct freeze *f = freeze__start(c->o->pid, err, sizeof(err));
	int e;

	if (!f) {
		e = -errno;
		ms_err("%s", err);
		return e;
	}
	e = iterate(c);
	for (int round = 0; !e && round < MS_DUMP_ROUNDS; round++) {
		c->compare = true;
		c->nr_moved = 0;
		dump_probes__switches_only(c->probes, true);
		e = iterate(c);
		dump_probes__switches_only(c->probes, false);
		c->compare = false;
		if (e || !c->nr_moved)
			break;
		freeze__stop_more(f, c->moved, c->nr_moved);
		drop_moved(c);
		e = iterate(c);
	}
	read_gil(c);
	*held_ms = (double)freeze__end(f) / 1e6;
	return e;
}

/* "function (file.py:LINE)" into its parts. */
static int add_python_frame(struct dump_thread *t, const char *s)
{
	const char *open = strstr(s, " (");
	const char *colon = s[0] && s[strlen(s) - 1] == ')' ? strrchr(s, ':') : NULL;
	char fn[256], file[1024];

	if (!open || !colon || colon < open)
		return dump_thread__add_frame(t, s, NULL, 0, NULL, true, false);
	snprintf(fn, sizeof(fn), "%.*s", (int)(open - s), s);
	snprintf(file, sizeof(file), "%.*s", (int)(colon - open - 2), open + 2);
	return dump_thread__add_frame(t, fn, file, (uint32_t)strtoul(colon + 1, NULL, 10), NULL,
				      true, false);
}

/* One native frame: the function holding pc, then the calls inlined in it. */
static int add_native_frame(struct dump_ctx *c, struct dump_thread *t, uint64_t pc)
{
	struct frame_loc locs[32];
	const char *mod = c->dwfl ? target_dwfl__module_name(c->dwfl, pc) : NULL;
	const char *eval = python__eval_name(c->py, pc);
	size_t m;
	int e = 0;

	if (eval || !c->dwfl)
		return dump_thread__add_frame(t, eval ? eval : "[unknown]", NULL, 0, mod, false,
					      false);
	m = target_dwfl__symbolize_loc(c->dwfl, pc, locs, 32);
	for (size_t i = 0; i < m && !e; i++) {
		char name[512];
		size_t len = strlen(locs[i].name);

		/* the inline suffix is for folded stacks; here a flag says it */
		snprintf(name, sizeof(name), "%.*s", (int)(locs[i].inlined && len > 4 &&
			 !strcmp(locs[i].name + len - 4, "_[i]") ? len - 4 : len), locs[i].name);
		e = dump_thread__add_frame(t, name, locs[i].file, locs[i].line, mod, false,
					   locs[i].inlined);
	}
	return e;
}

/* Unwind the thread's copied stack, merge its Python frames and name them. */
static int add_frames(struct dump_ctx *c, struct dump_thread *t, const struct ms_dump_event *ev)
{
	struct py_merge_item items[MS_DUMP_MAX_FRAMES + MS_MAX_PY_FRAMES];
	uint64_t pcs[MS_DUMP_MAX_FRAMES];
	const struct ms_cpu_event *cev = &ev->cpu;
	size_t n = 0, ni;
	int e = 0;

	if (cev->user_regs_valid && c->dwfl) {
		struct unwind_extras x = {
			.stack_start = cev->stack_start,
			.fix_slots = (const uint64_t *)cev->ret_slots,
			.fix_addrs = (const uint64_t *)cev->ret_addrs,
			.nr_fix = cev->nr_ret_fixups > MS_MAX_RET_FIXUPS ? MS_MAX_RET_FIXUPS
									  : cev->nr_ret_fixups,
		};
		n = target_dwfl__unwind_ex(c->dwfl, t->tid, (const uint64_t *)cev->regs, cev->stack,
					   cev->stack_len, &x, false, pcs, MS_DUMP_MAX_FRAMES,
					   &t->complete);
	}
	ni = python__merge(c->py, pcs, NULL, n, &cev->py, t->complete, items,
			   sizeof(items) / sizeof(items[0]));
	for (size_t i = 0; i < ni && !e; i++)
		e = items[i].py != MS_MERGE_NONE
			    ? add_python_frame(t, python__frame(c->py, cev->py.code[items[i].py],
								cev->py.instr[items[i].py]))
			    : add_native_frame(c, t, pcs[items[i].native]);
	dump_thread__reverse(t);
	return e;
}

/* The kernel's task __state bits (include/linux/sched.h), fixed for long */
#define MS_TASK_INTERRUPTIBLE 0x1
#define MS_TASK_UNINTERRUPTIBLE 0x2
#define MS_TASK_STOPPED 0x4
#define MS_TASK_TRACED 0x8 /* also a thread held by --consistent */

/* The state letter as /proc shows it, from the task's __state at the read; a
 * thread held for the read was running. */
static char state_letter(const struct ms_dump_event *ev, bool held)
{
	if (held || ev->on_cpu != MS_DUMP_OFF_CPU || ev->state == 0)
		return 'R';
	if (ev->state & MS_TASK_INTERRUPTIBLE)
		return 'S';
	if (ev->state & MS_TASK_UNINTERRUPTIBLE)
		return 'D';
	if (ev->state & (MS_TASK_STOPPED | MS_TASK_TRACED))
		return 'T';
	return '?';
}

static int add_thread(struct dump_ctx *c, struct thread_dump *d, const struct dump_rec *r)
{
	const struct ms_dump_event *ev = r->ev;
	struct dump_thread *t = thread_dump__add_thread(d, (pid_t)ev->cpu.hdr.tid);
	bool held = c->o->consistent && (ev->state & MS_TASK_TRACED);

	if (!t)
		return -ENOMEM;
	t->on_cpu = ev->on_cpu != MS_DUMP_OFF_CPU;
	snprintf(t->name, sizeof(t->name), "%.15s", ev->comm);
	t->how = held				 ? MS_DUMP_READ_STOPPED
		 : ev->on_cpu == MS_DUMP_SAMPLED ? MS_DUMP_READ_SAMPLED
		 : ev->on_cpu == MS_DUMP_ON_CPU	  ? MS_DUMP_READ_STALE
						  : MS_DUMP_READ_BLOCKED;
	t->state = state_letter(ev, held);
	/* a runnable thread's orig_ax may hold an interrupt's vector, not a syscall */
	if (t->state != 'R' && ev->syscall >= 0 && ev->syscall < 4096) {
		char buf[32];
		t->syscall = ev->syscall;
		snprintf(t->syscall_name, sizeof(t->syscall_name), "%s",
			 syscall_name(ev->syscall, buf, sizeof(buf)));
	}
	if (ev->tstate && c->gil_known)
		t->gil = ev->tstate == c->gil ? MS_DUMP_GIL_HOLDS : MS_DUMP_GIL_WAITS;
	if (t->how == MS_DUMP_READ_STALE)
		return 0;
	return add_frames(c, t, ev);
}

static int open_readers(struct dump_ctx *c)
{
	struct probe_target pt = {.pid = c->o->pid, .stack_bytes = c->o->stack_bytes};
	char err[512];

	c->dwfl = target_dwfl__open(c->o->pid);
	if (!c->dwfl) {
		if (errno == ENOENT || errno == ESRCH)
			ms_err("process %d exited before memspy could read it", (int)c->o->pid);
		else
			ms_err("cannot read the modules of process %d: %s", (int)c->o->pid,
			       strerror(errno));
		return -errno;
	}
	c->py = python__open(c->o->pid, true, c->o->verbose, NULL, 0);
	pt.python = python__offsets(c->py);
	c->probes = dump_probes__open(&pt, err, sizeof(err));
	if (!c->probes) {
		ms_err("%s", err);
		return -EIO;
	}
	c->cap = capture__new(dump_probes__events_fd(c->probes), on_record, c);
	if (!c->cap) {
		ms_err("out of memory");
		return -ENOMEM;
	}
	return 0;
}

static int check_pid(pid_t pid)
{
	char path[64], exe[16], err[512];

	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	if (pid <= 0 || access(path, F_OK)) {
		ms_err("no process with pid %d (check the pid with ps or pidof)", (int)pid);
		return -ESRCH;
	}
	if (pid == getpid()) {
		ms_err("pid %d is memspy itself", (int)pid);
		return -EINVAL;
	}
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	if (readlink(path, exe, sizeof(exe)) < 0 && errno == ENOENT) {
		ms_err("pid %d is a kernel thread (it has no user-space stack to dump)", (int)pid);
		return -EINVAL;
	}
	if (probe_check_environment(err, sizeof(err))) {
		ms_err("%s", err);
		return -EPERM;
	}
	return 0;
}

static int build(struct dump_ctx *c, struct thread_dump *d)
{
	int e = 0;

	procstat_comm(c->o->pid, d->comm, sizeof(d->comm));
	d->gil_known = c->gil_known;
	if (python__frames_on(c->py)) {
		char ver[32];
		python_version_str(python__offsets(c->py)->version, ver, sizeof(ver));
		snprintf(d->python, sizeof(d->python), "CPython %s", ver);
	}
	for (size_t i = 0; i < c->nr && !e; i++)
		e = add_thread(c, d, &c->recs[i]);
	thread_dump__sort(d);
	return e;
}

/* Every thread's record into c: held for the read with --consistent, else read
 * as it is, the running ones sampled. */
static int read_threads(struct dump_ctx *c, struct thread_dump *d)
{
	int e;

	if (c->o->consistent)
		return read_held(c, &d->stopped_ms);
	e = iterate(c);
	read_gil(c);
	return e ? e : read_running(c);
}

int dump_read(const struct dump_opts *o, struct thread_dump **out)
{
	struct dump_ctx c = {.o = o};
	struct thread_dump *d = NULL;
	int e;

	*out = NULL;
	e = check_pid(o->pid);
	if (!e)
		e = open_readers(&c);
	if (!e && !(d = thread_dump__new(o->pid)))
		e = -ENOMEM;
	if (!e)
		e = read_threads(&c, d);
	if (!e && !c.nr) {
		ms_err("process %d exited while memspy read it", (int)o->pid);
		e = -ESRCH;
	}
	if (!e && dump_probes__lost(c.probes))
		ms_warn("%llu threads did not fit in the ring buffer and are not listed",
			(unsigned long long)dump_probes__lost(c.probes));
	if (!e && (c.oom || (e = build(&c, d)))) {
		ms_err("out of memory");
		e = -ENOMEM;
	}
	if (e)
		thread_dump__free(d);
	else
		*out = d;
	for (size_t i = 0; i < c.nr; i++)
		free(c.recs[i].ev);
	free(c.recs);
	free(c.moved);
	capture__free(c.cap);
	dump_probes__free(c.probes);
	python__free(c.py);
	target_dwfl__free(c.dwfl);
	return e;
}
