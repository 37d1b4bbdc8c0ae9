/* SPDX-License-Identifier: GPL-2.0-or-later */
/* CPython's allocator domains listed as the in-process agent's pointer slots. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "python/python_domains.h"
#include "run/python_slots.h"
#include "target/procmaps.h"
#include "target/procmem.h"

/* One domain: its hooks, field by field. */
struct domain_hooks {
	int domain;	 /* PY_DOMAIN_MEM or PY_DOMAIN_OBJ */
	uint32_t ids[4]; /* enum ms_agent_hook of its malloc, calloc, realloc, free */
};

static const struct domain_hooks domains[] = {
    {PY_DOMAIN_MEM,
     {MS_HOOK_PYMEM_MALLOC, MS_HOOK_PYMEM_CALLOC, MS_HOOK_PYMEM_REALLOC, MS_HOOK_PYMEM_FREE}},
    {PY_DOMAIN_OBJ,
     {MS_HOOK_PYOBJ_MALLOC, MS_HOOK_PYOBJ_CALLOC, MS_HOOK_PYOBJ_REALLOC, MS_HOOK_PYOBJ_FREE}},
};

static const uint32_t fields[4] = {PY_DOMAIN_MALLOC, PY_DOMAIN_CALLOC, PY_DOMAIN_REALLOC,
				   PY_DOMAIN_FREE};

/* The original field value v (hook id) gets: v itself, or for a hook of an
 * earlier attach the original it had; 0 when the field must be left alone. */
static uint64_t original_of(uint64_t v, uint32_t id, const struct python_slots_agent *ag)
{
	uint64_t prev = ag->prev_orig[id];

	if (v == ag->hooks[id])
		return prev;
	if (v >= ag->start && v < ag->end)
		return 0;
	return !prev || v == prev ? v : 0;
}

/* Whether an original is a function of the module (file) the domains live in. */
static bool in_module(const struct procmaps *maps, const struct map_entry *dom, uint64_t fn)
{
	const struct map_entry *e = procmaps_find(maps, fn);

	return e && dom->path[0] && e->inode == dom->inode && e->dev_major == dom->dev_major &&
	       e->dev_minor == dom->dev_minor && !strcmp(e->path, dom->path);
}

/* The four slots of the domain at addr into out, their originals into orig and its
 * ctx into *ctx. 0, or -errno with why. */
static int domain_slots(pid_t pid, const struct procmaps *maps, uint64_t addr,
			const struct domain_hooks *d, const struct python_slots_agent *ag,
			struct alloc_slot out[4], uint64_t orig[4], uint64_t *ctx, char *why,
			size_t len)
{
	const struct map_entry *e = procmaps_find(maps, addr);
	uint64_t f[PY_DOMAIN_SIZE / 8];

	if (!e || procmem_read(pid, addr, f, sizeof(f))) {
		snprintf(why, len, "its allocator domain at %#" PRIx64 " cannot be read", addr);
		return -EIO;
	}
	*ctx = f[0];
	/* the agent stores into the field itself, mprotecting the page if need be */
	uint32_t prot =
	    (e->perms[0] == 'r' ? PROT_READ : 0) | (e->perms[1] == 'w' ? PROT_WRITE : 0);
	for (int i = 0; i < 4; i++) {
		uint64_t v = f[fields[i] / 8];
		orig[i] = original_of(v, d->ids[i], ag);
		if (!orig[i]) {
			snprintf(why, len,
				 "its allocator domain at %#" PRIx64 " was wrapped since "
				 "an earlier memspy hooked it (tracemalloc?), or still calls the "
				 "sampler of one killed before removing it",
				 addr);
			return -EBUSY;
		}
		out[i] = (struct alloc_slot){
		    .addr = addr + fields[i], .value = v, .hook = d->ids[i], .prot = prot};
	}
	return 0;
}

/* Whether the module mapped at e calls free through a slot the agent hooks: where
 * pymalloc hands on the frees of blocks it did not give (the raw domain's free,
 * _PyMem_RawFree, is in the module too). */
static bool frees_hooked(const struct alloc_slots *slots, const struct map_entry *e)
{
	for (size_t i = 0; i < slots->n; i++) {
		const struct alloc_slot *s = &slots->slots[i];
		if (s->hook == MS_HOOK_FREE && s->module < slots->nr_modules &&
		    !strcmp(slots->modules[s->module].path, e->path))
			return true;
	}
	return false;
}

/*
 * Whether the mem and obj domains are CPython's own pymalloc, untouched: the same
 * four functions in both, no ctx, functions of the module that holds the domains
 * (an extension's allocator would be in its own), and the free fields not our
 * hooks (an agent an earlier attach left in a wrapper's keeping); the raw domain
 * CPython's own too (no ctx, its functions in the module, none of them pymalloc's:
 * PYTHONMALLOC=malloc puts malloc's wrappers in all three), and the module's
 * calls of free hooked. pymalloc's free then takes any block the raw domain gave,
 * handing it to malloc's free: the debug hooks, tracemalloc (both with a ctx),
 * mimalloc (other functions per domain) and an embedder's raw allocator do not.
 */
static bool plain_pymalloc(pid_t pid, const struct procmaps *maps, const uint64_t dom[3],
			   const struct alloc_slot add[8], const uint64_t orig[8],
			   const uint64_t ctx[2], const struct python_slots_agent *ag,
			   const struct alloc_slots *slots)
{
	const struct map_entry *e = procmaps_find(maps, dom[PY_DOMAIN_MEM]);
	uint64_t raw[PY_DOMAIN_SIZE / 8];

	if (!e || ctx[0] || ctx[1] || !dom[PY_DOMAIN_RAW] || !frees_hooked(slots, e) ||
	    procmem_read(pid, dom[PY_DOMAIN_RAW], raw, sizeof(raw)) || raw[0])
		return false;
	for (int i = 0; i < 4; i++)
		if (orig[i] != orig[4 + i] || !in_module(maps, e, orig[i]) ||
		    !in_module(maps, e, raw[1 + i]) || raw[1 + i] == orig[i])
			return false;
	return add[3].value != ag->hooks[add[3].hook] && add[7].value != ag->hooks[add[7].hook];
}

int python_slots_add(pid_t pid, const uint64_t dom[3], const struct python_slots_agent *agent,
		     bool small_to_malloc, struct alloc_slots *slots, uint32_t *small_max,
		     bool *writable, char *why, size_t len)
{
	struct alloc_slot add[8]; /* mem's four, then obj's */
	uint64_t orig[8], ctx[2];
	struct procmaps maps;
	int err = procmaps_read(pid, &maps);
	size_t n = 8;

	*small_max = 0;
	*writable = false;
	if (err) {
		snprintf(why, len, "cannot read its maps: %s", strerror(-err));
		return err;
	}
	for (size_t k = 0; k < 2 && !err; k++)
		err = domain_slots(pid, &maps, dom[domains[k].domain], &domains[k], agent,
				   add + 4 * k, orig + 4 * k, &ctx[k], why, len);
	if (!err && small_to_malloc &&
	    plain_pymalloc(pid, &maps, dom, add, orig, ctx, agent, slots)) {
		/* the free fields stay pymalloc's: obj's malloc, calloc, realloc after
		 * mem's three */
		memmove(add + 3, add + 4, 3 * sizeof(add[0]));
		memmove(orig + 3, orig + 4, 3 * sizeof(orig[0]));
		n = 6;
		*small_max = PY_SMALL_MAX;
	}
	procmaps_release(&maps);
	if (err)
		return err;
	*writable = (add[0].prot & PROT_WRITE) && (add[4 - (n == 6)].prot & PROT_WRITE);
	/* all or nothing: a domain half hooked would see blocks allocated and not
	 * their frees, or the reverse (the free fields left to pymalloc are not
	 * that: the blocks sampled there go to malloc, whose frees are seen) */
	err = alloc_slots_add(slots, add, orig, n);
	if (err) {
		*small_max = 0;
		snprintf(why, len, "out of memory");
	}
	return err;
}
