// SPDX-License-Identifier: GPL-2.0-or-later
/* One injection session: the ptrace stops of a borrowed thread, from its
 * interrupt to its release (inject.h; README.md has why each step is safe). */
#include "inject/inject.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "inject/die_at.h"
#include "inject/gadgets.h"
#include "inject/pick.h"
#include "inject/sigframe.h"

#ifndef NT_X86_XSTATE
#define NT_X86_XSTATE 0x202
#endif
#define NT_PRFPREG	       2
#define XSTATE_MAX	       (64 * 1024)
#define XSTATE_BV_OFFSET       512
#define RESTORE_RT_SYSCALL_END 9 /* mov $15,%rax; syscall: rip after it */
#define SYSCALL_INSN_LEN       2
#define MAX_RESEND	       8
#define EFLAGS_DF	       0x400

struct inject {
	pid_t pid, tid;
	long nr;		       /* what pick saw the thread in */
	struct user_regs_struct saved; /* the thread's own registers */
	uint64_t saved_mask;	       /* its own signal mask */
	uint8_t *xstate;	       /* its extended state, never written back */
	size_t xstate_len;
	struct inject_gadgets g;
	struct sigframe_layout fl;
	uint8_t *frame; /* the bytes written at fl.frame */
	size_t frame_len;
	struct __ptrace_syscall_info sc; /* the last syscall stop */
	bool armed;			 /* its registers point into the chain */
	bool at_base;			 /* at the entry stop of our rt_sigreturn */
	bool in_get_signal;		 /* at a stop inside get_signal (restore point) */
	bool released;			 /* detached already */
	bool gone;			 /* the thread exited */
	int resend[MAX_RESEND];		 /* signals stopped on the way, sent again at the end */
	int nresend;
	uint64_t t_stop, t_release;
	const char *restart;
	bool rewound; /* an epoll wait the interrupt ended, set to run again */
};

static long pt(struct inject *in, enum __ptrace_request req, void *addr, void *data)
{
	errno = 0;
	if (ptrace(req, in->tid, addr, data) == -1 && errno)
		return -errno;
	return 0;
}

/* Wait for the thread's next stop; -ESRCH when it exited. timeout_ms < 0 waits
 * as long as it takes. */
static int wait_stop(struct inject *in, int timeout_ms, int *status)
{
	uint64_t deadline = clock_now_ns() + (uint64_t)(timeout_ms < 0 ? 0 : timeout_ms) * 1000000;
	long pause_ns = 20000;

	for (;;) {
		pid_t r = waitpid(in->tid, status, __WALL | (timeout_ms < 0 ? 0 : WNOHANG));

		if (r == in->tid) {
			if (WIFEXITED(*status) || WIFSIGNALED(*status)) {
				in->gone = true;
				return -ESRCH;
			}
			return 0;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			in->gone = errno == ECHILD;
			return -errno;
		}
		if (clock_now_ns() >= deadline)
			return -ETIMEDOUT;
		nanosleep(&(struct timespec){0, pause_ns}, NULL);
		if (pause_ns < 1000000)
			pause_ns *= 2;
	}
}

static bool is_syscall_stop(int status)
{
	return WIFSTOPPED(status) && WSTOPSIG(status) == (SIGTRAP | 0x80);
}

static bool is_event_stop(int status)
{
	return WIFSTOPPED(status) && (status >> 16) == PTRACE_EVENT_STOP;
}

static bool is_fault(const siginfo_t *si)
{
	int s = si->si_signo;

	return si->si_code > 0 &&
	       (s == SIGSEGV || s == SIGBUS || s == SIGILL || s == SIGFPE || s == SIGTRAP);
}

static void keep_for_resend(struct inject *in, int sig)
{
	for (int i = 0; i < in->nresend; i++)
		if (in->resend[i] == sig)
			return; /* a standard signal is pending once */
	if (in->nresend < MAX_RESEND)
		in->resend[in->nresend++] = sig;
}

/* The details of the syscall stop the thread is in, into in->sc. */
static long syscall_info(struct inject *in)
{
	long n = ptrace(PTRACE_GET_SYSCALL_INFO, in->tid, (void *)sizeof(in->sc), &in->sc);

	return n < 0 ? -errno : 0;
}

/* Resume with PTRACE_SYSCALL until the next syscall stop, whose details land in
 * in->sc. Group stops and late interrupt stops are passed through; a signal is
 * held back to be sent again at the end, except a fault, which means the
 * injected code crashed: then -EFAULT with the thread kept in that stop, inside
 * get_signal, where it can be put back. */
static int step(struct inject *in, uint64_t deadline_ns)
{
	int status, err;

	in->in_get_signal = false;
	if ((err = pt(in, PTRACE_SYSCALL, NULL, 0)))
		return err;
	for (;;) {
		int left = deadline_ns ? (int)((deadline_ns - clock_now_ns()) / 1000000) : -1;
		siginfo_t si;

		if (deadline_ns && clock_now_ns() >= deadline_ns)
			return -ETIMEDOUT;
		if ((err = wait_stop(in, left, &status)))
			return err;
		if (is_syscall_stop(status))
			return (int)syscall_info(in);
		if (!is_event_stop(status)) {
			if ((err = pt(in, PTRACE_GETSIGINFO, NULL, &si)))
				return err;
			if (is_fault(&si)) {
				in->in_get_signal = true;
				return -EFAULT;
			}
			keep_for_resend(in, WSTOPSIG(status));
		}
		if ((err = pt(in, PTRACE_SYSCALL, NULL, 0)))
			return err;
	}
}

static bool at_rt_sigreturn(const struct inject *in)
{
	return in->sc.op == PTRACE_SYSCALL_INFO_ENTRY && in->sc.entry.nr == SYS_rt_sigreturn &&
	       in->sc.instruction_pointer == in->g.restore_rt + RESTORE_RT_SYSCALL_END &&
	       in->sc.stack_pointer == in->fl.frame + sizeof(uint64_t);
}

static int read_xstate(struct inject *in, uint8_t **buf, size_t *len)
{
	struct iovec iov;

	*buf = malloc(XSTATE_MAX);
	if (!*buf)
		return -ENOMEM;
	iov = (struct iovec){*buf, XSTATE_MAX};
	/* without XSAVE, the FXSAVE image: the frame then carries legacy state */
	if (pt(in, PTRACE_GETREGSET, (void *)NT_X86_XSTATE, &iov)) {
		int err;

		iov = (struct iovec){*buf, XSTATE_MAX};
		if ((err = (int)pt(in, PTRACE_GETREGSET, (void *)NT_PRFPREG, &iov))) {
			free(*buf);
			return err;
		}
	}
	*len = iov.iov_len;
	return 0;
}

static void unwind_if_signalled(struct inject *in);
static int read_target(struct inject *in, uint64_t addr, void *buf, size_t len);

/* The thread's registers and mask back, then release it: only at a stop inside
 * get_signal, where the kernel then applies its own restart to the registers
 * (for a timed sleep, with its restart block still intact). Mask first: dying
 * between the two leaves the thread on the chain, which ends in rt_sigreturn. */
static int restore_and_detach(struct inject *in)
{
	int err;

	if ((err = pt(in, PTRACE_SETSIGMASK, (void *)sizeof(in->saved_mask), &in->saved_mask)))
		return err;
	inject_die_at(INJECT_DIE_restore_stop);
	unwind_if_signalled(in);
	if ((err = pt(in, PTRACE_SETREGS, NULL, &in->saved)))
		return err;
	inject_die_at(INJECT_DIE_restored);
	for (int i = 0; i < in->nresend; i++)
		syscall(SYS_tgkill, in->pid, in->tid, in->resend[i]);
	in->t_release = clock_now_ns();
	err = pt(in, PTRACE_DETACH, NULL, 0);
	in->released = true;
	in->restart = "exact";
	return err;
}

/* Interrupt the seized thread and wait for its interrupt stop. A signal that
 * reaches the thread first was taken from its queue: deliver it at once. */
static int interrupt_stop(struct inject *in)
{
	int status, err;

	if ((err = pt(in, PTRACE_INTERRUPT, NULL, NULL)))
		return err;
	for (;;) {
		/* no time limit: the stop is already requested, and a thread left
		 * seized would stop for good later with no one to release it */
		if ((err = wait_stop(in, -1, &status)))
			return err;
		if (is_event_stop(status))
			return 0;
		if (is_syscall_stop(status))
			return -EPROTO;
		if ((err = pt(in, PTRACE_CONT, NULL, (void *)(long)WSTOPSIG(status))))
			return err;
	}
}

/* The signals waiting for the thread or its process that its own mask lets
 * through: any of them would have ended an epoll wait with EINTR anyway. */
static bool signal_waiting(const struct inject *in)
{
	char path[64], line[128];
	uint64_t pending = 0, v;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", in->pid, in->tid);
	f = fopen(path, "r");
	if (!f)
		return true; /* unknown: let the program see what the kernel said */
	while (fgets(line, sizeof(line), f))
		if ((sscanf(line, "SigPnd: %" SCNx64, &v) == 1 ||
		     sscanf(line, "ShdPnd: %" SCNx64, &v) == 1))
			pending |= v;
	fclose(f);
	return (pending & ~in->saved_mask) != 0;
}

/*
 * An interrupt that lands in epoll_wait ends it with EINTR, which the program
 * would see (the kernel restarts read, futex, poll... but not epoll waits).
 * Put the thread back on its syscall instruction with the call's number, as the
 * kernel does for the calls it restarts: resumed, it waits again with the same
 * arguments. Right after the interrupt stop, so that a memspy killed from here
 * on leaves the wait to run again. Only when no signal is waiting (one would end
 * the wait anyway, and the program may count on that EINTR to look at a flag its
 * handler set), and, unless the wait has no timeout, only for a thread pick saw
 * elsewhere an instant before: its wait began after that, so waiting its whole
 * timeout again is late by that instant at most.
 */
static int rewind_epoll(struct inject *in)
{
	struct user_regs_struct r;
	unsigned long long args[6];
	uint8_t insn[SYSCALL_INSN_LEN];
	long nr;
	int err;

	if ((err = pt(in, PTRACE_GETREGS, NULL, &r)) ||
	    (err = pt(in, PTRACE_GETSIGMASK, (void *)sizeof(in->saved_mask), &in->saved_mask)))
		return err;
	nr = (long)r.orig_rax;
	args[0] = r.rdi, args[1] = r.rsi, args[2] = r.rdx;
	args[3] = r.r10, args[4] = r.r8, args[5] = r.r9;
	if (nr < 0 || (long)r.rax != -EINTR || !pick_epoll_restartable(nr, args) ||
	    (in->nr == nr && !pick_epoll_endless(nr, args)) || signal_waiting(in) ||
	    read_target(in, r.rip - SYSCALL_INSN_LEN, insn, sizeof(insn)) || insn[0] != 0x0f ||
	    insn[1] != 0x05)
		return 0;
	r.rax = r.orig_rax;
	r.rip -= SYSCALL_INSN_LEN;
	if ((err = pt(in, PTRACE_SETREGS, NULL, &r)))
		return err;
	in->rewound = true;
	return 0;
}

/* At the end: a signal that came meanwhile would have ended the wait, so the
 * program gets the EINTR after all (its handler runs as the thread resumes). */
static void unwind_if_signalled(struct inject *in)
{
	struct sigframe_context *sc;

	if (!in->rewound || !signal_waiting(in))
		return;
	in->rewound = false;
	in->saved.rax = (unsigned long long)-EINTR;
	in->saved.rip += SYSCALL_INSN_LEN;
	if (in->frame) {
		/* the frame rt_sigreturn restores from, should the thread go that way */
		sc = &((struct sigframe *)in->frame)->uc.uc_mcontext;
		sc->rax = in->saved.rax;
		sc->rip = in->saved.rip;
	}
	if (!in->armed)
		pt(in, PTRACE_SETREGS, NULL, &in->saved);
}

static int save_state(struct inject *in, char *why, size_t len)
{
	int err;

	if ((err = pt(in, PTRACE_GETREGS, NULL, &in->saved)) ||
	    (err = pt(in, PTRACE_GETSIGMASK, (void *)sizeof(in->saved_mask), &in->saved_mask)) ||
	    (err = read_xstate(in, &in->xstate, &in->xstate_len))) {
		snprintf(why, len, "cannot read the state of thread %d: %s", in->tid,
			 strerror(-err));
		return err;
	}
	return 0;
}

static int write_target(struct inject *in, uint64_t addr, const void *buf, size_t len)
{
	struct iovec local = {(void *)buf, len}, remote = {(void *)addr, len};
	ssize_t n = process_vm_writev(in->pid, &local, 1, &remote, 1, 0);

	return n == (ssize_t)len ? 0 : n < 0 ? -errno : -EFAULT;
}

static int read_target(struct inject *in, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = {buf, len}, remote = {(void *)addr, len};
	ssize_t n = process_vm_readv(in->pid, &local, 1, &remote, 1, 0);

	return n == (ssize_t)len ? 0 : n < 0 ? -errno : -EFAULT;
}

static int write_frame(struct inject *in, char *why, size_t len)
{
	size_t xsize;
	uint64_t features;
	int err = sigframe_xstate_size(in->xstate, in->xstate_len, &xsize, &features);

	if (!err) {
		sigframe_layout(in->saved.rsp, xsize, &in->fl);
		err = sigframe_build(
		    &(struct sigframe_state){in->saved, in->saved_mask, in->xstate, in->xstate_len},
		    &in->fl, in->g.restore_rt, &in->frame, &in->frame_len);
	}
	if (err) {
		snprintf(why, len,
			 "cannot build a signal frame for thread %d (extended state of %zu bytes)",
			 in->tid, in->xstate_len);
		return err;
	}
	err = write_target(in, in->fl.frame, in->frame, in->frame_len);
	if (err)
		snprintf(why, len,
			 "no room for a %zu-byte signal frame on the stack of thread %d: %s",
			 in->frame_len, in->tid, strerror(-err));
	return err;
}

/* The frame as written (uc_stack as the first call filled it), apart from the
 * scratch area: checked before rt_sigreturn is trusted with it. */
static bool frame_intact(struct inject *in)
{
	uint8_t *now = malloc(in->frame_len);
	bool same;

	if (!now || read_target(in, in->fl.frame, now, in->frame_len)) {
		free(now);
		return false;
	}
	memcpy(now + (in->fl.scratch - in->fl.frame), in->frame + (in->fl.scratch - in->fl.frame),
	       INJECT_SCRATCH);
	same = !memcmp(now, in->frame, in->frame_len);
	free(now);
	return same;
}

/* Registers for the next operation, from the thread's own (fs base and all). */
static struct user_regs_struct chain_regs(const struct inject *in, uint64_t rip)
{
	struct user_regs_struct r = in->saved;

	r.rip = rip;
	r.rsp = in->fl.frame;
	r.eflags &= ~(unsigned long long)EFLAGS_DF; /* the ABI's direction flag */
	return r;
}

/* Start the chain from the interrupt stop: the thread's first operation is
 * sigaltstack(NULL, &frame->uc.uc_stack), which rt_sigreturn needs to find
 * there. Ends at the entry stop of the chain's first rt_sigreturn. */
static int arm(struct inject *in, char *why, size_t len)
{
	struct user_regs_struct r = chain_regs(in, in->g.syscall_ret);
	uint64_t all = ~0ull;
	int err;

	r.rax = SYS_sigaltstack;
	r.orig_rax = -1; /* no restart of the interrupted call on the way out */
	r.rdi = 0;
	r.rsi = in->fl.frame + offsetof(struct sigframe, uc.uc_stack);
	/* registers first: dying before the mask is blocked leaves a thread that
	 * runs the chain with its own mask; the reverse would leave it blocked */
	if ((err = pt(in, PTRACE_SETREGS, NULL, &r)))
		goto fail;
	in->armed = true;
	inject_die_at(INJECT_DIE_regs_set);
	if ((err = pt(in, PTRACE_SETSIGMASK, (void *)sizeof(all), &all)))
		goto fail;
	inject_die_at(INJECT_DIE_mask_blocked);
	if ((err = step(in, 0)) || in->sc.op != PTRACE_SYSCALL_INFO_ENTRY ||
	    in->sc.entry.nr != SYS_sigaltstack)
		goto lost;
	inject_die_at(INJECT_DIE_syscall_entry);
	if ((err = step(in, 0)) || in->sc.op != PTRACE_SYSCALL_INFO_EXIT || in->sc.exit.rval != 0)
		goto lost;
	inject_die_at(INJECT_DIE_syscall_exit);
	if ((err = step(in, 0)) || !at_rt_sigreturn(in))
		goto lost;
	in->at_base = true;
	/* keep the sigaltstack as the kernel wrote it, to check the frame later */
	read_target(in, r.rsi, in->frame + offsetof(struct sigframe, uc.uc_stack),
		    sizeof(struct sigframe_stack));
	return 0;
lost:
	err = err ? err : -EPROTO;
fail:
	snprintf(why, len, "lost track of thread %d while arming it: %s", in->tid, strerror(-err));
	return err;
}

/* The thread stopped; nothing changed yet: frame, registers, chain. */
static int prepare(struct inject *in, char *why, size_t len)
{
	int err = save_state(in, why, len);

	if (err)
		return err;
	if (sigframe_restart_of(&in->saved) == SIGFRAME_UNSAFE) {
		snprintf(why, len, "thread %d is in restart_syscall", in->tid);
		return -EAGAIN;
	}
	if ((err = write_frame(in, why, len)))
		return err;
	inject_die_at(INJECT_DIE_frame_written);
	return arm(in, why, len);
}

static void session_free(struct inject *in)
{
	free(in->xstate);
	free(in->frame);
	free(in);
}

/* Seize, interrupt and prepare one picked thread. NULL with why on failure;
 * *retry set when another try may do better. */
static struct inject *try_thread(pid_t pid, const struct pick *p, const struct inject_gadgets *g,
				 bool *retry, char *why, size_t len)
{
	struct inject *in = calloc(1, sizeof(*in));
	int err;

	*retry = false;
	if (!in) {
		snprintf(why, len, "out of memory");
		return NULL;
	}
	*in = (struct inject){.pid = pid, .tid = p->tid, .nr = p->nr, .g = *g};
	if (ptrace(PTRACE_SEIZE, in->tid, NULL, (void *)(long)PTRACE_O_TRACESYSGOOD)) {
		*retry = errno == ESRCH;
		snprintf(why, len, "cannot trace thread %d of pid %d: %s", in->tid, pid,
			 strerror(errno));
		free(in);
		return NULL;
	}
	inject_die_at(INJECT_DIE_seized);
	err = interrupt_stop(in);
	if (err) {
		*retry = err == -ESRCH;
		snprintf(why, len, "thread %d of pid %d did not stop: %s", in->tid, pid,
			 strerror(-err));
		session_free(in);
		return NULL;
	}
	in->t_stop = clock_now_ns();
	err = rewind_epoll(in);
	if (err) {
		*retry = err == -ESRCH;
		snprintf(why, len, "cannot read thread %d of pid %d: %s", in->tid, pid,
			 strerror(-err));
		inject_end(in, NULL);
		return NULL;
	}
	inject_die_at(INJECT_DIE_interrupted);
	err = prepare(in, why, len);
	if (err) {
		*retry = err == -EAGAIN;
		inject_end(in, NULL);
		return NULL;
	}
	return in;
}

struct inject *inject_begin(pid_t pid, const struct inject_opts *opts, char *why, size_t len)
{
	int wait_ms = opts && opts->wait_ms > 0 ? opts->wait_ms : 2000;
	uint64_t deadline = clock_now_ns() + (uint64_t)wait_ms * 1000000;
	struct inject_gadgets g;
	struct pick p;

	if (pick_check_process(pid, why, len) || gadgets_find(pid, &g, why, len))
		return NULL;
	for (;;) {
		/* the second half of the wait also takes a thread seen running at
		 * one instant (an event loop's, between its epoll waits, busy
		 * mostly in the kernel): should the interrupt land in its next
		 * epoll wait, rewind_epoll runs that wait again */
		bool any_running = clock_now_ns() + (uint64_t)wait_ms * 500000 >= deadline;
		int err = pick_thread(pid, opts ? opts->thread : NULL, any_running, &p, why, len);
		bool retry = err == -EAGAIN;

		if (!err) {
			struct inject *in = try_thread(pid, &p, &g, &retry, why, len);

			if (in)
				return in;
		}
		if (!retry || clock_now_ns() >= deadline)
			return NULL;
		nanosleep(&(struct timespec){0, 5 * 1000000}, NULL);
	}
}

int inject_syscall(struct inject *in, long nr, const long args[6], long *ret)
{
	struct user_regs_struct r = chain_regs(in, in->g.syscall_ret + SYSCALL_INSN_LEN);
	int err;

	if (!in->at_base)
		return -EPROTO;
	/* at rt_sigreturn's entry stop: run nr instead; its return lands on the
	 * gadget's ret, which goes back to __restore_rt */
	r.orig_rax = nr;
	r.rax = -ENOSYS;
	r.rdi = args[0], r.rsi = args[1], r.rdx = args[2];
	r.r10 = args[3], r.r8 = args[4], r.r9 = args[5];
	in->at_base = false;
	if ((err = pt(in, PTRACE_SETREGS, NULL, &r)))
		return err;
	inject_die_at(INJECT_DIE_syscall_entry);
	if ((err = step(in, 0)))
		return err;
	if (in->sc.op != PTRACE_SYSCALL_INFO_EXIT)
		return -EPROTO;
	*ret = (long)in->sc.exit.rval;
	inject_die_at(INJECT_DIE_syscall_exit);
	if ((err = step(in, 0)))
		return err;
	if (!at_rt_sigreturn(in))
		return -EPROTO;
	in->at_base = true;
	return 0;
}

/* Bring the thread to a stop inside get_signal, where its own registers can go
 * back through ptrace and the kernel's restart logic still runs after. An
 * interrupt is satisfied by whichever ptrace stop comes next, a syscall stop
 * included (checked: with PTRACE_SYSCALL the exit stop of the call under way
 * took it), so the thread is resumed with PTRACE_CONT and interrupted again
 * after any syscall stop. A signal-delivery stop is also inside get_signal: its
 * signal is held back and sent again at the end. stopped: the thread is in a
 * ptrace stop now (else it runs). */
static int stop_in_get_signal(struct inject *in, bool stopped)
{
	int status, err;
	siginfo_t si;

	for (;;) {
		if ((err = pt(in, PTRACE_INTERRUPT, NULL, NULL)))
			return err;
		if (stopped && (err = pt(in, PTRACE_CONT, NULL, 0)))
			return err;
		if ((err = wait_stop(in, -1, &status)))
			return err;
		stopped = true;
		if (is_event_stop(status))
			break;
		if (is_syscall_stop(status))
			continue;
		if (!pt(in, PTRACE_GETSIGINFO, NULL, &si) && !is_fault(&si))
			keep_for_resend(in, WSTOPSIG(status));
		break;
	}
	in->at_base = false;
	in->in_get_signal = true;
	return 0;
}

/* A call overran: stop the thread wherever it is and put it back there. */
static int abandon(struct inject *in)
{
	int err = stop_in_get_signal(in, false);

	return err ? err : restore_and_detach(in);
}

int inject_call(struct inject *in, uint64_t fn, uint64_t arg, int timeout_ms)
{
	uint64_t deadline =
	    clock_now_ns() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 5000) * 1000000;
	struct user_regs_struct r = chain_regs(in, fn);
	int err;

	if (!in->at_base)
		return -EPROTO;
	r.orig_rax = -1; /* skip the rt_sigreturn, jump to fn with __restore_rt as its return */
	r.rax = 0;
	r.rdi = arg;
	in->at_base = false;
	if ((err = pt(in, PTRACE_SETREGS, NULL, &r)))
		return err;
	inject_die_at(INJECT_DIE_call_entry);
	do {
		/* the function's own system calls stop here too: run them through */
		err = step(in, deadline);
	} while (!err && !at_rt_sigreturn(in));
	if (err == -ETIMEDOUT) {
		ms_err("function %#llx in pid %d did not return within %d ms: thread %d put back",
		       (unsigned long long)fn, in->pid, timeout_ms > 0 ? timeout_ms : 5000,
		       in->tid);
		abandon(in);
		return -ETIMEDOUT;
	}
	if (err)
		return err;
	in->at_base = true;
	inject_die_at(INJECT_DIE_called);
	return 0;
}

uint64_t inject_scratch(const struct inject *in)
{
	return in->fl.scratch;
}

pid_t inject_pid(const struct inject *in)
{
	return in->pid;
}

pid_t inject_tid(const struct inject *in)
{
	return in->tid;
}

/* Whether the thread's extended state is as it was at the stop: the registers
 * can then go back through ptrace (which never writes extended state). The
 * header's XSTATE_BV may differ for unchanged values (init optimisation). */
static bool xstate_unchanged(struct inject *in)
{
	uint8_t *now;
	size_t len;
	bool same;

	if (read_xstate(in, &now, &len))
		return false;
	same = len == in->xstate_len && len > XSTATE_BV_OFFSET + 8 &&
	       !memcmp(now, in->xstate, XSTATE_BV_OFFSET) &&
	       !memcmp(now + XSTATE_BV_OFFSET + 8, in->xstate + XSTATE_BV_OFFSET + 8,
		       len - XSTATE_BV_OFFSET - 8);
	if (len == 512) /* FXSAVE only: no header */
		same = len == in->xstate_len && !memcmp(now, in->xstate, len);
	free(now);
	return same;
}

/* From rt_sigreturn's entry stop to a stop inside get_signal: run a harmless
 * getpid whose return still leads to rt_sigreturn (if memspy dies now), with an
 * interrupt pending; the interrupt stop comes on the way back to user space. */
static int exact_restore(struct inject *in)
{
	struct user_regs_struct r = chain_regs(in, in->g.syscall_ret + SYSCALL_INSN_LEN);
	int err;

	r.orig_rax = SYS_getpid;
	if ((err = pt(in, PTRACE_SETREGS, NULL, &r)))
		return err;
	inject_die_at(INJECT_DIE_restoring);
	if ((err = stop_in_get_signal(in, true)))
		return err;
	return restore_and_detach(in);
}

/* 0 while the thread is ours and stopped, -ESRCH once it is gone. */
static int still_traced(struct inject *in)
{
	uint64_t mask;

	return pt(in, PTRACE_GETSIGMASK, (void *)sizeof(mask), &mask);
}

static void fill_report(const struct inject *in, struct inject_report *report)
{
	static char buf[32];

	if (!report)
		return;
	*report = (struct inject_report){
	    .tid = in->tid,
	    .syscall = (long)in->saved.orig_rax,
	    .state =
		pick_state_name((long)in->saved.orig_rax < 0 ? PICK_USER : (long)in->saved.orig_rax,
				buf, sizeof(buf)),
	    .restart = in->restart ? in->restart : "none",
	    .stopped_ns = in->t_release > in->t_stop ? in->t_release - in->t_stop : 0,
	    .resignaled = in->nresend,
	};
}

int inject_end(struct inject *in, struct inject_report *report)
{
	int err = 0;

	if (!in)
		return 0;
	/* the process may have exited meanwhile (a SIGTERM handled by another
	 * thread): nothing to put back then, and nothing to warn about */
	if (!in->gone && syscall(SYS_tgkill, in->pid, in->tid, 0))
		in->gone = true;
	if (in->gone) {
		err = -ESRCH;
	} else if (in->released) {
		err = 0; /* put back already, by an abandoned call */
	} else if (!in->armed) {
		/* still at its interrupt stop, untouched but for memory below its stack */
		unwind_if_signalled(in);
		in->t_release = clock_now_ns();
		err = pt(in, PTRACE_DETACH, NULL, 0);
		in->released = true;
		in->restart = "exact";
	} else if (in->in_get_signal) {
		err = restore_and_detach(in); /* a fault in the injected code */
	} else if (in->at_base && xstate_unchanged(in)) {
		err = exact_restore(in);
	} else {
		err = -EAGAIN;
	}
	if (err && err != -EAGAIN && !in->released && !in->gone && still_traced(in) == -ESRCH)
		in->gone = true; /* exited during the restore */
	if (err == -EAGAIN || (err && !in->released && !in->gone)) {
		/* rt_sigreturn restores the thread from its frame once let go */
		for (int i = 0; i < in->nresend; i++)
			syscall(SYS_tgkill, in->pid, in->tid, in->resend[i]);
		in->t_release = clock_now_ns();
		if (!in->at_base)
			ms_warn(
			    "thread %d of pid %d released in the middle of an injected operation",
			    in->tid, in->pid);
		unwind_if_signalled(in);
		/* nothing of the target should write there, but rt_sigreturn is
		 * about to trust it: put it back if something did (or the EINTR
		 * above changed it) */
		if (!frame_intact(in) && write_target(in, in->fl.frame, in->frame, in->frame_len))
			ms_warn("cannot rewrite the signal frame of thread %d of pid %d", in->tid,
				in->pid);
		err = pt(in, PTRACE_DETACH, NULL, 0);
		in->restart = "sigreturn";
	}
	fill_report(in, report);
	session_free(in);
	return err;
}
