/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Per-CU interval index of DWARF scopes: the answer of dwarf_getscopes without
 * walking the CU's DIE tree for every address. */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <dwarf.h>

#include "base/hashtab.h"
#include "symbolize/dwarf_index.h"

/* Scope nesting walked in one CU; deeper scopes (malformed DWARF) are not
 * descended into, so the walk's recursion stays bounded. */
#define DWX_MAX_DEPTH 256
/* Nested DW_TAG_imported_unit levels followed (dwz output nests a few). */
#define DWX_MAX_IMPORTS 16
/* DIEs one CU's walk may visit: a bound on the time a malformed CU can cost. */
#define DWX_MAX_DIES  (1u << 24)
#define DWX_MIN_CUS   32
/* Scratch entries kept between builds; a walk that needed more gives them back. */
#define DWX_KEEP_SCRATCH 4096

/* A DIE whose ranges may hold a pc: what dwarf_getscopes can return. Node 0 is
 * the CU itself, the root of the search. */
struct dwx_node {
	Dwarf_Die die;
	uint32_t up;	/* the node of its parent DIE; 0 at the top of its unit */
	uint32_t kids;	/* the ranges of the nodes directly inside it: ranges[kids..] */
	uint32_t nkids; /* ... how many; 0 when its children are not searched */
};

/* One address range of a node; a group is the ranges of one node's children,
 * sorted by lo. */
struct dwx_range {
	uint64_t lo, hi;
	uint64_t maxhi; /* the highest hi from the group's first range up to this one */
	uint32_t node;
	uint32_t group; /* the node it is nested in, as searched (imports included) */
};

/* One CU's index, looked up by the address of its CU DIE's data. */
struct dwx_cu {
	const void *key; /* the CU DIE's data */
	struct dwx_node *nodes;
	struct dwx_range *ranges;
	size_t bytes;	   /* nodes and ranges; 0 when not built (or evicted) */
	uint64_t last_use; /* the index's tick at the last lookup */
	int err;	   /* the CU cannot be indexed (-E2BIG): not tried again */
};

/* What a walk collects: nodes in DIE order, ranges in the order found. */
struct builder {
	struct dwx_node *nodes;
	size_t nnodes, nodes_cap;
	struct dwx_range *ranges;
	size_t nranges, ranges_cap;
	size_t dies; /* visited so far */
	int err;
};

struct dwarf_index {
	struct dwx_cu *cus; /* every CU looked up so far */
	size_t ncus, cap;
	struct hashtab by_key;
	size_t bytes, max_bytes;
	uint64_t tick;
	size_t builds;
	struct builder scratch; /* reused by every build: one CU's worth at a time */
};

struct dwarf_index *dwarf_index__new(size_t max_bytes)
{
	struct dwarf_index *x = calloc(1, sizeof(*x));

	if (!x)
		return NULL;
	x->cap = DWX_MIN_CUS;
	x->cus = malloc(x->cap * sizeof(*x->cus));
	if (!x->cus || hashtab__init(&x->by_key, x->cap, 0)) {
		free(x->cus);
		free(x);
		errno = ENOMEM;
		return NULL;
	}
	x->max_bytes = max_bytes;
	return x;
}

static void cu_release(struct dwarf_index *x, struct dwx_cu *c)
{
	free(c->nodes);
	free(c->ranges);
	c->nodes = NULL;
	c->ranges = NULL;
	x->bytes -= c->bytes;
	c->bytes = 0;
}

void dwarf_index__free(struct dwarf_index *x)
{
	if (!x)
		return;
	for (size_t i = 0; i < x->ncus; i++)
		cu_release(x, &x->cus[i]);
	free(x->cus);
	hashtab__fini(&x->by_key);
	free(x->scratch.nodes);
	free(x->scratch.ranges);
	free(x);
}

size_t dwarf_index__bytes(const struct dwarf_index *x)
{
	return x ? x->bytes : 0;
}

size_t dwarf_index__builds(const struct dwarf_index *x)
{
	return x ? x->builds : 0;
}

/* ---------------------------------------------------------------- building */

/* The tags dwarf_getscopes descends into (libdw's may_have_scopes). */
static bool may_have_scopes(int tag)
{
	switch (tag) {
	case DW_TAG_compile_unit:
	case DW_TAG_module:
	case DW_TAG_lexical_block:
	case DW_TAG_with_stmt:
	case DW_TAG_catch_block:
	case DW_TAG_try_block:
	case DW_TAG_entry_point:
	case DW_TAG_inlined_subroutine:
	case DW_TAG_subprogram:
	case DW_TAG_namespace:
	case DW_TAG_class_type:
	case DW_TAG_structure_type:
		return true;
	default:
		return false;
	}
}

static bool grow(void **p, size_t *cap, size_t size)
{
	size_t ncap = *cap ? *cap * 2 : 256;
	void *np = realloc(*p, ncap * size);

	if (!np)
		return false;
	*p = np;
	*cap = ncap;
	return true;
}

static uint32_t add_node(struct builder *b, Dwarf_Die *die, uint32_t up)
{
	if (b->nnodes == b->nodes_cap &&
	    !grow((void **)&b->nodes, &b->nodes_cap, sizeof(*b->nodes))) {
		b->err = -ENOMEM;
		return 0;
	}
	b->nodes[b->nnodes] = (struct dwx_node){.die = *die, .up = up};
	return (uint32_t)b->nnodes++;
}

static void add_range(struct builder *b, uint32_t group, uint32_t node, uint64_t lo, uint64_t hi)
{
	if (b->nranges >= MS_DWARF_INDEX_MAX_RANGES) {
		b->err = -E2BIG;
		return;
	}
	if (b->nranges == b->ranges_cap &&
	    !grow((void **)&b->ranges, &b->ranges_cap, sizeof(*b->ranges))) {
		b->err = -ENOMEM;
		return;
	}
	b->ranges[b->nranges++] =
	    (struct dwx_range){.lo = lo, .hi = hi, .node = node, .group = group};
}

/* Index the children of scope, as dwarf_getscopes visits them: every DIE with an
 * address range becomes a node of group; those of a scope tag are descended
 * into. An imported unit's children count as scope's own, with no parent DIE of
 * their own (dwarf_getscopes_die stops at their partial unit). */
static void walk(struct builder *b, Dwarf_Die *scope, uint32_t group, uint32_t up, unsigned depth,
		 unsigned imports)
{
	Dwarf_Die child;

	if (dwarf_child(scope, &child) != 0)
		return;
	do {
		if (b->err)
			return;
		if (++b->dies > DWX_MAX_DIES) {
			b->err = -E2BIG;
			return;
		}
		int tag = dwarf_tag(&child);
		if (tag == DW_TAG_imported_unit) {
			Dwarf_Attribute attr;
			Dwarf_Die unit;

			if (imports < DWX_MAX_IMPORTS &&
			    dwarf_formref_die(dwarf_attr(&child, DW_AT_import, &attr), &unit))
				walk(b, &unit, group, 0, depth, imports + 1);
			continue;
		}
		/* dwarf_haspc needs one of them; checking the abbreviation is cheap. */
		if (!dwarf_hasattr(&child, DW_AT_low_pc) && !dwarf_hasattr(&child, DW_AT_ranges))
			continue;
		uint32_t node = add_node(b, &child, up);
		if (b->err)
			return;
		size_t first = b->nranges;
		Dwarf_Addr base, lo, hi;
		ptrdiff_t off = 0;
		/* Ranges read before an error count, as with dwarf_haspc. */
		while ((off = dwarf_ranges(&child, off, &base, &lo, &hi)) > 0 && !b->err)
			if (lo < hi)
				add_range(b, group, node, lo, hi);
		if (b->err)
			return;
		if (b->nranges == first) {
			b->nnodes--; /* holds no pc: dwarf_getscopes prunes it */
			continue;
		}
		if (may_have_scopes(tag) && depth < DWX_MAX_DEPTH && dwarf_haschildren(&child) > 0)
			walk(b, &child, node, node, depth + 1, imports);
	} while (dwarf_siblingof(&child, &child) == 0);
}

static int cmp_range(const void *a, const void *b)
{
	const struct dwx_range *x = a, *y = b;

	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return x->node < y->node ? -1 : x->node > y->node;
}

/* Make room for need more bytes: free the least recently used CU indexes. */
static void evict(struct dwarf_index *x, size_t need, const struct dwx_cu *keep)
{
	while (x->bytes && x->bytes + need > x->max_bytes) {
		struct dwx_cu *lru = NULL;
		for (size_t i = 0; i < x->ncus; i++) {
			struct dwx_cu *c = &x->cus[i];
			if (c->bytes && c != keep && (!lru || c->last_use < lru->last_use))
				lru = c;
		}
		if (!lru)
			return;
		cu_release(x, lru);
	}
}

/* Sort one group's ranges by start (DIE order among equal starts). They come
 * mostly sorted already: compilers emit functions in address order. */
static void sort_group(struct dwx_range *r, size_t n)
{
	if (n > 16) {
		qsort(r, n, sizeof(*r), cmp_range);
		return;
	}
	for (size_t i = 1; i < n; i++) {
		struct dwx_range v = r[i];
		size_t j = i;
		for (; j > 0 && cmp_range(&r[j - 1], &v) > 0; j--)
			r[j] = r[j - 1];
		r[j] = v;
	}
}

static int cu_build(struct dwarf_index *x, struct dwx_cu *c, Dwarf_Die *cudie)
{
	struct builder *b = &x->scratch;

	b->nnodes = b->nranges = b->dies = 0;
	b->err = 0;
	add_node(b, cudie, 0); /* the root */
	if (!b->err)
		walk(b, cudie, 0, 0, 0, 0);
	if (b->err)
		return b->err;
	size_t bytes = b->nnodes * sizeof(*b->nodes) + b->nranges * sizeof(*b->ranges);
	struct dwx_node *nodes = malloc(b->nnodes * sizeof(*nodes));
	struct dwx_range *ranges = malloc(b->nranges ? b->nranges * sizeof(*ranges) : 1);
	if (!nodes || !ranges) {
		free(nodes);
		free(ranges);
		return -ENOMEM;
	}
	memcpy(nodes, b->nodes, b->nnodes * sizeof(*nodes));
	/* Group the ranges by the node they are nested in, then sort each group. */
	for (size_t i = 0; i < b->nranges; i++)
		nodes[b->ranges[i].group].nkids++;
	uint32_t at = 0;
	for (size_t g = 0; g < b->nnodes; g++) {
		nodes[g].kids = at;
		at += nodes[g].nkids;
		nodes[g].nkids = 0;
	}
	for (size_t i = 0; i < b->nranges; i++) {
		struct dwx_node *g = &nodes[b->ranges[i].group];
		ranges[g->kids + g->nkids++] = b->ranges[i];
	}
	for (size_t g = 0; g < b->nnodes; g++) {
		struct dwx_range *r = ranges + nodes[g].kids;
		sort_group(r, nodes[g].nkids);
		for (size_t i = 0; i < nodes[g].nkids; i++)
			r[i].maxhi = i && r[i - 1].maxhi > r[i].hi ? r[i - 1].maxhi : r[i].hi;
	}
	if (b->nodes_cap > DWX_KEEP_SCRATCH || b->ranges_cap > DWX_KEEP_SCRATCH) {
		free(b->nodes);
		free(b->ranges);
		*b = (struct builder){0};
	}
	evict(x, bytes, c);
	c->nodes = nodes;
	c->ranges = ranges;
	c->bytes = bytes;
	x->bytes += bytes;
	x->builds++;
	return 0;
}

/* ---------------------------------------------------------------- lookup */

/* The CU of key, added (not built) on its first lookup; NULL on ENOMEM. The
 * pointer is good until the next cu_get. */
static struct dwx_cu *cu_get(struct dwarf_index *x, const void *key)
{
	uint64_t h = hash_u64((uintptr_t)key);
	size_t pos;

	for (uint32_t i = hashtab__first(&x->by_key, h, &pos); i != MS_HASHTAB_NONE;
	     i = hashtab__next(&x->by_key, h, &pos))
		if (x->cus[i].key == key)
			return &x->cus[i];
	if (x->ncus >= MS_HASHTAB_NONE - 1)
		return NULL;
	if (x->ncus == x->cap) {
		struct dwx_cu *nc = realloc(x->cus, x->cap * 2 * sizeof(*nc));
		if (!nc)
			return NULL;
		x->cus = nc;
		x->cap *= 2;
	}
	if (hashtab__insert(&x->by_key, h, (uint32_t)x->ncus))
		return NULL;
	x->cus[x->ncus] = (struct dwx_cu){.key = key};
	return &x->cus[x->ncus++];
}

/* The first child of group in DIE order whose ranges hold pc; 0 when none. */
static uint32_t find_kid(const struct dwx_cu *c, uint32_t group, uint64_t pc)
{
	const struct dwx_node *g = &c->nodes[group];
	const struct dwx_range *r = c->ranges + g->kids;
	size_t lo = 0, hi = g->nkids;
	uint32_t best = 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (r[mid].lo <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* Every range before lo starts at or below pc; maxhi stops the walk back at
	 * the first one that all earlier ones end before. Siblings rarely overlap. */
	for (size_t i = lo; i-- > 0 && r[i].maxhi > pc;)
		if (pc < r[i].hi && (!best || r[i].node < best))
			best = r[i].node;
	return best;
}

int dwarf_index__scopes(struct dwarf_index *x, Dwarf_Die *cudie, uint64_t pc, Dwarf_Die *chain,
			size_t max)
{
	if (!cudie || !cudie->addr)
		return -EINVAL;
	struct dwx_cu *c = cu_get(x, cudie->addr);
	if (!c)
		return -ENOMEM;
	if (c->err)
		return c->err;
	if (!c->bytes) {
		int err = cu_build(x, c, cudie);
		if (err) {
			if (err != -ENOMEM)
				c->err = err;
			return err;
		}
	}
	c->last_use = ++x->tick;

	/* Children are numbered after their parent: the descent ends. */
	uint32_t inner = 0;
	for (uint32_t n; (n = find_kid(c, inner, pc));)
		inner = n;
	if (!inner)
		return 0;
	/* dwarf_getscopes fails when the innermost inlined call's abstract origin
	 * cannot be read; so does this, to name the same. */
	for (uint32_t n = inner; n; n = c->nodes[n].up) {
		if (dwarf_tag(&c->nodes[n].die) != DW_TAG_inlined_subroutine)
			continue;
		Dwarf_Attribute attr;
		Dwarf_Die origin;
		if (!dwarf_formref_die(dwarf_attr(&c->nodes[n].die, DW_AT_abstract_origin, &attr),
				       &origin))
			return 0;
		break;
	}
	size_t k = 0;
	for (uint32_t n = inner; n && k < max; n = c->nodes[n].up)
		chain[k++] = c->nodes[n].die;
	return (int)k;
}
