/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The symbolizer's front: a session's pc table and the symcache shared by the
 * processes of a run, in front of naming in the module (target_dwfl_names.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "symbolize/jitmap.h"
#include "symbolize/target_dwfl_impl.h"

/* The cache entry of pc from the session's pc table; NULL when not there. */
static struct symcache_entry *pc_find(const struct target_dwfl *t, uint64_t pc)
{
	uint64_t h = hash_u64(pc);
	size_t pos;

	for (uint32_t i = hashtab__first(&t->pcs_by_pc, h, &pos); i != MS_HASHTAB_NONE;
	     i = hashtab__next(&t->pcs_by_pc, h, &pos))
		if (t->pcs[i].pc == pc)
			return t->pcs[i].e;
	return NULL;
}

/* Remember e as pc's entry, absent so far. 0 or -ENOMEM. */
static int pc_add(struct target_dwfl *t, uint64_t pc, struct symcache_entry *e)
{
	if (t->npcs >= MS_HASHTAB_NONE - 1)
		return -ENOMEM;
	if (t->npcs == t->pcs_cap) {
		struct pc_entry *np = realloc(t->pcs, t->pcs_cap * 2 * sizeof(*np));

		if (!np)
			return -ENOMEM;
		t->pcs = np;
		t->pcs_cap *= 2;
	}
	if (hashtab__insert(&t->pcs_by_pc, hash_u64(pc), (uint32_t)t->npcs))
		return -ENOMEM;
	t->pcs[t->npcs++] = (struct pc_entry){.pc = pc, .e = e};
	return 0;
}

/* One allocation: the pointer array, then the strings it points at. */
static const char **pack_names(const struct name_list *l)
{
	size_t bytes = l->n * sizeof(char *);

	for (size_t i = 0; i < l->n; i++)
		bytes += strlen(l->names[i]) + 1;
	const char **out = malloc(bytes);
	if (!out)
		return NULL;
	char *s = (char *)(out + l->n);
	for (size_t i = 0; i < l->n; i++) {
		size_t len = strlen(l->names[i]) + 1;
		memcpy(s, l->names[i], len);
		out[i] = s;
		s += len;
	}
	return out;
}

/* The symcache this session names through: the shared one, else its own, made on
 * the first lookup. NULL on ENOMEM. */
static struct symcache *cache_of(struct target_dwfl *t)
{
	if (!t->cache)
		t->cache = t->own_cache = symcache__new();
	return t->cache;
}

/* mod's key in cache, found on its first address; false on ENOMEM. Offsets are
 * taken from the load bias, not the module's start: an address as the file has it
 * is the same in every process that maps the file, however its mappings were
 * reported, and is what "[module+0xoffset]" names print. */
static bool module_id_get(struct target_dwfl *t, struct symcache *cache, Dwfl_Module *mod,
			  struct module_id *out)
{
	for (size_t i = 0; i < t->nmodids; i++) {
		if (t->modids[i].mod == mod) {
			*out = t->modids[i];
			return true;
		}
	}
	struct module_id *nm = realloc(t->modids, (t->nmodids + 1) * sizeof(*nm));
	if (!nm)
		return false;
	t->modids = nm;
	const unsigned char *bits = NULL;
	GElf_Addr vaddr;
	/* First: libdwfl reads the build-id from the ELF file module_bias opens. */
	uint64_t bias = target_dwfl_module_bias(mod);
	int len = dwfl_module_build_id(mod, &bits, &vaddr);
	uint32_t id;
	if (symcache__module(cache, bits, len > 0 ? (size_t)len : 0, target_dwfl_module_name(mod), &id))
		return false;
	*out = (struct module_id){.mod = mod, .id = id, .bias = bias};
	t->modids[t->nmodids++] = *out;
	return true;
}

/* Symbolize pc in mod and add it to cache as (id, offset); NULL on ENOMEM. */
static struct symcache_entry *symbolize_new(struct target_dwfl *t, struct symcache *cache,
					    Dwfl_Module *mod, uint64_t pc, uint32_t id,
					    uint64_t offset)
{
	struct name_list l = {.n = 0};
	target_dwfl_naming_module(t, &mod, &pc);
	bool ok = target_dwfl_name_pc(t, mod, pc, &l);
	const char **packed = ok && l.n ? pack_names(&l) : NULL;
	size_t count = l.n;

	name_list_release(&l);
	return packed ? symcache__add(cache, id, offset, packed, count) : NULL;
}

static const char unknown_name[] = "[unknown]";
static const char unknown_jit_name[] = "[unknown]_[j]";

/* The cache entry of pc: through the session's pc table, else from the symcache
 * by module and offset (another process of the run may have named it), else
 * symbolized now. NULL for an address outside every module (with *outside set:
 * not cached, a JIT map may name it later) or when out of memory. */
static struct symcache_entry *sym_entry_get(struct target_dwfl *t, uint64_t pc, bool *outside)
{
	struct symcache_entry *e = pc_find(t, pc);
	struct module_id m;

	*outside = false;
	if (e)
		return e;
	Dwfl_Module *mod = target_dwfl_module_at(t, pc);
	if (!mod) {
		*outside = true;
		return NULL;
	}
	struct symcache *cache = cache_of(t);
	if (!cache || !module_id_get(t, cache, mod, &m))
		return NULL;
	e = symcache__find(cache, m.id, pc - m.bias);
	if (!e)
		e = symbolize_new(t, cache, mod, pc, m.id, pc - m.bias);
	/* Without room in the pc table, the symcache finds it again next time. */
	if (e)
		pc_add(t, pc, e);
	return e;
}

/* Name of an address without a cache entry: outside every module a JIT symbol,
 * or "[unknown]_[j]" in JIT code the map does not name, else (or out of memory)
 * "[unknown]". */
static const char *uncached_name(struct target_dwfl *t, uint64_t pc, bool outside)
{
	const char *name = outside ? jitmap__lookup(t->jit, pc) : NULL;

	if (!name && outside && target_dwfl_in_jit(t, pc))
		return unknown_jit_name;
	return name ? name : unknown_name;
}

size_t target_dwfl__symbolize(struct target_dwfl *t, uint64_t pc, const char **names, size_t max)
{
	if (!max)
		return 0;
	bool outside;
	struct symcache_entry *e = sym_entry_get(t, pc, &outside);
	if (!e) {
		names[0] = uncached_name(t, pc, outside);
		return 1;
	}
	size_t n = e->n < max ? e->n : max;
	memcpy(names, e->names, n * sizeof(*names));
	return n;
}

size_t target_dwfl__symbolize_loc(struct target_dwfl *t, uint64_t pc, struct frame_loc *out,
				  size_t max)
{
	if (!max)
		return 0;
	bool outside;
	struct symcache_entry *e = sym_entry_get(t, pc, &outside);
	if (!e) {
		out[0] = (struct frame_loc){.name = uncached_name(t, pc, outside)};
		return 1;
	}
	/* Located once per run: libdw's file strings are copied into the cache, as
	 * this session's Dwfl may go before another session reads them. */
	if (!e->locs) {
		/* e->n <= MS_MAX_INLINE_NAMES: every entry comes from a name_list. */
		struct frame_loc locs[MS_MAX_INLINE_NAMES];
		Dwfl_Module *mod = target_dwfl_module_at(t, pc);
		for (size_t i = 0; i < e->n; i++)
			locs[i] = (struct frame_loc){.inlined = i > 0};
		uint64_t npc = pc;
		if (mod) {
			target_dwfl_naming_module(t, &mod, &npc);
			target_dwfl_locate_pc(t, mod, npc, locs, e->n);
		}
		if (symcache__set_locs(t->cache, e, locs)) {
			out[0] = (struct frame_loc){.name = e->names[0]};
			return 1;
		}
	}
	size_t n = e->n < max ? e->n : max;
	memcpy(out, e->locs, n * sizeof(*out));
	return n;
}

/* Whether l holds exactly the names of e. */
static bool same_names(const struct name_list *l, const struct symcache_entry *e)
{
	if (l->n != e->n)
		return false;
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->names[i], e->names[i]))
			return false;
	return true;
}

void target_dwfl_rename_module(struct target_dwfl *t, Dwfl_Module *mod)
{
	struct symcache *cache = cache_of(t);
	struct module_id m;

	if (!cache || !module_id_get(t, cache, mod, &m))
		return;
	for (size_t i = 0; i < symcache__nr_entries(cache); i++) {
		struct symcache_entry *e = symcache__entry(cache, i);
		struct name_list l = {.n = 0};
		Dwfl_Module *nm = mod;
		uint64_t pc = e->offset + m.bias;

		if (e->module != m.id)
			continue;
		target_dwfl_naming_module(t, &nm, &pc);
		if (target_dwfl_name_pc(t, nm, pc, &l) && l.n && !same_names(&l, e)) {
			const char **packed = pack_names(&l);
			if (packed)
				symcache__rename(cache, e, packed, l.n);
		}
		name_list_release(&l);
	}
}

void target_dwfl__share_symcache(struct target_dwfl *t, struct symcache *c)
{
	/* Entries of the previous cache stay where they are (own_cache is freed with
	 * the session) but are no longer found: ids and pcs restart in c. */
	t->cache = c;
	t->nmodids = 0;
	hashtab__clear(&t->pcs_by_pc);
	t->npcs = 0;
}

void target_dwfl__scan_scopes(struct target_dwfl *t, bool on)
{
	t->scan_scopes = on;
}
