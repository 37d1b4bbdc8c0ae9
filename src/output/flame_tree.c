/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The flame tree: stacks merged frame by frame, names interned, memory bounded, stacks walked. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "output/flame_tree_impl.h"

#define DEFAULT_LIMIT (1u << 21) /* nodes: about 160 MB with the hash tables */
#define MAX_CUT_SHARE 0.0005	 /* compaction never drops frames above half of 0.1% */

static uint64_t kid_hash(uint32_t parent, uint32_t name)
{
	return hash_u64((uint64_t)parent << 32 | name);
}

int flame_grow(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t n = *cap ? *cap : 64;
	while (n < need)
		n *= 2;
	void *q = realloc(*p, n * elem);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = n;
	return 0;
}

struct flame_tree *flame_tree__new(void)
{
	struct flame_tree *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	if (hashtab__init(&t->names_by_str, 512, 0) || hashtab__init(&t->kids, 512, 0) ||
	    flame_grow((void **)&t->nodes, &t->cap_nodes, 1, sizeof(*t->nodes))) {
		flame_tree__free(t);
		errno = ENOMEM;
		return NULL;
	}
	t->nodes[0] =
	    (struct fnode){.name = NO_NODE, .parent = NO_NODE, .child = NO_NODE, .next = NO_NODE};
	t->nr_nodes = 1;
	t->limit = DEFAULT_LIMIT;
	return t;
}

void flame_tree__set_limit(struct flame_tree *t, size_t max_nodes)
{
	t->limit = max_nodes;
}

bool flame_tree__compacted(const struct flame_tree *t)
{
	return t->compactions != 0;
}

void flame_tree__free(struct flame_tree *t)
{
	if (!t)
		return;
	free(t->nodes);
	free(t->pool);
	free(t->names);
	hashtab__fini(&t->names_by_str);
	hashtab__fini(&t->kids);
	free(t->prev);
	free(t->path);
	free(t->ends);
	free(t);
}

const char *flame_tree__node_name(const struct flame_tree *t, uint32_t n)
{
	return t->nodes[n].name == NO_NODE ? "all" : t->pool + t->nodes[n].name;
}

/* Intern a frame name; sets *off to its offset in the pool. */
static int intern(struct flame_tree *t, const char *s, size_t len, uint32_t *off)
{
	uint64_t h = hash_bytes(s, len, 0);
	size_t pos;

	for (uint32_t i = hashtab__first(&t->names_by_str, h, &pos); i != MS_HASHTAB_NONE;
	     i = hashtab__next(&t->names_by_str, h, &pos)) {
		const char *name = t->pool + t->names[i];
		if (!strncmp(name, s, len) && !name[len]) {
			*off = t->names[i];
			return 0;
		}
	}
	if (t->pool_len + len + 1 >= UINT32_MAX || t->nr_names + 1 >= MS_HASHTAB_NONE)
		return -EOVERFLOW;
	if (flame_grow((void **)&t->pool, &t->pool_cap, t->pool_len + len + 1, 1) ||
	    flame_grow((void **)&t->names, &t->cap_names, t->nr_names + 1, sizeof(*t->names)) ||
	    hashtab__insert(&t->names_by_str, h, (uint32_t)t->nr_names))
		return -ENOMEM;
	*off = t->pool_len;
	memcpy(t->pool + t->pool_len, s, len);
	t->pool[t->pool_len + len] = '\0';
	t->pool_len += len + 1;
	t->names[t->nr_names++] = *off;
	return 0;
}

/* The child of parent called name, created when missing. */
static int child(struct flame_tree *t, uint32_t parent, const char *s, size_t len, uint32_t *out)
{
	uint32_t name;
	int err = intern(t, s, len, &name);
	if (err)
		return err;
	uint64_t h = kid_hash(parent, name);
	size_t pos;
	for (uint32_t i = hashtab__first(&t->kids, h, &pos); i != MS_HASHTAB_NONE;
	     i = hashtab__next(&t->kids, h, &pos)) {
		if (t->nodes[i].parent == parent && t->nodes[i].name == name) {
			*out = i;
			return 0;
		}
	}
	if (t->nr_nodes + 1 >= NO_NODE)
		return -EOVERFLOW;
	if (flame_grow((void **)&t->nodes, &t->cap_nodes, t->nr_nodes + 1, sizeof(*t->nodes)) ||
	    hashtab__insert(&t->kids, h, (uint32_t)t->nr_nodes))
		return -ENOMEM;
	uint32_t n = t->nr_nodes++;
	t->nodes[n] = (struct fnode){
	    .name = name, .parent = parent, .child = NO_NODE, .next = t->nodes[parent].child};
	t->nodes[parent].child = n;
	*out = n;
	return 0;
}

/* Drop every frame with value and base under cut; their values stay in their
 * callers' inclusive values. Parents always come before their children in the
 * array, so one forward pass renumbers in place. */
static int compact(struct flame_tree *t, uint64_t cut)
{
	uint32_t *map = malloc(t->nr_nodes * sizeof(*map));
	if (!map)
		return -ENOMEM;
	size_t kept = 0;
	for (size_t i = 0; i < t->nr_nodes; i++) {
		struct fnode n = t->nodes[i];
		bool keep = !i || (map[n.parent] != NO_NODE && (n.value >= cut || n.base >= cut));
		map[i] = keep ? (uint32_t)kept : NO_NODE;
		if (!keep)
			continue;
		n.parent = i ? map[n.parent] : NO_NODE;
		n.child = NO_NODE;
		n.next = NO_NODE;
		t->nodes[kept++] = n;
	}
	free(map);
	t->nr_nodes = kept;
	/* the table never holds more than before: re-inserting cannot fail */
	hashtab__clear(&t->kids);
	for (size_t i = 1; i < kept; i++) {
		struct fnode *n = &t->nodes[i];
		n->next = t->nodes[n->parent].child;
		t->nodes[n->parent].child = (uint32_t)i;
		hashtab__insert(&t->kids, kid_hash(n->parent, n->name), (uint32_t)i);
	}
	t->prev_len = 0;
	t->path_len = 0;
	t->compactions++;
	return 0;
}

/* Keep the tree under its limit: drop frames far too narrow to be drawn, raising
 * the cut until at most half the limit is left, but never to where frames that
 * could be drawn would go. */
static int stay_bounded(struct flame_tree *t)
{
	const struct fnode *root = &t->nodes[0];
	uint64_t total = root->value > root->base ? root->value : root->base;
	uint64_t max_cut = (uint64_t)((double)total * MAX_CUT_SHARE);
	uint64_t cut = total / (t->limit * 4) + 1;
	while (t->nr_nodes > t->limit / 2 && cut <= max_cut) {
		int err = compact(t, cut);
		if (err)
			return err;
		cut *= 2;
	}
	if (t->nr_nodes > t->limit / 2)
		t->limit *= 2; /* a profile this wide: grow rather than lose drawn frames */
	return 0;
}

static void add_value(struct fnode *n, uint64_t value, bool to_base)
{
	if (to_base)
		n->base += value;
	else
		n->value += value;
}

int flame_tree__add(struct flame_tree *t, const char *stack, size_t len, uint64_t value,
		    bool to_base)
{
	if (!len)
		return -EINVAL;
	if (t->limit && t->nr_nodes > t->limit) {
		int err = stay_bounded(t);
		if (err)
			return err;
	}
	struct fnode *root = &t->nodes[0];
	uint64_t old = to_base ? root->base : root->value;
	if (old + value < old)
		return -EOVERFLOW;

	/* Frames shared with the previous stack keep their nodes: no hashing. */
	size_t common = 0, max = len < t->prev_len ? len : t->prev_len;
	while (common < max && stack[common] == t->prev[common])
		common++;
	size_t keep = 0;
	while (keep < t->path_len && t->ends[keep] <= common &&
	       (t->ends[keep] == len || stack[t->ends[keep]] == ';'))
		keep++;

	if (flame_grow((void **)&t->prev, &t->prev_cap, len, 1))
		return -ENOMEM;
	memcpy(t->prev + common, stack + common, len - common);
	t->prev_len = len;
	t->path_len = keep;

	add_value(&t->nodes[0], value, to_base);
	for (size_t i = 0; i < keep; i++)
		add_value(&t->nodes[t->path[i]], value, to_base);
	uint32_t parent = keep ? t->path[keep - 1] : 0;
	size_t pos = keep ? t->ends[keep - 1] + 1 : 0;
	while (pos <= len) {
		const char *semi = memchr(stack + pos, ';', len - pos);
		size_t end = semi ? (size_t)(semi - stack) : len;
		static const char unknown[] = "[unknown]";
		const char *name = stack + pos;
		size_t nlen = end - pos;
		if (!nlen) {
			name = unknown;
			nlen = sizeof(unknown) - 1;
		}
		uint32_t n;
		int err = child(t, parent, name, nlen, &n);
		if (!err && (flame_grow((void **)&t->path, &t->path_cap, t->path_len + 1,
					sizeof(*t->path)) ||
			     flame_grow((void **)&t->ends, &t->ends_cap, t->path_len + 1,
					sizeof(*t->ends))))
			err = -ENOMEM;
		if (err) {
			t->prev_len = 0; /* the cached path is incomplete */
			t->path_len = 0;
			return err;
		}
		add_value(&t->nodes[n], value, to_base);
		t->path[t->path_len] = n;
		t->ends[t->path_len++] = end;
		parent = n;
		if (!semi)
			break;
		pos = end + 1;
	}
	return 0;
}

uint64_t flame_tree__total(const struct flame_tree *t, bool of_base)
{
	return of_base ? t->nodes[0].base : t->nodes[0].value;
}

size_t flame_tree__nr_nodes(const struct flame_tree *t)
{
	return t->nr_nodes;
}

static int by_name(const void *a, const void *b, void *arg)
{
	const struct flame_tree *t = arg;
	return strcmp(flame_tree__node_name(t, *(const uint32_t *)a),
		      flame_tree__node_name(t, *(const uint32_t *)b));
}

/* Children of n in name order, into *buf; returns their number or -ENOMEM. */
ssize_t flame_tree__sorted_children(const struct flame_tree *t, uint32_t n, uint32_t **buf,
				    size_t *cap)
{
	size_t k = 0;
	for (uint32_t c = t->nodes[n].child; c != NO_NODE; c = t->nodes[c].next) {
		if (flame_grow((void **)buf, cap, k + 1, sizeof(**buf)))
			return -ENOMEM;
		(*buf)[k++] = c;
	}
	/* A leaf has no buffer yet: qsort's pointer must not be NULL even for 0. */
	if (k > 1)
		qsort_r(*buf, k, sizeof(**buf), by_name, (void *)t);
	return (ssize_t)k;
}

int flame_tree__foreach_stack(const struct flame_tree *t,
			      int (*fn)(void *arg, const char *stack, uint64_t value,
					uint64_t base),
			      void *arg)
{
	/* Depth first without recursion: stacks can be thousands of frames deep. */
	uint32_t *todo = NULL, *kids = NULL;
	size_t todo_cap = 0, kids_cap = 0, ntodo = 0;
	size_t *lens = NULL, lens_cap = 0; /* path length before each todo entry */
	char *path = NULL;
	size_t path_cap = 0;
	int ret = 0;

	/* The walk starts at the root, which names no frame: its children's stacks start empty. */
	if (flame_grow((void **)&todo, &todo_cap, 1, sizeof(*todo)) ||
	    flame_grow((void **)&lens, &lens_cap, 1, sizeof(*lens)))
		goto nomem;
	todo[0] = 0;
	lens[0] = 0;
	ntodo = 1;
	while (ntodo) {
		uint32_t n = todo[--ntodo];
		size_t at = lens[ntodo];
		if (n) {
			const char *name = flame_tree__node_name(t, n);
			size_t nlen = strlen(name);
			if (flame_grow((void **)&path, &path_cap, at + nlen + 2, 1))
				goto nomem;
			if (at)
				path[at++] = ';';
			memcpy(path + at, name, nlen);
			path[at + nlen] = '\0';
			at += nlen;
			uint64_t self = t->nodes[n].value, self_base = t->nodes[n].base;
			for (uint32_t c = t->nodes[n].child; c != NO_NODE; c = t->nodes[c].next) {
				self -= t->nodes[c].value;
				self_base -= t->nodes[c].base;
			}
			if (self || self_base) {
				ret = fn(arg, path, self, self_base);
				if (ret)
					goto out;
			}
		}
		ssize_t k = flame_tree__sorted_children(t, n, &kids, &kids_cap);
		if (k < 0)
			goto nomem;
		for (ssize_t i = k - 1; i >= 0; i--) {
			if (flame_grow((void **)&todo, &todo_cap, ntodo + 1, sizeof(*todo)) ||
			    flame_grow((void **)&lens, &lens_cap, ntodo + 1, sizeof(*lens)))
				goto nomem;
			lens[ntodo] = at;
			todo[ntodo++] = kids[i];
		}
	}
	goto out;
nomem:
	ret = -ENOMEM;
out:
	free(todo);
	free(kids);
	free(lens);
	free(path);
	return ret;
}
