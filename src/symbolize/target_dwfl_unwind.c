/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unwinding a captured user stack with libdwfl: dwfl_attach_state with memory and
 * register callbacks that read the sample's copy, never the live target. */
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "symbolize/jitmap.h"
#include "memspy/events.h"
#include "symbolize/target_dwfl_impl.h"

_Static_assert(MS_NR_REGS == 17, "libdwfl's x86_64 backend unwinds DWARF registers 0..16");

/* A garbage pc (wrong unwind) is outside every mapping too; re-reading the maps for
 * each one would cost more than the unwinds themselves. */
#define MS_REFRESH_MIN_NS 20000000ull

/* Backed by a file whose bytes cannot have changed since capture. */
static bool is_ro_file(const struct map_entry *m)
{
	return map_entry_is_file(m) && m->perms[1] != 'w';
}

static pid_t cb_next_thread(Dwfl *dwfl, void *dwfl_arg, void **thread_argp)
{
	struct target_dwfl *t = dwfl_arg;

	/* One pseudo-thread: whatever sample is being unwound. */
	if (*thread_argp)
		return 0;
	*thread_argp = t;
	return t->pid;
}

static bool cb_get_thread(Dwfl *dwfl, pid_t tid, void *dwfl_arg, void **thread_argp)
{
	*thread_argp = dwfl_arg;
	return true;
}

static bool cb_memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *dwfl_arg)
{
	struct target_dwfl *t = dwfl_arg;
	const struct cur_sample *c = &t->cur;

	for (size_t i = 0; i < c->nr_fix; i++) {
		if (c->fix_slots[i] == addr) {
			*result = c->fix_addrs[i];
			return true;
		}
	}

	/* Unsigned wrap turns addresses below sp into huge offsets. */
	uint64_t off = addr - c->sp;
	if (c->stack && c->len >= sizeof(*result) && off <= c->len - sizeof(*result)) {
		memcpy(result, c->stack + off, sizeof(*result));
		return true;
	}
	/* A frame pointer that is no frame pointer must not read code as a frame. */
	if (c->stack_only) {
		t->cur.read_failed = true;
		return false;
	}
	/* Read-only file mappings hold the same bytes now as at capture time; anything
	 * else (heap, other stacks) may have changed since, so it is not read. */
	const struct map_entry *m = t->mem_fd >= 0 ? procmaps_find(&t->maps, addr) : NULL;
	if (m && is_ro_file(m) && addr <= m->end - sizeof(*result) &&
	    pread(t->mem_fd, result, sizeof(*result), (off_t)addr) == sizeof(*result))
		return true;
	t->cur.read_failed = true;
	return false;
}

static bool cb_set_initial_registers(Dwfl_Thread *thread, void *thread_arg)
{
	struct target_dwfl *t = thread_arg;
	const uint64_t *regs = t->cur.regs;

	_Static_assert(sizeof(Dwarf_Word) == sizeof(regs[0]), "register width");
	if (!dwfl_thread_state_registers(thread, 0, MS_NR_REGS, (const Dwarf_Word *)regs))
		return false;
	dwfl_thread_state_register_pc(thread, regs[MS_REG_IP]);
	return true;
}

static const Dwfl_Thread_Callbacks thread_callbacks = {
    .next_thread = cb_next_thread,
    .get_thread = cb_get_thread,
    .memory_read = cb_memory_read,
    .set_initial_registers = cb_set_initial_registers,
};

bool target_dwfl_attach_unwinder(struct target_dwfl *t)
{
	/* Fails only when no module's ELF can be opened to pick the unwinder. */
	return dwfl_attach_state(t->dwfl, NULL, t->pid, &thread_callbacks, t);
}

struct unwind_ctx {
	struct target_dwfl *t;
	uint64_t *pcs;
	size_t max;
	size_t n;
	bool first_is_return_address;
	bool outside; /* stopped at a pc no module covers */
	uint64_t outside_pc;
	bool bad_step; /* a step went down the stack or out of code */
	uint64_t last_sp;
};

/* Whether the frame at pc is where a sound step could lead: above the frame
 * before on the stack, and in code (a pc in no mapping is left to the caller,
 * which may re-read the maps). libdwfl's frame-pointer step (its x86_64 fallback
 * where there is no CFI) only checks the first. */
static bool step_ok(struct unwind_ctx *u, Dwfl_Frame *frame, uint64_t pc)
{
	const struct map_entry *m = procmaps_find(&u->t->maps, pc);
	Dwarf_Word sp;

	if (m && m->perms[2] != 'x')
		return false;
	if (dwfl_frame_reg(frame, MS_REG_SP, &sp) != 0)
		return true;
	if (u->n > 0 && sp <= u->last_sp)
		return false;
	u->last_sp = sp;
	return true;
}

/* Whether pc lies in an inaccessible anonymous mapping: V8 reserves its code
 * range that way and makes pages of it executable as JIT code and its copy of
 * the embedded builtins fill them, so a snapshot taken before holds
 * reservation where the sample's frames now run. */
static bool in_reservation(const struct target_dwfl *t, uint64_t pc)
{
	const struct map_entry *m = procmaps_find(&t->maps, pc);

	return m && !map_entry_is_file(m) && !strncmp(m->perms, "---", 3);
}

static int frame_cb(Dwfl_Frame *frame, void *arg)
{
	struct unwind_ctx *u = arg;
	struct target_dwfl *t = u->t;
	Dwarf_Addr pc;
	bool isactivation;

	t->cur.stack_only = false;
	if (!dwfl_frame_pc(frame, &pc, &isactivation))
		return DWARF_CB_ABORT;
	/* A return address points after the call, possibly into the next function. */
	if (!isactivation || (u->n == 0 && u->first_is_return_address))
		pc--;
	if (!step_ok(u, frame, pc)) {
		/* In a reservation the snapshot saw: maybe code made since, so the
		 * caller re-reads the maps and unwinds again. */
		if (in_reservation(t, pc)) {
			u->outside = true;
			u->outside_pc = pc;
		} else {
			u->bad_step = true;
		}
		return DWARF_CB_ABORT;
	}
	if (!target_dwfl_module_at(t, pc)) {
		/* JIT code has no module and no CFI: libdwfl's next step follows
		 * the frame pointer (V8 keeps one), reading only
		 * the copied stack. Its frames are named from the JIT map. */
		if (!jitmap__lookup(t->jit, pc) && !target_dwfl_in_jit(t, pc)) {
			u->outside = true;
			u->outside_pc = pc;
			return DWARF_CB_ABORT;
		}
		t->cur.stack_only = true;
	}
	u->pcs[u->n++] = pc;
	return u->n < u->max ? DWARF_CB_OK : DWARF_CB_ABORT;
}

/* Worth re-reading the maps: the pc lies in no mapping the last snapshot knew (a
 * library loaded since) or in a reservation (in_reservation); JIT code in a
 * known executable anonymous mapping would not gain. */
static bool should_refresh(struct target_dwfl *t, uint64_t pc)
{
	if (procmaps_find(&t->maps, pc) && !in_reservation(t, pc))
		return false;
	uint64_t now = clock_now_ns();
	if (t->last_refresh_ns && now - t->last_refresh_ns < MS_REFRESH_MIN_NS)
		return false;
	t->last_refresh_ns = now;
	return true;
}

/* Whether pc lies in the function a thread starts in: glibc's clone3 child
 * path marks the end of the stack (.cfi_undefined rip) only a few instructions
 * in, and start_thread's caller is clone3, so a stack that ends there lost
 * nothing. Named by symbol (libc's .symtab, from libc6-dbg): without one, an
 * outermost frame there still counts as truncated. */
static bool is_thread_start(struct target_dwfl *t, uint64_t pc)
{
	static const char *const roots[] = {"clone", "__clone", "clone3", "__clone3",
					    "start_thread"};
	Dwfl_Module *mod = target_dwfl_module_at(t, pc);
	const char *name = mod ? dwfl_module_addrname(mod, pc) : NULL;

	if (!name)
		return false;
	size_t len = strcspn(name, "@"); /* a versioned .symtab name */
	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++)
		if (strlen(roots[i]) == len && !strncmp(name, roots[i], len))
			return true;
	return false;
}

size_t target_dwfl__unwind(struct target_dwfl *t, pid_t tid, const uint64_t *regs,
			   const void *stack, size_t len, bool first_is_return_address,
			   uint64_t *pcs, size_t max, bool *complete)
{
	return target_dwfl__unwind_ex(t, tid, regs, stack, len, NULL, first_is_return_address,
				      pcs, max, complete);
}

size_t target_dwfl__unwind_ex(struct target_dwfl *t, pid_t tid, const uint64_t *regs,
			      const void *stack, size_t len, const struct unwind_extras *x,
			      bool first_is_return_address, uint64_t *pcs, size_t max,
			      bool *complete)
{
	struct unwind_ctx u = {
	    .t = t,
	    .pcs = pcs,
	    .max = max,
	    .first_is_return_address = first_is_return_address,
	};
	int r;

	*complete = false;
	t->stopped_in_jit = false;
	if (!max)
		return 0;
	t->cur = (struct cur_sample){
	    .regs = regs,
	    .stack = stack,
	    .sp = x && x->stack_start ? x->stack_start : regs[MS_REG_SP],
	    .len = stack ? len : 0,
	    .fix_slots = x ? x->fix_slots : NULL,
	    .fix_addrs = x ? x->fix_addrs : NULL,
	    .nr_fix = x ? x->nr_fix : 0,
	};
	r = dwfl_getthread_frames(t->dwfl, tid, frame_cb, &u);
	if (u.outside && should_refresh(t, u.outside_pc) && target_dwfl__refresh(t) == 0 &&
	    (target_dwfl_module_at(t, u.outside_pc) || target_dwfl_in_jit(t, u.outside_pc))) {
		u.n = 0;
		u.outside = false;
		u.bad_step = false;
		t->cur.read_failed = false;
		t->cur.stack_only = false;
		r = dwfl_getthread_frames(t->dwfl, tid, frame_cb, &u);
	}
	/* 0 when the CFI left the return address undefined (the outermost frame), but
	 * also when it could not be read: only a run without failed reads is complete.
	 * Our own aborts return DWARF_CB_ABORT, errors -1. */
	*complete = r == 0 && !t->cur.read_failed && !u.outside && !u.bad_step && u.n > 0;
	/* a thread's first frame ends its stack, whatever the CFI says there */
	if (!*complete && u.n > 0)
		*complete = is_thread_start(t, pcs[u.n - 1]);
	/* Only JIT frames lie outside every module. */
	t->stopped_in_jit =
	    !*complete && u.n > 0 && u.n < max && !target_dwfl_module_at(t, pcs[u.n - 1]);
	t->cur = (struct cur_sample){0};
	return u.n;
}

bool target_dwfl__stopped_in_jit(const struct target_dwfl *t)
{
	return t->stopped_in_jit;
}
