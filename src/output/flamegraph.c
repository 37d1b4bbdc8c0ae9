/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Flame graphs: folded stacks merged into a tree as they are read, drawn as one interactive SVG. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "output/assets.h"
#include "output/diff.h"
#include "output/flamegraph.h"
#include "output/svg.h"

#define NO_NODE	      UINT32_MAX
#define FRAME_HEIGHT  16
#define FONT_SIZE     MS_FLAME_FONT_SIZE
#define FONT_WIDTH    MS_FLAME_FONT_WIDTH
#define XPAD	      10
#define TOP_PAD	      56
#define SUBTITLE_PAD  18
#define BOTTOM_PAD    34
#define DEFAULT_WIDTH 1200
#define DEFAULT_SHARE 0.001
#define DEFAULT_LIMIT (1u << 21) /* nodes: about 100 MB with the hash tables */
#define MAX_CUT_SHARE 0.0005	 /* compaction never drops frames above half of 0.1% */

struct fnode {
	uint64_t value; /* inclusive: this frame and everything it called */
	uint64_t base;	/* the same in profile A of a diff */
	uint32_t name;	/* offset of the name in the pool; NO_NODE for the root */
	uint32_t parent;
	uint32_t child; /* first child, NO_NODE when none */
	uint32_t next;	/* next sibling */
};

struct flame_tree {
	struct fnode *nodes;
	size_t nr_nodes, cap_nodes;
	char *pool; /* NUL-terminated names, back to back */
	size_t pool_len, pool_cap;
	uint32_t *names; /* open addressing: name offset + 1, 0 empty */
	uint32_t *name_hashes;
	size_t nr_names, cap_names;
	uint32_t *kids; /* open addressing on (parent, name): node index + 1, 0 empty */
	size_t cap_kids;
	/* the previous stack read and its path, since sorted input repeats prefixes */
	char *prev;
	size_t prev_len, prev_cap;
	uint32_t *path; /* path[i]: node of frame i */
	size_t *ends;	/* ends[i]: offset in prev just after frame i */
	size_t path_len, path_cap, ends_cap;
	size_t limit;	      /* compact when there are more nodes than this; 0: never */
	uint64_t compactions; /* how often frames were dropped to stay under the limit */
};

static uint32_t hash_bytes(const char *s, size_t len)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

static uint32_t hash_pair(uint32_t a, uint32_t b)
{
	uint64_t x = ((uint64_t)a << 32 | b) * 0x9e3779b97f4a7c15ull;
	return (uint32_t)(x >> 32) ^ (uint32_t)x;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
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
	t->cap_names = 1024;
	t->cap_kids = 1024;
	t->names = calloc(t->cap_names, sizeof(*t->names));
	t->name_hashes = calloc(t->cap_names, sizeof(*t->name_hashes));
	t->kids = calloc(t->cap_kids, sizeof(*t->kids));
	if (!t->names || !t->name_hashes || !t->kids ||
	    grow((void **)&t->nodes, &t->cap_nodes, 1, sizeof(*t->nodes))) {
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
	free(t->name_hashes);
	free(t->kids);
	free(t->prev);
	free(t->path);
	free(t->ends);
	free(t);
}

static const char *node_name(const struct flame_tree *t, uint32_t n)
{
	return t->nodes[n].name == NO_NODE ? "all" : t->pool + t->nodes[n].name;
}

static int names_rehash(struct flame_tree *t)
{
	size_t cap = t->cap_names * 2;
	uint32_t *names = calloc(cap, sizeof(*names));
	uint32_t *hashes = calloc(cap, sizeof(*hashes));
	if (!names || !hashes) {
		free(names);
		free(hashes);
		return -ENOMEM;
	}
	for (size_t i = 0; i < t->cap_names; i++) {
		if (!t->names[i])
			continue;
		size_t j = t->name_hashes[i] & (cap - 1);
		while (names[j])
			j = (j + 1) & (cap - 1);
		names[j] = t->names[i];
		hashes[j] = t->name_hashes[i];
	}
	free(t->names);
	free(t->name_hashes);
	t->names = names;
	t->name_hashes = hashes;
	t->cap_names = cap;
	return 0;
}

/* Intern a frame name; sets *off to its offset in the pool. */
static int intern(struct flame_tree *t, const char *s, size_t len, uint32_t *off)
{
	uint32_t h = hash_bytes(s, len);
	size_t mask = t->cap_names - 1;
	for (size_t j = h & mask;; j = (j + 1) & mask) {
		uint32_t e = t->names[j];
		if (!e)
			break;
		const char *name = t->pool + e - 1;
		if (t->name_hashes[j] == h && !strncmp(name, s, len) && !name[len]) {
			*off = e - 1;
			return 0;
		}
	}
	if (t->pool_len + len + 1 >= UINT32_MAX)
		return -EOVERFLOW;
	if (grow((void **)&t->pool, &t->pool_cap, t->pool_len + len + 1, 1))
		return -ENOMEM;
	if ((t->nr_names + 1) * 2 > t->cap_names && names_rehash(t))
		return -ENOMEM;
	*off = t->pool_len;
	memcpy(t->pool + t->pool_len, s, len);
	t->pool[t->pool_len + len] = '\0';
	t->pool_len += len + 1;
	mask = t->cap_names - 1;
	size_t j = h & mask;
	while (t->names[j])
		j = (j + 1) & mask;
	t->names[j] = *off + 1;
	t->name_hashes[j] = h;
	t->nr_names++;
	return 0;
}

static int kids_rehash(struct flame_tree *t)
{
	size_t cap = t->cap_kids * 2;
	uint32_t *kids = calloc(cap, sizeof(*kids));
	if (!kids)
		return -ENOMEM;
	for (size_t i = 0; i < t->cap_kids; i++) {
		uint32_t e = t->kids[i];
		if (!e)
			continue;
		const struct fnode *n = &t->nodes[e - 1];
		size_t j = hash_pair(n->parent, n->name) & (cap - 1);
		while (kids[j])
			j = (j + 1) & (cap - 1);
		kids[j] = e;
	}
	free(t->kids);
	t->kids = kids;
	t->cap_kids = cap;
	return 0;
}

/* The child of parent called name, created when missing. */
static int child(struct flame_tree *t, uint32_t parent, const char *s, size_t len, uint32_t *out)
{
	uint32_t name;
	int err = intern(t, s, len, &name);
	if (err)
		return err;
	size_t mask = t->cap_kids - 1;
	size_t j = hash_pair(parent, name) & mask;
	for (;; j = (j + 1) & mask) {
		uint32_t e = t->kids[j];
		if (!e)
			break;
		if (t->nodes[e - 1].parent == parent && t->nodes[e - 1].name == name) {
			*out = e - 1;
			return 0;
		}
	}
	if (t->nr_nodes + 1 >= NO_NODE)
		return -EOVERFLOW;
	if (grow((void **)&t->nodes, &t->cap_nodes, t->nr_nodes + 1, sizeof(*t->nodes)))
		return -ENOMEM;
	uint32_t n = t->nr_nodes++;
	t->nodes[n] = (struct fnode){
	    .name = name, .parent = parent, .child = NO_NODE, .next = t->nodes[parent].child};
	t->nodes[parent].child = n;
	if ((t->nr_nodes + 1) * 2 > t->cap_kids) {
		if (kids_rehash(t))
			return -ENOMEM;
		mask = t->cap_kids - 1;
		j = hash_pair(parent, name) & mask;
	}
	while (t->kids[j])
		j = (j + 1) & mask;
	t->kids[j] = n + 1;
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
	memset(t->kids, 0, t->cap_kids * sizeof(*t->kids));
	size_t mask = t->cap_kids - 1;
	for (size_t i = 1; i < kept; i++) {
		struct fnode *n = &t->nodes[i];
		n->next = t->nodes[n->parent].child;
		t->nodes[n->parent].child = (uint32_t)i;
		size_t j = hash_pair(n->parent, n->name) & mask;
		while (t->kids[j])
			j = (j + 1) & mask;
		t->kids[j] = (uint32_t)i + 1;
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

	if (grow((void **)&t->prev, &t->prev_cap, len, 1))
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
		if (!err &&
		    (grow((void **)&t->path, &t->path_cap, t->path_len + 1, sizeof(*t->path)) ||
		     grow((void **)&t->ends, &t->ends_cap, t->path_len + 1, sizeof(*t->ends))))
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

static const char not_a_number[] = "missing sample count (expected 'frame;frame;... COUNT')";

/* Parse the count at the end of a folded line; NULL or why it is wrong. */
static const char *parse_count(const char *s, size_t len, uint64_t *value)
{
	size_t i = 0;
	uint64_t v = 0;
	if (i < len && s[i] == '-' && len > 1 && s[1] >= '0' && s[1] <= '9')
		return "negative sample count";
	if (i == len || s[i] < '0' || s[i] > '9')
		return not_a_number;
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		uint64_t d = (uint64_t)(s[i] - '0');
		if (v > UINT64_MAX / 10 || (v == UINT64_MAX / 10 && d > UINT64_MAX % 10))
			return "sample count too large";
		v = v * 10 + d;
	}
	if (i < len && s[i] == '.') {
		i++;
		if (i < len && s[i] >= '5' && s[i] <= '9')
			v++;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	if (i != len)
		return not_a_number;
	*value = v;
	return NULL;
}

static int read_error(char *err, size_t size, int ret, const char *fmt, ...)
{
	if (err && size) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, size, fmt, ap);
		va_end(ap);
	}
	return ret;
}

int flame_tree__read(struct flame_tree *t, FILE *f, const char *name, bool to_base, char *err,
		     size_t errsize)
{
	char *line = NULL;
	size_t cap = 0;
	unsigned long lineno = 0;
	ssize_t got;
	int ret = 0;

	errno = 0;
	while ((got = getline(&line, &cap, f)) >= 0) {
		size_t len = (size_t)got;
		lineno++;
		if (memchr(line, '\0', len)) {
			ret = read_error(err, errsize, -EINVAL,
					 "%s:%lu: not text (NUL byte); expected folded stacks",
					 name, lineno);
			break;
		}
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r' ||
			       line[len - 1] == ' ' || line[len - 1] == '\t'))
			len--;
		size_t start = 0;
		while (start < len && (line[start] == ' ' || line[start] == '\t'))
			start++;
		if (start == len || line[start] == '#')
			continue;
		size_t sp = len;
		while (sp > start && line[sp - 1] != ' ' && line[sp - 1] != '\t')
			sp--;
		uint64_t value = 0;
		const char *why =
		    sp > start ? parse_count(line + sp, len - sp, &value) : not_a_number;
		if (why) {
			ret = read_error(err, errsize, -EINVAL, "%s:%lu: %s", name, lineno, why);
			break;
		}
		size_t end = sp;
		while (end > start && (line[end - 1] == ' ' || line[end - 1] == '\t'))
			end--;
		if (end == start) {
			ret =
			    read_error(err, errsize, -EINVAL,
				       "%s:%lu: empty stack before the sample count", name, lineno);
			break;
		}
		if (!value)
			continue;
		ret = flame_tree__add(t, line + start, end - start, value, to_base);
		if (ret == -EOVERFLOW) {
			read_error(err, errsize, ret, "%s:%lu: total of sample counts too large",
				   name, lineno);
			break;
		}
		if (ret) {
			read_error(err, errsize, ret, "%s:%lu: %s", name, lineno, strerror(-ret));
			break;
		}
	}
	if (!ret && ferror(f))
		ret = read_error(err, errsize, -EIO, "%s: read error: %s", name,
				 strerror(errno ? errno : EIO));
	free(line);
	return ret;
}

int flame_tree__read_file(struct flame_tree *t, const char *path, bool to_base)
{
	char err[512];
	bool is_stdin = !strcmp(path, "-");
	FILE *f = is_stdin ? stdin : fopen(path, "r");
	if (!f) {
		int e = errno;
		ms_err("cannot open %s: %s", path, strerror(e));
		return -e;
	}
	int ret = flame_tree__read(t, f, is_stdin ? "stdin" : path, to_base, err, sizeof(err));
	if (!is_stdin)
		fclose(f);
	if (ret)
		ms_err("%s", err);
	return ret;
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
	return strcmp(node_name(t, *(const uint32_t *)a), node_name(t, *(const uint32_t *)b));
}

/* Children of n in name order, into *buf; returns their number or -ENOMEM. */
static ssize_t sorted_children(const struct flame_tree *t, uint32_t n, uint32_t **buf, size_t *cap)
{
	size_t k = 0;
	for (uint32_t c = t->nodes[n].child; c != NO_NODE; c = t->nodes[c].next) {
		if (grow((void **)buf, cap, k + 1, sizeof(**buf)))
			return -ENOMEM;
		(*buf)[k++] = c;
	}
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
	if (grow((void **)&todo, &todo_cap, 1, sizeof(*todo)) ||
	    grow((void **)&lens, &lens_cap, 1, sizeof(*lens)))
		goto nomem;
	todo[0] = 0;
	lens[0] = 0;
	ntodo = 1;
	while (ntodo) {
		uint32_t n = todo[--ntodo];
		size_t at = lens[ntodo];
		if (n) {
			const char *name = node_name(t, n);
			size_t nlen = strlen(name);
			if (grow((void **)&path, &path_cap, at + nlen + 2, 1))
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
		ssize_t k = sorted_children(t, n, &kids, &kids_cap);
		if (k < 0)
			goto nomem;
		for (ssize_t i = k - 1; i >= 0; i--) {
			if (grow((void **)&todo, &todo_cap, ntodo + 1, sizeof(*todo)) ||
			    grow((void **)&lens, &lens_cap, ntodo + 1, sizeof(*lens)))
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

/* ------------------------------------------------------------------ names and text */

enum flame_kind flamegraph_frame_kind(const char *name)
{
	size_t len = strlen(name);
	if (len > 4 && name[len - 4] == '_' && name[len - 3] == '[' && name[len - 1] == ']') {
		switch (name[len - 2]) {
		case 'k':
			return MS_FRAME_KERNEL;
		case 'i':
			return MS_FRAME_INLINED;
		case 'j':
			return MS_FRAME_JIT;
		}
	}
	if (len > 5 && !strcmp(name + len - 5, "_[py]"))
		return MS_FRAME_PYTHON;
	if (!strncmp(name, "<module> (", 10))
		return MS_FRAME_PYTHON; /* a script run without a .py name */
	/* py-spy and memspy spell Python frames "func (path/file.py:12)". */
	const char *open = strrchr(name, '(');
	if (open && open > name && open[-1] == ' ' && name[len - 1] == ')') {
		const char *py = strstr(open, ".py");
		if (py && (py[3] == ':' || py[3] == ')' ||
			   (py[3] == 'x' && (py[4] == ':' || py[4] == ')'))))
			return MS_FRAME_PYTHON;
	}
	return MS_FRAME_NATIVE;
}

/* Length of the name without perf's "_[k]"-style annotation. */
static size_t display_len(const char *name, enum flame_kind kind)
{
	size_t len = strlen(name);
	switch (kind) {
	case MS_FRAME_KERNEL:
	case MS_FRAME_INLINED:
	case MS_FRAME_JIT:
		return len - 4;
	case MS_FRAME_PYTHON:
		if (len > 5 && !strcmp(name + len - 5, "_[py]"))
			return len - 5;
		return len;
	default:
		return len;
	}
}

void flamegraph_format_value(char *buf, size_t size, double v, enum flame_colors units,
			     bool signed_)
{
	if (units == MS_FLAME_CPU)
		svg_format_samples(buf, size, v, signed_);
	else
		svg_format_bytes(buf, size, v, signed_);
}

/* ------------------------------------------------------------------ layout */

struct box {
	uint64_t x;	/* offset from the left, in value units */
	uint64_t value; /* width, in value units */
	uint64_t base;
	uint32_t node; /* NO_NODE for frames merged because they were too narrow */
	uint32_t depth;
	uint32_t merged; /* how many frames a merged box stands for */
};

struct layout {
	struct box *boxes;
	size_t n, cap;
	uint32_t max_depth;
	double max_change; /* largest |value - base| of a frame other than the root */
};

static int push_box(struct layout *l, struct box b)
{
	if (grow((void **)&l->boxes, &l->cap, l->n + 1, sizeof(*l->boxes)))
		return -ENOMEM;
	l->boxes[l->n++] = b;
	if (b.depth > l->max_depth)
		l->max_depth = b.depth;
	if (b.depth) {
		double change = fabs((double)b.value - (double)b.base);
		if (change > l->max_change)
			l->max_change = change;
	}
	return 0;
}

static int layout_tree(const struct flame_tree *t, double min_share, struct layout *l)
{
	uint64_t total = t->nodes[0].value;
	double min_value = (double)total * min_share;
	struct box *todo = NULL;
	size_t ntodo = 0, todo_cap = 0;
	uint32_t *kids = NULL;
	size_t kids_cap = 0;
	int ret = 0;

	memset(l, 0, sizeof(*l));
	if (!total)
		return 0;
	if (grow((void **)&todo, &todo_cap, 1, sizeof(*todo)))
		return -ENOMEM;
	todo[ntodo++] = (struct box){.value = total, .base = t->nodes[0].base, .node = 0};
	while (ntodo) {
		struct box b = todo[--ntodo];
		if ((ret = push_box(l, b)))
			break;
		ssize_t k = sorted_children(t, b.node, &kids, &kids_cap);
		if (k < 0) {
			ret = -ENOMEM;
			break;
		}
		/* Lay children out left to right; push them right to left so the walk
		 * leaves boxes in x order at every depth. */
		uint64_t x = b.x;
		struct box small = {.node = NO_NODE, .depth = b.depth + 1};
		size_t first = ntodo;
		for (ssize_t i = 0; i < k; i++) {
			const struct fnode *c = &t->nodes[kids[i]];
			if (!c->value)
				continue;
			if ((double)c->value < min_value) {
				small.value += c->value;
				small.base += c->base;
				small.merged++;
				continue;
			}
			if (grow((void **)&todo, &todo_cap, ntodo + 1, sizeof(*todo))) {
				ret = -ENOMEM;
				goto out;
			}
			todo[ntodo++] = (struct box){.x = x,
						     .value = c->value,
						     .base = c->base,
						     .node = kids[i],
						     .depth = b.depth + 1};
			x += c->value;
		}
		for (size_t i = first, j = ntodo; i + 1 < j; i++, j--) {
			struct box tmp = todo[i];
			todo[i] = todo[j - 1];
			todo[j - 1] = tmp;
		}
		if (small.merged > 1 && (double)small.value >= min_value) {
			small.x = x;
			if ((ret = push_box(l, small)))
				goto out;
		}
	}
out:
	free(todo);
	free(kids);
	return ret;
}

/* ------------------------------------------------------------------ SVG */

static uint32_t name_hash(const char *s, size_t len)
{
	uint32_t h = hash_bytes(s, len);
	h ^= h >> 15;
	h *= 0x2c1b3c6d;
	h ^= h >> 12;
	return h;
}

/* The same function gets the same colour in every graph, like flamegraph.pl --hash. */
static void frame_color(const char *name, size_t len, enum flame_kind kind,
			enum flame_colors colors, char *buf, size_t size)
{
	uint32_t h = name_hash(name, len);
	double v1 = (h & 0xff) / 255.0, v2 = ((h >> 8) & 0xff) / 255.0,
	       v3 = ((h >> 16) & 0xff) / 255.0;
	int r, g, b;
	switch (kind) {
	case MS_FRAME_KERNEL: /* orange */
		r = 225 + 30 * v1, g = 135 + 50 * v2, b = 20 + 40 * v3;
		break;
	case MS_FRAME_INLINED: /* aqua */
		r = 40 + 60 * v1, g = 200 + 45 * v2, b = 200 + 45 * v2;
		break;
	case MS_FRAME_JIT: /* purple */
		r = 170 + 50 * v1, g = 120 + 40 * v2, b = 220 + 35 * v3;
		break;
	case MS_FRAME_PYTHON: /* blue */
		r = 90 + 50 * v1, g = 140 + 45 * v2, b = 225 + 30 * v3;
		break;
	default:
		if (colors == MS_FLAME_MEM) /* green */
			r = 50 + 70 * v1, g = 175 + 55 * v2, b = 50 + 60 * v3;
		else /* red */
			r = 205 + 50 * v1, g = 45 + 60 * v2, b = 40 + 35 * v3;
	}
	snprintf(buf, size, "rgb(%d,%d,%d)", r, g, b);
}

static const char *kind_label(enum flame_kind kind)
{
	switch (kind) {
	case MS_FRAME_KERNEL:
		return ", kernel";
	case MS_FRAME_INLINED:
		return ", inlined";
	case MS_FRAME_JIT:
		return ", JIT";
	default:
		return "";
	}
}

static void write_box(FILE *out, const struct flame_tree *t, const struct box *b, bool diff,
		      const struct layout *l, const struct flame_options *o, unsigned int height)
{
	uint64_t total = t->nodes[0].value;
	double fullw = (double)o->width - 2 * XPAD;
	double x = XPAD + (double)b->x * fullw / (double)total;
	double w = (double)b->value * fullw / (double)total;
	double y = o->inverted ? TOP_PAD + (o->subtitle ? SUBTITLE_PAD : 0) +
				     (double)b->depth * FRAME_HEIGHT
			       : height - BOTTOM_PAD - (double)(b->depth + 1) * FRAME_HEIGHT;
	char merged[64], color[32], value[48], share[32];
	const char *name;
	size_t len;
	enum flame_kind kind = MS_FRAME_NATIVE;

	if (b->node == NO_NODE) {
		snprintf(merged, sizeof(merged), "[%" PRIu32 " frames under %g%%]", b->merged,
			 100 * o->min_share);
		name = merged;
		len = strlen(name);
		snprintf(color, sizeof(color), "rgb(200,200,200)");
	} else {
		name = node_name(t, b->node);
		kind = b->node ? flamegraph_frame_kind(name) : MS_FRAME_NATIVE;
		len = display_len(name, kind);
		if (!b->node)
			snprintf(color, sizeof(color), "rgb(215,215,205)");
		else
			frame_color(name, len, kind, o->colors, color, sizeof(color));
	}
	if (diff)
		diff_color(b->value, b->base, l->max_change, color, sizeof(color));

	fprintf(out,
		"<g class=\"f\" data-s=\"%" PRIu64 "\" data-v=\"%" PRIu64 "\" data-d=\"%" PRIu32
		"\"%s><title>",
		b->x, b->value, b->depth, b->node == NO_NODE ? " data-n=\"merged\"" : "");
	svg_write_text_n(out, name, len, 0);
	flamegraph_format_value(value, sizeof(value), (double)b->value, o->colors, false);
	snprintf(share, sizeof(share), "%.2f%%", 100.0 * (double)b->value / (double)total);
	fprintf(out, "&#10;%s, %s%s", value, share, kind_label(kind));
	if (diff) {
		char before[48], change[48];
		flamegraph_format_value(before, sizeof(before), (double)b->base, o->colors, false);
		flamegraph_format_value(change, sizeof(change), (double)b->value - (double)b->base,
					o->colors, true);
		fprintf(out, "&#10;was %s, change %s", before, change);
		if (b->base)
			fprintf(out, " (%+.1f%%)",
				100.0 * ((double)b->value - (double)b->base) / (double)b->base);
		else
			fprintf(out, " (new)");
	}
	fprintf(out,
		"</title><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" fill=\"%s\" "
		"rx=\"2\" ry=\"2\"/><text x=\"%.1f\" y=\"%.1f\">",
		x, y, w, FRAME_HEIGHT - 1, color, x + 3, y + 11.5);
	double chars = floor((w - 6) / (FONT_SIZE * FONT_WIDTH));
	if (chars >= 3)
		svg_write_text_n(out, name, len, (size_t)chars);
	fputs("</text></g>\n", out);
}

static void write_header(FILE *out, const struct flame_options *o, unsigned int height,
			 const char *title)
{
	svg_begin(out, o->width, height, " onload=\"init(evt)\"",
		  "Drawn by memspy. Click a frame to zoom, Ctrl-F to search.");
	fputs("<defs><linearGradient id=\"background\" y1=\"0\" y2=\"1\" x1=\"0\" x2=\"0\">"
	      "<stop stop-color=\"#eeeeee\" offset=\"5%\"/>"
	      "<stop stop-color=\"#eeeeb0\" offset=\"95%\"/></linearGradient></defs>\n",
	      out);
	svg_write_style(out, flamegraph_css);
	svg_write_script(out, flamegraph_js);
	fprintf(out,
		"<rect x=\"0\" y=\"0\" width=\"%u\" height=\"%u\" fill=\"url(#background)\"/>\n",
		o->width, height);
	svg_write_text_element(out, "title", o->width / 2, 24, title);
	if (o->subtitle)
		svg_write_text_element(out, "subtitle", o->width / 2, 44, o->subtitle);
	unsigned int by = o->subtitle ? 44 + SUBTITLE_PAD : 44;
	fprintf(
	    out,
	    "<text id=\"unzoom\" class=\"btn hide\" x=\"%d\" y=\"%u\">Reset Zoom</text>\n"
	    "<text id=\"search\" class=\"btn\" x=\"%u\" y=\"%u\" "
	    "text-anchor=\"end\">Search</text>\n"
	    "<text id=\"details\" x=\"%d\" y=\"%u\">Click a frame to zoom in, Ctrl-F or "
	    "Search to highlight frames, Esc to reset.</text>\n"
	    "<text id=\"matched\" class=\"hide\" x=\"%u\" y=\"%u\" text-anchor=\"end\"> </text>\n",
	    XPAD, by, o->width - XPAD, by, XPAD, height - 12, o->width - XPAD, height - 12);
}

int flame_tree__write_svg(const struct flame_tree *t, FILE *out, const struct flame_options *opts)
{
	struct flame_options o = opts ? *opts : (struct flame_options){0};
	uint64_t total = t->nodes[0].value;
	bool diff = t->nodes[0].base != 0;
	struct layout l;
	int ret;

	if (!o.width)
		o.width = DEFAULT_WIDTH;
	if (o.width < 200)
		o.width = 200;
	if (o.min_share <= 0)
		o.min_share = DEFAULT_SHARE;
	const char *title = o.title ? o.title : diff ? "Differential Flame Graph" : "Flame Graph";
	if (!total && !o.allow_empty)
		return -ENODATA;

	ret = layout_tree(t, o.min_share, &l);
	if (ret)
		return ret;
	unsigned int top = TOP_PAD + (o.subtitle ? SUBTITLE_PAD : 0);
	unsigned int height = top + (l.max_depth + 1) * FRAME_HEIGHT + BOTTOM_PAD;

	write_header(out, &o, height, title);
	fprintf(out,
		"<g id=\"frames\" data-total=\"%" PRIu64 "\" data-xpad=\"%d\" "
		"data-width=\"%u\" data-units=\"%s\">\n",
		total, XPAD, o.width - 2 * XPAD, o.colors == MS_FLAME_CPU ? "samples" : "bytes");
	for (size_t i = 0; i < l.n; i++)
		write_box(out, t, &l.boxes[i], diff, &l, &o, height);
	fputs("</g>\n", out);
	if (!total)
		fprintf(out,
			"<text x=\"%u\" y=\"%u\" text-anchor=\"middle\">No samples were "
			"recorded.</text>\n",
			o.width / 2, top + FRAME_HEIGHT - 4);
	free(l.boxes);
	return svg_end(out);
}

int flamegraph_render_file(const char *folded_path, FILE *out, const struct flame_options *opts)
{
	struct flame_tree *t = flame_tree__new();
	if (!t) {
		ms_err("%s: out of memory", folded_path);
		return -ENOMEM;
	}
	int ret = flame_tree__read_file(t, folded_path, false);
	if (!ret) {
		ret = flame_tree__write_svg(t, out, opts);
		if (ret == -ENODATA)
			ms_err("%s: no stacks with a non-zero count",
				folded_path);
		else if (ret)
			ms_err("cannot write flame graph of %s: %s", folded_path,
				strerror(-ret));
	}
	flame_tree__free(t);
	return ret;
}
