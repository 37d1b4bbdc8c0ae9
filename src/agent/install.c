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
	ctl->installs++;
	ctl->install_result = hooked;
}

/* Put back what each slot held, in the reverse order, where the slot still holds
 * our hook (a lazy binding or the program itself may have changed it since); then
 * stop sampling. The mapping stays: a thread may still be inside a hook, and a
 * pointer to a hook may have been copied. */
AGENT_EXPORT void ms_agent_remove(struct ms_agent_ctl *ctl)
{
	int restored = 0;

	if (!ctl)
		ctl = &ms_agent_ctl;
	if (ctl->magic != MS_AGENT_MAGIC || ctl->nr_slots > MS_AGENT_MAX_SLOTS) {
		ctl->remove_result = -22;
		return;
	}
	for (__u32 i = ctl->nr_slots; i-- > 0;) {
		struct ms_agent_slot *s = &ctl->slots[i];

		if (s->state != MS_SLOT_HOOKED)
			continue;
		if (__atomic_load_n((__u64 *)s->addr, __ATOMIC_ACQUIRE) != s->hook) {
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
