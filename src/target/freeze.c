/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Hold a process's running threads still from a helper process that ptraces them.
 * A helper, because a seized thread that was never stopped cannot be detached
 * (PTRACE_DETACH wants a stopped tracee) without interrupting it: when the tracer
 * exits, the kernel detaches every tracee without waking it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "target/freeze.h"

#define MS_FREEZE_MAX_THREADS 4096

struct freeze {
	pid_t helper;
	int running; /* the helper holds the threads and waits for requests */
	int to_helper, from_helper; /* pipes */
};

/* What the helper holds. */
struct held {
	pid_t pid;
	pid_t tids[MS_FREEZE_MAX_THREADS];
	int stopped[MS_FREEZE_MAX_THREADS]; /* 1 + the signal to pass on at detach */
	size_t n;
	uint64_t t0;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* The state letter of a thread ('S', 'D', 'R', ...), 0 when it is gone. */
static char thread_state(pid_t pid, pid_t tid)
{
	char path[96], buf[512], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid, (int)tid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
	fclose(f);
	return p && p[1] == ' ' ? p[2] : 0;
}

static int seize_all(struct held *h)
{
	char path[64];
	struct dirent *de;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)h->pid);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((de = readdir(dir)) && h->n < MS_FREEZE_MAX_THREADS) {
		pid_t tid = (pid_t)atoi(de->d_name);

		if (tid <= 0)
			continue;
		if (ptrace(PTRACE_SEIZE, tid, 0, 0)) {
			int e = -errno;
			char s = thread_state(h->pid, tid);
			/* an exiting thread refuses with EPERM too */
			if (e == -ESRCH || s == 0 || s == 'Z' || s == 'X')
				continue;
			closedir(dir);
			return e;
		}
		h->tids[h->n++] = tid;
	}
	closedir(dir);
	return 0;
}

/* Interrupt thread i and wait for its stop. A signal may stop it first
 * (signal-delivery-stop): that signal is passed on at detach. */
static void stop_one(struct held *h, size_t i)
{
	int st;

	if (h->stopped[i] || ptrace(PTRACE_INTERRUPT, h->tids[i], 0, 0))
		return;
	if (!h->t0)
		h->t0 = now_ns();
	while (waitpid(h->tids[i], &st, __WALL) < 0)
		if (errno != EINTR)
			return;
	if (!WIFSTOPPED(st))
		return; /* it exited */
	/* a signal came before the interrupt: the thread is stopped all the same,
	 * and detaching drops the interrupt still pending */
	h->stopped[i] = 1 + ((st >> 16) == 0 ? WSTOPSIG(st) : 0);
}

/* A thread that woke while held is stopped, unless it is blocked again: then it
 * cannot move until it wakes, and stopping it would interrupt its call. */
static void stop_tid(struct held *h, pid_t tid)
{
	char s = thread_state(h->pid, tid);

	if (s == 'S' || s == 'D' || s == 0)
		return;
	for (size_t i = 0; i < h->n; i++)
		if (h->tids[i] == tid)
			stop_one(h, i);
}

/* A thread stopped by a signal while seized (not interrupted by us) is stopped
 * too: it is detached with its signal, or it would wait forever. */
static void release_all(struct held *h)
{
	int st;

	for (size_t i = 0; i < h->n; i++) {
		if (!h->stopped[i] && waitpid(h->tids[i], &st, __WALL | WNOHANG) == h->tids[i] &&
		    WIFSTOPPED(st))
			h->stopped[i] = 1 + ((st >> 16) == 0 ? WSTOPSIG(st) : 0);
		if (h->stopped[i])
			ptrace(PTRACE_DETACH, h->tids[i], 0, (void *)(long)(h->stopped[i] - 1));
	}
}

static int read_full(int fd, void *buf, size_t len)
{
	for (size_t done = 0; done < len;) {
		ssize_t r = read(fd, (char *)buf + done, len - done);
		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			return -1;
		}
		done += (size_t)r;
	}
	return 0;
}

/* The helper: seize, stop the running threads, answer each request, detach. A
 * request is a count and that many tids; a count of 0 ends it. Answers are an int
 * (0 or -errno), and at the end the time held (uint64_t ns). */
static void helper_main(pid_t pid, int in, int out)
{
	static struct held h;
	int e, n;

	h.pid = pid;
	e = seize_all(&h);
	for (size_t i = 0; !e && i < h.n; i++) {
		char s = thread_state(pid, h.tids[i]);
		if (s != 'S' && s != 'D' && s != 0)
			stop_one(&h, i);
	}
	if (!e && !h.n)
		e = -ESRCH;
	if (write(out, &e, sizeof(e)) != sizeof(e) || e)
		_exit(0);
	while (read_full(in, &n, sizeof(n)) == 0 && n > 0) {
		pid_t tid;
		for (int i = 0; i < n; i++)
			if (read_full(in, &tid, sizeof(tid)) == 0)
				stop_tid(&h, tid);
		e = 0;
		if (write(out, &e, sizeof(e)) != sizeof(e))
			break;
	}
	release_all(&h);
	uint64_t held = h.t0 ? now_ns() - h.t0 : 0;
	if (write(out, &held, sizeof(held)) != sizeof(held))
		_exit(1);
	_exit(0);
}

struct freeze *freeze__start(pid_t pid, char *err, size_t errlen)
{
	struct freeze *f = calloc(1, sizeof(*f));
	int down[2], up[2], e;

	if (!f || pipe2(down, O_CLOEXEC) || pipe2(up, O_CLOEXEC)) {
		snprintf(err, errlen, "cannot start the thread stopper: %s", strerror(errno));
		free(f);
		return NULL;
	}
	f->helper = fork();
	if (f->helper == 0) {
		close(down[1]);
		close(up[0]);
		helper_main(pid, down[0], up[1]);
	}
	close(down[0]);
	close(up[1]);
	f->to_helper = down[1];
	f->from_helper = up[0];
	if (f->helper < 0 || read_full(f->from_helper, &e, sizeof(e)))
		e = f->helper < 0 ? -errno : -ECHILD;
	f->running = !e;
	if (e) {
		if (e == -ESRCH || e == -ENOENT)
			snprintf(err, errlen, "process %d exited while memspy read it", (int)pid);
		else if (e == -EPERM)
			snprintf(err, errlen,
				 "cannot hold the threads of %d for --consistent: it is traced "
				 "already (a debugger or strace?) or ptrace is not allowed; "
				 "run without --consistent",
				 (int)pid);
		else
			snprintf(err, errlen, "cannot hold the threads of %d: %s", (int)pid,
				 strerror(-e));
		freeze__end(f);
		errno = -e;
		return NULL;
	}
	return f;
}

int freeze__stop_more(struct freeze *f, const pid_t *tids, size_t n)
{
	int count = (int)n, e;

	if (!n)
		return 0;
	if (!f->running)
		return -EPIPE;
	if (write(f->to_helper, &count, sizeof(count)) != sizeof(count) ||
	    write(f->to_helper, tids, n * sizeof(*tids)) != (ssize_t)(n * sizeof(*tids)) ||
	    read_full(f->from_helper, &e, sizeof(e)))
		return -EPIPE;
	return e;
}

uint64_t freeze__end(struct freeze *f)
{
	uint64_t held = 0;
	int zero = 0, st;

	if (!f)
		return 0;
	if (f->helper > 0) {
		if (f->running && write(f->to_helper, &zero, sizeof(zero)) == sizeof(zero) &&
		    read_full(f->from_helper, &held, sizeof(held)))
			held = 0;
		close(f->to_helper);
		f->to_helper = -1;
		while (waitpid(f->helper, &st, 0) < 0 && errno == EINTR)
			;
	}
	if (f->to_helper >= 0)
		close(f->to_helper);
	close(f->from_helper);
	free(f);
	return held;
}
