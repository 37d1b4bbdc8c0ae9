/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Symbolized addresses shared by the processes of a run, keyed by module and offset. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/hashtab.h"
#include "symbolize/symcache.h"

#define MS_SYMCACHE_MIN_ENTRIES 512
#define MS_SYMCACHE_CHUNK	256 /* entries allocated at once, a power of two */

struct module_key {
	unsigned char *build_id; /* NULL: a private module, never matched */
	size_t len;
	char *name;
};

/* Interned strings: each keeps its address until the pool is released, which is
 * all locations need. */
struct strpool {
	char **strs;
	size_t n, cap;
	struct hashtab by_str;
};

struct symcache {
	struct module_key *modules; /* indexed by module id */
	size_t nmodules, cap_modules;
	struct hashtab by_key; /* entries by (module, offset) */
	/* Entries in chunks that never move, so sessions keep pointers to them. */
	struct symcache_entry **chunks;
	size_t nentries, nchunks, cap_chunks;
	struct strpool files;	/* interned file strings of the locations */
	const char *last_file;	/* the last one interned */
	size_t shared_hits;
	/* Entries named anew since the last symcache__clear_renames; their old
	 * names and locations stay allocated until symcache__free, as promised. */
	struct symcache_rename *renames;
	size_t nrenames, cap_renames;
	void **retired;
	size_t nretired, cap_retired;
};

struct symcache *symcache__new(void)
{
	struct symcache *c = calloc(1, sizeof(*c));

	if (!c)
		goto fail;
	if (hashtab__init(&c->by_key, MS_SYMCACHE_MIN_ENTRIES, 0) ||
	    hashtab__init(&c->files.by_str, 64, 0))
		goto fail;
	return c;
fail:
	symcache__free(c);
	errno = ENOMEM;
	return NULL;
}

static struct symcache_entry *entry_at(const struct symcache *c, size_t i)
{
	return &c->chunks[i / MS_SYMCACHE_CHUNK][i % MS_SYMCACHE_CHUNK];
}

void symcache__free(struct symcache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nmodules; i++) {
		free(c->modules[i].build_id);
		free(c->modules[i].name);
	}
	free(c->modules);
	for (size_t i = 0; i < c->nentries; i++) {
		free(entry_at(c, i)->names);
		free(entry_at(c, i)->locs);
	}
	for (size_t i = 0; i < c->nchunks; i++)
		free(c->chunks[i]);
	free(c->chunks);
	hashtab__fini(&c->by_key);
	for (size_t i = 0; i < c->files.n; i++)
		free(c->files.strs[i]);
	free(c->files.strs);
	hashtab__fini(&c->files.by_str);
	for (size_t i = 0; i < c->nretired; i++)
		free(c->retired[i]);
	free(c->retired);
	free(c->renames);
	free(c);
}

int symcache__module(struct symcache *c, const unsigned char *build_id, size_t len,
		     const char *name, uint32_t *id)
{
	/* Linear: called once per module and process, against the few hundred distinct
	 * modules of a run. */
	for (size_t i = 0; build_id && len && i < c->nmodules; i++) {
		const struct module_key *m = &c->modules[i];
		if (m->build_id && m->len == len && !memcmp(m->build_id, build_id, len) &&
		    !strcmp(m->name, name)) {
			*id = (uint32_t)i;
			return 0;
		}
	}
	if (c->nmodules >= UINT32_MAX)
		return -ENOMEM;
	if (c->nmodules == c->cap_modules) {
		size_t nc = c->cap_modules ? c->cap_modules * 2 : 32;
		struct module_key *nm = realloc(c->modules, nc * sizeof(*nm));
		if (!nm)
			return -ENOMEM;
		c->modules = nm;
		c->cap_modules = nc;
	}
	struct module_key m = {.len = build_id ? len : 0, .name = strdup(name)};
	if (m.len && (m.build_id = malloc(len)))
		memcpy(m.build_id, build_id, len);
	if (!m.name || (m.len && !m.build_id)) {
		free(m.name);
		free(m.build_id);
		return -ENOMEM;
	}
	c->modules[c->nmodules] = m;
	*id = (uint32_t)c->nmodules++;
	return 0;
}

static uint64_t key_hash(uint32_t module, uint64_t offset)
{
	return hash_u64(offset ^ hash_u64(module));
}

struct symcache_entry *symcache__find(struct symcache *c, uint32_t module, uint64_t offset)
{
	uint64_t h = key_hash(module, offset);
	size_t pos;

	for (uint32_t i = hashtab__first(&c->by_key, h, &pos); i != MS_HASHTAB_NONE;
	     i = hashtab__next(&c->by_key, h, &pos)) {
		struct symcache_entry *e = entry_at(c, i);

		if (e->offset == offset && e->module == module) {
			c->shared_hits++;
			return e;
		}
	}
	return NULL;
}

/* Room for one more entry. */
static int reserve(struct symcache *c)
{
	if (c->nentries >= UINT32_MAX - 1)
		return -ENOMEM;
	if (c->nentries < c->nchunks * MS_SYMCACHE_CHUNK)
		return 0;
	if (c->nchunks == c->cap_chunks) {
		size_t nc = c->cap_chunks ? c->cap_chunks * 2 : 16;
		struct symcache_entry **np = realloc(c->chunks, nc * sizeof(*np));
		if (!np)
			return -ENOMEM;
		c->chunks = np;
		c->cap_chunks = nc;
	}
	struct symcache_entry *chunk = malloc(MS_SYMCACHE_CHUNK * sizeof(*chunk));
	if (!chunk)
		return -ENOMEM;
	c->chunks[c->nchunks++] = chunk;
	return 0;
}

struct symcache_entry *symcache__add(struct symcache *c, uint32_t module, uint64_t offset,
				     const char **names, size_t n)
{
	if (n > UINT32_MAX || reserve(c) ||
	    hashtab__insert(&c->by_key, key_hash(module, offset), (uint32_t)c->nentries)) {
		free(names);
		return NULL;
	}
	struct symcache_entry *e = entry_at(c, c->nentries++);
	*e = (struct symcache_entry){
	    .offset = offset, .module = module, .n = (uint32_t)n, .names = names};
	return e;
}

/* The pool's copy of str, added when absent; NULL on ENOMEM. */
static const char *strpool_intern(struct strpool *p, const char *str)
{
	uint64_t h = hash_bytes(str, strlen(str), 0);
	size_t pos;

	for (uint32_t i = hashtab__first(&p->by_str, h, &pos); i != MS_HASHTAB_NONE;
	     i = hashtab__next(&p->by_str, h, &pos))
		if (!strcmp(p->strs[i], str))
			return p->strs[i];
	if (p->n >= MS_HASHTAB_NONE - 1)
		return NULL;
	if (p->n == p->cap) {
		size_t nc = p->cap ? p->cap * 2 : 64;
		char **ns = realloc(p->strs, nc * sizeof(*ns));
		if (!ns)
			return NULL;
		p->strs = ns;
		p->cap = nc;
	}
	char *copy = strdup(str);
	if (!copy || hashtab__insert(&p->by_str, h, (uint32_t)p->n)) {
		free(copy);
		return NULL;
	}
	p->strs[p->n++] = copy;
	return copy;
}

int symcache__set_locs(struct symcache *c, struct symcache_entry *e, const struct frame_loc *locs)
{
	if (e->locs)
		return 0;
	struct frame_loc *own = malloc(e->n * sizeof(*own));
	if (!own)
		return -ENOMEM;
	for (uint32_t i = 0; i < e->n; i++) {
		own[i] = locs[i];
		own[i].name = e->names[i];
		/* Levels of one address, and addresses near each other, mostly share a
		 * file: a comparison then saves hashing the path. */
		if (!locs[i].file || (c->last_file && !strcmp(locs[i].file, c->last_file))) {
			own[i].file = locs[i].file ? c->last_file : NULL;
			continue;
		}
		const char *file = strpool_intern(&c->files, locs[i].file);
		if (!file) {
			free(own);
			return -ENOMEM;
		}
		own[i].file = c->last_file = file;
	}
	e->locs = own;
	return 0;
}

void symcache__stats(const struct symcache *c, size_t *named, size_t *shared_hits)
{
	*named = c->nentries;
	*shared_hits = c->shared_hits;
}

size_t symcache__nr_entries(const struct symcache *c)
{
	return c->nentries;
}

struct symcache_entry *symcache__entry(struct symcache *c, size_t i)
{
	return i < c->nentries ? entry_at(c, i) : NULL;
}

/* Room for one more element in an array of elem-sized ones. */
static int grow(void **arr, size_t *cap, size_t n, size_t elem)
{
	if (n < *cap)
		return 0;
	size_t nc = *cap ? *cap * 2 : 64;
	void *na = realloc(*arr, nc * elem);
	if (!na)
		return -ENOMEM;
	*arr = na;
	*cap = nc;
	return 0;
}

int symcache__rename(struct symcache *c, struct symcache_entry *e, const char **names, size_t n)
{
	if (n > UINT32_MAX ||
	    grow((void **)&c->renames, &c->cap_renames, c->nrenames, sizeof(*c->renames)) ||
	    grow((void **)&c->retired, &c->cap_retired, c->nretired + 1, sizeof(*c->retired))) {
		free(names);
		return -ENOMEM;
	}
	c->renames[c->nrenames++] =
	    (struct symcache_rename){.e = e, .old_names = e->names, .old_n = e->n};
	c->retired[c->nretired++] = (void *)e->names;
	if (e->locs)
		c->retired[c->nretired++] = e->locs;
	e->names = names;
	e->n = (uint32_t)n;
	e->locs = NULL;
	return 0;
}

size_t symcache__renames(const struct symcache *c, const struct symcache_rename **out)
{
	*out = c->renames;
	return c->nrenames;
}

void symcache__clear_renames(struct symcache *c)
{
	c->nrenames = 0;
}
