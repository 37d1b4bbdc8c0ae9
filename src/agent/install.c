/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Switching the allocator's pointer slots to the hooks and back, from inside the
 * target: one aligned 8-byte store per slot, which no other thread can see torn. */
#include "agent/agent.h"

#define SYS_MPROTECT 10
#define PROT_WRITE_ 0x2
#define PAGE_MASK_ (~(__u64)4095)

/* Store val into slot s's word, making its page writable around the store when
 * memspy found it read-only (RELRO). 0 or -errno. */
static long slot_store(const struct ms_agent_slot *s, __u64 val)
{
	__u64 page = s->addr & PAGE_MASK_;
	long err;

	if (!(s->prot & PROT_WRITE_)) {
		err = agent_syscall3(SYS_MPROTECT, (long)page, 4096, (long)(s->prot | PROT_WRITE_));
		if (err)
			return err;
	}
	__atomic_store_n((__u64 *)s->addr, val, __ATOMIC_RELEASE);
	if (!(s->prot & PROT_WRITE_))
		agent_syscall3(SYS_MPROTECT, (long)page, 4096, (long)s->prot);
	return 0;
}

/* ------------------------------------------------------------ Python windows */

#define SYS_CLOCK_GETTIME 228

__u64 agent_clock_ns(long clock)
{
	struct {
		__s64 sec, nsec;
	} ts = {0, 0};

	agent_syscall3(SYS_CLOCK_GETTIME, clock, (long)&ts, 0);
	return (__u64)ts.sec * 1000000000ull + (__u64)ts.nsec;
}

/* A window opens now (the fields hooked already). */
static void window_opened(struct ms_agent_py *py, __u64 now)
{
	py->window_start = now ? now : agent_clock_ns(AGENT_CLOCK_MONOTONIC);
	py->window_cpu = agent_clock_ns(AGENT_CLOCK_PROCESS_CPU);
	if (!py->window_cpu)
		py->window_cpu = 1; /* 0 says none open */
	py->windows++;
}

/* The open window closes now: its CPU time counts, up to its share of 3
 * window_us of wall time (agent_abi.h, skipped_cpu_ns). */
static void window_closed(struct ms_agent_py *py, __u64 now)
{
	__u64 cpu, wall, cap = 3ull * py->window_us * 1000;

	if (!py->window_cpu)
		return;
	cpu = agent_clock_ns(AGENT_CLOCK_PROCESS_CPU) - py->window_cpu;
	wall = (now ? now : agent_clock_ns(AGENT_CLOCK_MONOTONIC)) - py->window_start;
	if (cap && wall > cap && py->window_start) {
		__u64 kept = cpu / wall * cap + cpu % wall * cap / wall;

		py->skipped_cpu_ns += cpu - kept;
		cpu = kept;
	}
	py->hooked_cpu_ns += cpu;
	py->window_cpu = 0;
	py->window_start = 0;
}

/* Called by memspy (src/inject) once the control block is filled. Slots go in
 * memspy's order, releases first, so that no sampled block is handed out before
 * its free is hooked. The result goes to install_result: the return value of a
 * function run by the injector is lost. */
AGENT_EXPORT void ms_agent_install(struct ms_agent_ctl *ctl)
{
	int hooked = 0;

	if (!ctl)
		ctl = &ms_agent_ctl;
	if (ctl->magic != MS_AGENT_MAGIC || ctl->abi != MS_AGENT_ABI ||
	    ctl->nr_slots > MS_AGENT_MAX_SLOTS) {
		ctl->install_result = -22; /* EINVAL */
		return;
	}
	/* counting starts before the first slot points here */
	__atomic_store_n(&ctl->enabled, 1, __ATOMIC_RELEASE);
	for (__u32 i = 0; i < ctl->nr_slots; i++) {
		struct ms_agent_slot *s = &ctl->slots[i];

		if (s->state == MS_SLOT_HOOKED || !s->addr || (s->addr & 7) || !s->hook)
			continue;
		s->old = __atomic_load_n((__u64 *)s->addr, __ATOMIC_ACQUIRE);
		long err = slot_store(s, s->hook);
		s->err = (__s32)err;
		s->state = err ? MS_SLOT_FAILED : MS_SLOT_HOOKED;
		hooked += !err;
	}
	/* the first window is open from now, the fields hooked */
	if (ctl->py.shift && !ctl->installs && ctl == &ms_agent_ctl)
		window_opened(&ctl->py, 0);
	ctl->installs++;
	ctl->install_result = hooked;
}

/* ------------------------------------------------------------ Python windows */

/* The fields windows switch: the domains' malloc and calloc. Their frees stay
 * pymalloc's, their reallocs hooked throughout: far fewer calls, and ones that a
 * pure Python loop, which calls no malloc, still makes (a list growing), so that
 * a window memspy asks for opens on time (agent_abi.h). */
static int is_windowed(__u32 id)
{
	return id == MS_HOOK_PYMEM_MALLOC || id == MS_HOOK_PYMEM_CALLOC ||
	       id == MS_HOOK_PYOBJ_MALLOC || id == MS_HOOK_PYOBJ_CALLOC;
}

/* Each hooked allocation field from what it held to the hook (open) or back, by
 * compare-and-swap: a field the program rewrote meanwhile (tracemalloc wrapping
 * it, say) is left to it. The number left so. */
static int py_switch(int open)
{
	int changed = 0;

	for (__u32 i = 0; i < ms_agent_ctl.nr_slots; i++) {
		struct ms_agent_slot *s = &ms_agent_ctl.slots[i];
		__u64 from = open ? s->old : s->hook;

		if (s->state != MS_SLOT_HOOKED || !is_windowed(s->id))
			continue;
		__u64 to = open ? s->hook : s->old;

		/* switched already: another thread got the same request (agent_abi.h) */
		if (!__atomic_compare_exchange_n((__u64 *)s->addr, &from, to, 0, __ATOMIC_ACQ_REL,
						 __ATOMIC_ACQUIRE) &&
		    from != to)
			changed++;
	}
	return changed;
}

/* Windows switch only the domains' fields that hold a function of the module
 * that holds them, written in place (memspy enables them only for writable
 * fields: no mprotect here). A field the program changed stops Python sampling
 * for the rest of the attach (off): its estimates would be off by the windows'
 * share, and a wrapper may hold a hook it can no longer take back. A window
 * that cannot open all four puts back those it switched and stays closed. */
static void switch_window(__u32 ask, __u64 now)
{
	struct ms_agent_py *py = &ms_agent_ctl.py;

	if (ask == MS_PY_WINDOW_OPEN && py->parked && !py->off) {
		if (py_switch(1)) {
			py_switch(0);
			py->off = 1;
			return;
		}
		window_opened(py, now);
		py->parked = 0;
	} else if (ask == MS_PY_WINDOW_CLOSE && !py->parked) {
		if (py_switch(0))
			py->off = 1;
		window_closed(py, now);
		py->parked = 1;
	}
}

/* The switching, for this thread: 1, or 0 when another thread has it (it does
 * what is asked) or removal took it. Nothing ever waits for it in a hook. */
static int take_switching(void)
{
	__u64 none = 0;

	return __atomic_compare_exchange_n(&ms_agent_ctl.py.switching, &none, agent_tp(), 0,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static void give_switching(void)
{
	__atomic_store_n(&ms_agent_ctl.py.switching, 0, __ATOMIC_RELEASE);
}

void agent_py_window(void)
{
	if (!take_switching())
		return;
	__u32 ask = __atomic_load_n(&ms_agent_ctl.py_window, __ATOMIC_ACQUIRE);
	switch_window(ask & MS_PY_WINDOW_ASK, 0);
	__atomic_store_n(&ms_agent_ctl.py_window_done, ask, __ATOMIC_RELEASE);
	give_switching();
}

/* After a sample (its trap costs microseconds: a clock read more is nothing):
 * close the window if it is older than window_us, which a busy process's windows
 * then never outlast, however late memspy looks. */
void agent_py_window_check(void)
{
	struct ms_agent_py *py = &ms_agent_ctl.py;
	__u64 now;

	if (!py->shift || !py->window_us || py->parked || !py->window_start)
		return;
	now = agent_clock_ns(AGENT_CLOCK_MONOTONIC);
	if (now - py->window_start < (__u64)py->window_us * 1000 || !take_switching())
		return;
	switch_window(MS_PY_WINDOW_CLOSE, now);
	give_switching();
}

/* Spins of the pause instruction removal waits for a thread switching a window
 * (microseconds of work): about a quarter of a second. */
#define DONE_SPINS (1u << 22)

/* No window opens or closes from now on: the switching taken for good, and the
 * open window's time counted. 0, or -EAGAIN (-11) when the thread running this
 * is the one switching (the injector stopped it there) or another one takes too
 * long: memspy then tries again. */
static int py_windows_done(void)
{
	for (__u32 spins = 0;; spins++) {
		__u64 v = __atomic_load_n(&ms_agent_ctl.py.switching, __ATOMIC_ACQUIRE);

		if (v == MS_PY_SWITCH_DONE)
			break;
		if (!v) {
			if (__atomic_compare_exchange_n(&ms_agent_ctl.py.switching, &v,
							MS_PY_SWITCH_DONE, 0, __ATOMIC_ACQUIRE,
							__ATOMIC_RELAXED))
				break;
			continue;
		}
		if (v == agent_tp() || spins >= DONE_SPINS)
			return -11;
		__builtin_ia32_pause();
	}
	window_closed(&ms_agent_ctl.py, 0);
	return 0;
}

/* ------------------------------------------------------------ removal */

/* Put back what each slot held, in the reverse order, where the slot still holds
 * our hook (a lazy binding or the program itself may have changed it since; a
 * Python field between windows holds what it held already); then stop sampling.
 * The mapping stays: a thread may still be inside a hook, and a pointer to a hook
 * may have been copied. */
AGENT_EXPORT void ms_agent_remove(struct ms_agent_ctl *ctl)
{
	int restored = 0;

	if (!ctl)
		ctl = &ms_agent_ctl;
	if (ctl->magic != MS_AGENT_MAGIC || ctl->nr_slots > MS_AGENT_MAX_SLOTS) {
		ctl->remove_result = -22;
		return;
	}
	if (ctl == &ms_agent_ctl && py_windows_done()) {
		ctl->remove_result = -11; /* EAGAIN */
		return;
	}
	for (__u32 i = ctl->nr_slots; i-- > 0;) {
		struct ms_agent_slot *s = &ctl->slots[i];
		__u64 now;

		if (s->state != MS_SLOT_HOOKED)
			continue;
		now = __atomic_load_n((__u64 *)s->addr, __ATOMIC_ACQUIRE);
		if (now == s->old && is_windowed(s->id)) {
			s->state = MS_SLOT_RESTORED; /* between windows */
			restored++;
			continue;
		}
		if (now != s->hook) {
			s->state = MS_SLOT_CHANGED;
			continue;
		}
		long err = slot_store(s, s->old);
		s->err = (__s32)err;
		if (!err) {
			s->state = MS_SLOT_RESTORED;
			restored++;
		}
	}
	__atomic_store_n(&ctl->enabled, 0, __ATOMIC_RELEASE);
	ctl->remove_result = restored;
}
