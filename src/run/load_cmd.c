/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The load command of `memspy attach <pid> -- CMD`: started once the probes are
 * live, as the user behind sudo, its output echoed and its last lines kept. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "run/load_cmd.h"

#define MS_TAIL_BYTES 4096 /* output kept for the report's last lines */

struct load_cmd {
	pid_t pid;
	int out_fd;	    /* our end of its output pipe; -1 after EOF */
	bool exited;	    /* reaped: status holds its wait status */
	int status;
	int sent;	    /* the first signal memspy sent it; 0: none */
	char line[1024];    /* the command line, for the report */
	char user[128];	    /* "alice (uid 1000)" */
	char tail[MS_TAIL_BYTES];
	size_t tail_len;
};

/* Who the command runs as: the user behind sudo when memspy is root through
 * sudo, memspy's own user otherwise. 1 when the ids must change, 0 when not,
 * -EINVAL for SUDO_UID or SUDO_GID that are not numbers. */
static int runas_ids(uid_t *uid, gid_t *gid)
{
	const char *su = getenv("SUDO_UID"), *sg = getenv("SUDO_GID");
	char *end1 = NULL, *end2 = NULL;
	unsigned long u, g;

	*uid = getuid();
	*gid = getgid();
	if (geteuid() != 0 || !su || !sg)
		return 0;
	u = strtoul(su, &end1, 10);
	g = strtoul(sg, &end2, 10);
	if (!*su || *end1 || !*sg || *end2)
		return -EINVAL;
	*uid = (uid_t)u;
	*gid = (gid_t)g;
	return u != 0;
}

static void set_user(struct load_cmd *c, uid_t uid)
{
	struct passwd *pw = getpwuid(uid);

	snprintf(c->user, sizeof(c->user), "%s (uid %u)", pw ? pw->pw_name : "?",
		 (unsigned)uid);
}

/* The child: its own process group (Ctrl-C reaches it once, from memspy), the
 * pipe for output, normal priority, the user's ids (groups first: after setuid
 * it may not drop them), default signal dispositions (memspy ignores SIGPIPE, and exec keeps
 * what is ignored). Never returns. */
static void child_exec(char *const argv[], int out, bool drop, uid_t uid, gid_t gid,
		       bool from_idle)
{
	int null = open("/dev/null", O_RDONLY);
	sigset_t none;

	setpgid(0, 0);
	/* back from memspy's SCHED_IDLE while still root: a user may not leave it */
	if (from_idle)
		sched_setscheduler(0, SCHED_OTHER, &(struct sched_param){.sched_priority = 0});
	if (null < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		_exit(126);
	if (drop && (setgroups(0, NULL) || setgid(gid) || setuid(uid) || setuid(0) == 0)) {
		dprintf(2, "memspy: cannot run the load command as uid %u: %s\n", (unsigned)uid,
			strerror(errno));
		_exit(126);
	}
	if (drop) {
		struct passwd *pw = getpwuid(uid);

		if (pw) {
			setenv("HOME", pw->pw_dir, 1);
			setenv("USER", pw->pw_name, 1);
			setenv("LOGNAME", pw->pw_name, 1);
		}
	}
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execvp(argv[0], argv);
	dprintf(2, "memspy: cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

/* "wrk -t1 'http://x/a b'": words with a blank or a quote are single-quoted. */
static void join_line(char *buf, size_t size, char *const argv[])
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; argv[i] && len < size; i++) {
		bool quote = !argv[i][0] || strpbrk(argv[i], " \t\"'$\\;&|<>*?()") != NULL;

		len += (size_t)snprintf(buf + len, size - len, "%s%s%s%s", i ? " " : "",
					quote ? "'" : "", argv[i], quote ? "'" : "");
	}
}

static struct load_cmd *load_cmd_alloc(char *const argv[], uid_t uid)
{
	struct load_cmd *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->out_fd = -1;
	join_line(c->line, sizeof(c->line), argv);
	set_user(c, uid);
	return c;
}

struct load_cmd *load_cmd__start(char *const argv[], bool from_idle)
{
	int fds[2], drop;
	uid_t uid;
	gid_t gid;
	struct load_cmd *c;

	drop = runas_ids(&uid, &gid);
	if (drop < 0) {
		ms_err("SUDO_UID and SUDO_GID must be numbers to run the load command as "
		       "the user behind sudo");
		return NULL;
	}
	c = load_cmd_alloc(argv, uid);
	if (!c || pipe2(fds, O_CLOEXEC)) {
		ms_err("cannot start the load command %s: %s", argv[0], strerror(errno));
		free(c);
		return NULL;
	}
	if (uid == 0)
		ms_warn("the load command runs as root (memspy was not started through sudo)");
	fflush(NULL);
	c->pid = fork();
	if (c->pid == 0)
		child_exec(argv, fds[1], drop, uid, gid, from_idle);
	close(fds[1]);
	if (c->pid < 0) {
		ms_err("cannot start the load command %s: %s", argv[0], strerror(errno));
		close(fds[0]);
		free(c);
		return NULL;
	}
	setpgid(c->pid, c->pid); /* either of us may get there first */
	c->out_fd = fds[0];
	fcntl(c->out_fd, F_SETFL, O_NONBLOCK);
	return c;
}

/* Keep the last MS_TAIL_BYTES of output. */
static void keep(struct load_cmd *c, const char *buf, size_t n)
{
	if (n >= MS_TAIL_BYTES) {
		buf += n - MS_TAIL_BYTES;
		n = MS_TAIL_BYTES;
	}
	if (c->tail_len + n > MS_TAIL_BYTES) {
		size_t drop = c->tail_len + n - MS_TAIL_BYTES;

		memmove(c->tail, c->tail + drop, c->tail_len - drop);
		c->tail_len -= drop;
	}
	memcpy(c->tail + c->tail_len, buf, n);
	c->tail_len += n;
}

void load_cmd__pump(struct load_cmd *c)
{
	char buf[4096];
	ssize_t n;

	if (!c || c->out_fd < 0)
		return;
	while ((n = read(c->out_fd, buf, sizeof(buf))) > 0) {
		/* echoed to stderr: stdout is the report's */
		if (write(2, buf, (size_t)n) < 0) {
			/* memspy's stderr is gone: the report still keeps the tail */
		}
		keep(c, buf, (size_t)n);
	}
	if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
		close(c->out_fd);
		c->out_fd = -1;
	}
}

bool load_cmd__exited(struct load_cmd *c)
{
	if (c->exited)
		return true;
	if (waitpid(c->pid, &c->status, WNOHANG) == c->pid)
		c->exited = true;
	return c->exited;
}

/* Wait up to ms for it to exit, echoing its output. */
static bool wait_exit(struct load_cmd *c, int ms)
{
	struct timespec step = {0, 50 * 1000000L};

	for (int waited = 0; waited <= ms; waited += 50) {
		load_cmd__pump(c);
		if (load_cmd__exited(c))
			return true;
		nanosleep(&step, NULL);
	}
	return false;
}

void load_cmd__end(struct load_cmd *c, int sig, int grace_ms)
{
	if (!load_cmd__exited(c)) {
		c->sent = sig;
		kill(-c->pid, sig);
		if (!wait_exit(c, grace_ms) && sig != SIGTERM) {
			kill(-c->pid, SIGTERM);
			wait_exit(c, grace_ms);
		}
		if (!load_cmd__exited(c)) {
			kill(-c->pid, SIGKILL);
			if (waitpid(c->pid, &c->status, 0) == c->pid)
				c->exited = true;
		}
	}
	load_cmd__pump(c); /* what it wrote last */
}

void load_cmd__describe(const struct load_cmd *c, char *buf, size_t size)
{
	char sent[64] = "";

	if (c->sent)
		snprintf(sent, sizeof(sent), " (memspy sent it SIG%s at the end of the run)",
			 sigabbrev_np(c->sent) ? sigabbrev_np(c->sent) : "?");
	if (!c->exited)
		snprintf(buf, size, "still running%s", sent);
	else if (WIFSIGNALED(c->status))
		snprintf(buf, size, "killed by SIG%s%s",
			 sigabbrev_np(WTERMSIG(c->status)) ? sigabbrev_np(WTERMSIG(c->status))
							   : "?",
			 sent);
	else if (WEXITSTATUS(c->status) == 127 && !c->sent)
		snprintf(buf, size, "exited with status 127 (command not found?)");
	else
		snprintf(buf, size, "exited with status %d%s", WEXITSTATUS(c->status), sent);
}

const char *load_cmd__line(const struct load_cmd *c)
{
	return c->line;
}

const char *load_cmd__user(const struct load_cmd *c)
{
	return c->user;
}

void load_cmd__tail(const struct load_cmd *c, size_t max_lines, char *buf, size_t size)
{
	size_t end = c->tail_len, from, lines = 0;

	while (end > 0 && c->tail[end - 1] == '\n')
		end--;
	for (from = end; from > 0; from--)
		if (c->tail[from - 1] == '\n' && ++lines == max_lines)
			break;
	snprintf(buf, size, "%.*s", (int)(end - from), c->tail + from);
}

int load_cmd__exit_code(const struct load_cmd *c)
{
	if (!c || !c->exited || c->sent)
		return 0;
	if (WIFSIGNALED(c->status))
		return 128 + WTERMSIG(c->status);
	return WEXITSTATUS(c->status);
}

void load_cmd__free(struct load_cmd *c)
{
	if (!c)
		return;
	if (!load_cmd__exited(c)) {
		kill(-c->pid, SIGKILL);
		waitpid(c->pid, NULL, 0);
	}
	if (c->out_fd >= 0)
		close(c->out_fd);
	free(c);
}
