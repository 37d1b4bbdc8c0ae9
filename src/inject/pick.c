// SPDX-License-Identifier: GPL-2.0-or-later
/* Chooses the process check and the thread an injection borrows (pick.h). */
#include "inject/pick.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>

#include "base/clock.h"
#include "target/procstat.h"

/* System calls that come back from a ptrace interrupt as -ERESTARTSYS,
 * -ERESTARTNOINTR, -ERESTARTNOHAND or -ERESTART_RESTARTBLOCK, which the kernel
 * turns into a restart when no handler runs, so the program never sees the
 * interruption. Not here: epoll_wait and epoll_pwait (EINTR: checked on this
 * kernel), pause, rt_sigsuspend and rt_sigtimedwait (they return on any
 * signal), io_getevents, io_uring_enter, semtimedop and msgrcv (EINTR), and
 * restart_syscall (its restart cannot be rebuilt in a signal frame). A read or
 * recv on a socket with SO_RCVTIMEO also returns EINTR: a residual risk. */
static const struct {
	long nr;
	const char *name;
} restartable[] = {
    {SYS_read, "read"},
    {SYS_write, "write"},
    {SYS_poll, "poll"},
    {SYS_readv, "readv"},
    {SYS_pread64, "pread64"},
    {SYS_select, "select"},
    {SYS_nanosleep, "nanosleep"},
    {SYS_accept, "accept"},
    {SYS_recvfrom, "recvfrom"},
    {SYS_recvmsg, "recvmsg"},
    {SYS_wait4, "wait4"},
    {SYS_futex, "futex"},
    {SYS_clock_nanosleep, "clock_nanosleep"},
    {SYS_waitid, "waitid"},
    {SYS_pselect6, "pselect6"},
    {SYS_ppoll, "ppoll"},
    {SYS_accept4, "accept4"},
};

const char *pick_restartable(long nr)
{
	for (size_t i = 0; i < sizeof(restartable) / sizeof(restartable[0]); i++)
		if (restartable[i].nr == nr)
			return restartable[i].name;
	return NULL;
}

const char *pick_state_name(long nr, char *buf, size_t len)
{
	const char *name = pick_restartable(nr);

	if (nr == PICK_USER)
		return "user";
	if (nr == PICK_RUNNING)
		return "running";
	if (name)
		return name;
	snprintf(buf, len, "syscall %ld", nr);
	return buf;
}

#ifndef SYS_epoll_pwait2
#define SYS_epoll_pwait2 441
#endif

int pick_epoll_restartable(long nr, const unsigned long long args[6])
{
	if (nr == SYS_epoll_wait)
		return 1;
	/* the fifth argument is the signal mask */
	return (nr == SYS_epoll_pwait || nr == SYS_epoll_pwait2) && !args[4];
}

int pick_epoll_endless(long nr, const unsigned long long args[6])
{
	if (!pick_epoll_restartable(nr, args))
		return 0;
	/* epoll_wait's and epoll_pwait's timeout is an int in milliseconds;
	 * epoll_pwait2's a timespec pointer, NULL for none */
	return nr == SYS_epoll_pwait2 ? !args[3] : (int)(unsigned int)args[3] < 0;
}

int pick_parse_args(const char *line, unsigned long long args[6])
{
	char *end;

	strtol(line, &end, 10);
	if (end == line)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		const char *p = end;
		args[i] = strtoull(p, &end, 16);
		if (end == p)
			return -EINVAL;
	}
	return 0;
}

int pick_parse_syscall(const char *line, long *nr)
{
	char *end;

	if (!strncmp(line, "running", 7)) {
		*nr = PICK_RUNNING;
		return 0;
	}
	*nr = strtol(line, &end, 10);
	if (end == line || *nr < -1)
		return -EINVAL;
	return 0;
}

/* One "Key:\tvalue" line of a status file, as a number; -1 when absent. */
static long status_field(const char *path, const char *key, char *text, size_t len)
{
	FILE *f = fopen(path, "r");
	char line[256];
	size_t n = strlen(key);
	long v = -1;

	if (text && len)
		text[0] = '\0';
	if (!f)
		return -2;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, n) || line[n] != ':')
			continue;
		v = strtol(line + n + 1, NULL, 10);
		if (text)
			snprintf(text, len, "%s", line + n + 1);
		break;
	}
	fclose(f);
	return v;
}

static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	bool ok;

	if (!f)
		return -errno;
	ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	return ok ? 0 : -EIO;
}

/* The state letter of /proc/<pid>/task/<tid>/stat, after the command name. */
static char task_state(pid_t pid, pid_t tid)
{
	char path[64], buf[512], *p;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	if (read_line(path, buf, sizeof(buf)) || !(p = strrchr(buf, ')')))
		return '?';
	return p[1] == ' ' ? p[2] : '?';
}

int pick_check_process(pid_t pid, char *why, size_t len)
{
	char path[64], text[128];
	long v;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	v = status_field(path, "TracerPid", NULL, 0);
	if (v == -2) {
		snprintf(why, len, "cannot read %s: %s", path, strerror(errno));
		return -ESRCH;
	}
	if (v > 0) {
		snprintf(why, len, "pid %d is already traced by pid %ld", pid, v);
		return -EBUSY;
	}
	if (status_field(path, "Seccomp", NULL, 0) > 0) {
		snprintf(why, len, "pid %d runs under seccomp, which may forbid the injected calls",
			 pid);
		return -EPERM;
	}
	/* a ret into __restore_rt without a call would fault on a shadow stack */
	status_field(path, "x86_Thread_features", text, sizeof(text));
	if (strstr(text, "shstk")) {
		snprintf(why, len, "pid %d uses shadow stacks (CET)", pid);
		return -EPERM;
	}
	if (task_state(pid, pid) == 'T' || task_state(pid, pid) == 't') {
		snprintf(why, len, "pid %d is stopped (SIGSTOP or a debugger)", pid);
		return -EBUSY;
	}
	return 0;
}

enum { SCORE_RUNNING = 1, SCORE_USER = 2, SCORE_BLOCKED = 3 };
#define BUSY_WINDOW_NS 5000000L

/* Higher is better; 0: do not interrupt. line: the thread's syscall line. */
static int score(long nr, char state, const char *line)
{
	unsigned long long args[6];

	if (nr >= 0 && (state == 'S' || state == 'D') && !pick_restartable(nr) &&
	    !pick_parse_args(line, args) && pick_epoll_endless(nr, args))
		return SCORE_BLOCKED; /* the injector restarts it (inject.c, prepare) */
	if (nr >= 0)
		return pick_restartable(nr) && (state == 'S' || state == 'D') ? SCORE_BLOCKED : 0;
	if (nr == PICK_USER)
		return SCORE_USER;
	return nr == PICK_RUNNING ? SCORE_RUNNING : 0;
}

/* Reads one thread: 1 with *nr and *sc set (0: not to be used), 0 when it is
 * not one to consider (other name, exited), or -errno. */
static int consider(pid_t pid, pid_t tid, const char *name, long *nr, int *sc, char *why,
		    size_t len)
{
	char path[64], buf[256];
	long tracer;

	*sc = 0;
	if (name) {
		procstat_thread_comm(pid, tid, buf, sizeof(buf));
		if (strcmp(buf, name))
			return 0;
	}
	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", pid, tid);
	tracer = status_field(path, "TracerPid", NULL, 0);
	if (tracer > 0) {
		snprintf(why, len, "thread %d of pid %d is traced by pid %ld", tid, pid, tracer);
		return -EBUSY;
	}
	snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", pid, tid);
	if (read_line(path, buf, sizeof(buf)) || pick_parse_syscall(buf, nr))
		return 0; /* exited meanwhile */
	*sc = score(*nr, task_state(pid, tid), buf);
	return 1;
}

static uint64_t time_on_cpu(pid_t pid, pid_t tid)
{
	char path[64], buf[128];

	snprintf(path, sizeof(path), "/proc/%d/task/%d/schedstat", pid, tid);
	return read_line(path, buf, sizeof(buf)) ? 0 : strtoull(buf, NULL, 10);
}

/* The times the thread gave up its CPU to wait (blocked in a call), or -1. */
static long voluntary_switches(pid_t pid, pid_t tid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", pid, tid);
	return status_field(path, "voluntary_ctxt_switches", NULL, 0);
}

/* A thread shown "running" may be in user code or in the kernel: /proc says
 * "running" for any runnable thread, one just woken inside epoll_wait and
 * waiting for a CPU included (seen here: such a thread was picked and the
 * interrupt landed in epoll_wait). It is taken only when it computes over a
 * short window: it ran (so a wait it was woken in has returned) and never
 * blocked (so it did not enter another). Not a share of a CPU: 8 threads
 * computing on 2 loaded cores get far less than half each, and were never
 * taken when that was the rule. */
static bool busy_in_user(pid_t pid, pid_t tid)
{
	char path[64], buf[256];
	uint64_t c0 = time_on_cpu(pid, tid), c1;
	long v0 = voluntary_switches(pid, tid), v1, nr;

	nanosleep(&(struct timespec){0, BUSY_WINDOW_NS}, NULL);
	c1 = time_on_cpu(pid, tid);
	v1 = voluntary_switches(pid, tid);
	snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", pid, tid);
	if (read_line(path, buf, sizeof(buf)) || pick_parse_syscall(buf, &nr) || nr >= 0)
		return false;
	return c0 && c1 > c0 && v0 >= 0 && v1 == v0;
}

int pick_thread(pid_t pid, const char *name, bool any_running, struct pick *out, char *why,
		size_t len)
{
	char path[64], buf[32];
	struct dirent *d;
	int best = 0, seen = 0, err = 0;
	long last = PICK_RUNNING;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	if (!dir) {
		snprintf(why, len, "cannot list %s: %s", path, strerror(errno));
		return -errno;
	}
	while (!err && (d = readdir(dir))) {
		pid_t tid = (pid_t)strtol(d->d_name, NULL, 10);
		long nr;
		int sc;

		if (tid <= 0)
			continue;
		err = consider(pid, tid, name, &nr, &sc, why, len);
		if (err <= 0)
			continue;
		err = 0;
		seen++;
		last = nr;
		if (sc > best) {
			best = sc;
			*out = (struct pick){.tid = tid, .nr = nr};
		}
	}
	closedir(dir);
	if (err)
		return err;
	if (best == SCORE_BLOCKED || (best && (any_running || busy_in_user(pid, out->tid))))
		return 0;
	if (best)
		last = out->nr;
	if (!seen) {
		snprintf(why, len, "pid %d has no thread%s%s%s", pid, name ? " named '" : "",
			 name ? name : "", name ? "'" : "");
		return -ESRCH;
	}
	snprintf(why, len,
		 "no thread of pid %d%s%s%s is in a state safe to interrupt (the last was in %s)",
		 pid, name ? " named '" : "", name ? name : "", name ? "'" : "",
		 pick_state_name(last, buf, sizeof(buf)));
	return -EAGAIN;
}
