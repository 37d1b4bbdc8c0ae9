/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Module-level containers of a CPython 3.11, 3.13, 3.14 or 3.15 process, their lengths, and the line
 * that writes each one: sys.modules, every module's globals, and the bytecode of the functions
 * and methods defined beside them, all read from /proc/<pid>/mem. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "python/python_globals.h"
#include "python/python_names.h"
#include "python/python_opcodes.h"

#define MAX_CONTAINERS 4096
#define MAX_DICT_ENTRIES 65536	/* of a module's globals or sys.modules */
#define MAX_POINTS 4096		/* a length series; merged pairwise beyond */
#define RESCAN_TICKS 10		/* look for new modules' globals this often */
#define MAX_NAME 128
#define MAX_CODE_UNITS 65536	/* of one function's bytecode read */
#define MAX_TYPES 1024

/* Object layouts shared by 3.11 to 3.15 (offsetof on Debian's python3.11-dev, trixie's
 * libpython3.13-dev and sid's libpython3.14-dev and libpython3.15-dev with
 * Py_BUILD_CORE); what differs is in struct layout, and in python_code_layout where
 * the interpreter publishes it (a tuple's items moved in 3.14). */
enum {
	OB_TYPE = 8,
	VAR_SIZE = 16,		/* PyVarObject.ob_size */
	DICT_USED = 16, DICT_KEYS = 32, DICT_VALUES = 40,
	KEYS_LOG2_INDEX_BYTES = 9, KEYS_KIND = 10, KEYS_NENTRIES = 24, KEYS_INDICES = 32,
	LIST_ITEMS = 24, LIST_ALLOCATED = 32,
	SET_USED = 24, SET_MASK = 32,
	MODULE_DICT = 16,
	FUNC_CODE = 48,
	TYPE_NAME = 24, TYPE_BASICSIZE = 32, TYPE_ITEMSIZE = 40, TYPE_FLAGS = 168, TYPE_DICT = 264,
	CODE_NAMES = 32,	/* co_names; the rest of a code object: python_code_layout */
};
#define TPFLAGS_LIST (1ul << 25)
#define TPFLAGS_TUPLE (1ul << 26)
#define TPFLAGS_BYTES (1ul << 27)
#define TPFLAGS_UNICODE (1ul << 28)
#define TPFLAGS_DICT (1ul << 29)
#define TPFLAGS_TYPE (1ul << 31)

enum kind { K_OTHER, K_DICT, K_LIST, K_SET, K_MODULE, K_FUNCTION, K_CLASS, K_STR };

struct type_info {
	uint64_t addr;
	enum kind kind;
	uint64_t basicsize, itemsize, flags;
};

struct container {
	uint64_t obj, type;
	uint64_t module_dict;	/* globals of the module that names it */
	enum kind kind;
	bool gone;		/* no longer its global's value, or no longer alive */
	char module[MAX_NAME], global[MAX_NAME];
	double *points;
	size_t n, cap;
	uint64_t first_ns, last_ns;
	uint32_t merge;		/* ticks per point (a power of two) */
	uint32_t pending;	/* ticks added into the last point so far */
};

struct python_globals {
	const struct python_opcodes *l;
	struct python_code_layout code; /* code objects and strs: what names frames */
	int fd;
	struct python_names *names; /* str objects to UTF-8 */
	uint64_t interp;
	struct container *c;
	size_t nc, capc;
	struct type_info types[MAX_TYPES];
	size_t ntypes;
	unsigned ticks;
	uint8_t deopt[256], caches[256];
};

static int read_mem(const struct python_globals *g, uint64_t addr, void *buf, size_t size)
{
	if (addr < 4096)
		return -EFAULT;
	return pread(g->fd, buf, size, (off_t)addr) == (ssize_t)size ? 0 : -EFAULT;
}

static uint64_t read_u64(const struct python_globals *g, uint64_t addr)
{
	uint64_t v = 0;

	return read_mem(g, addr, &v, sizeof(v)) ? 0 : v;
}

/* The name of a type object, its C string read from the target. */
static bool type_name_is(const struct python_globals *g, uint64_t type, const char *want)
{
	char buf[16] = {0};
	uint64_t p = read_u64(g, type + TYPE_NAME);
	size_t n = strlen(want) + 1;

	return n <= sizeof(buf) && p && !read_mem(g, p, buf, n) && !memcmp(buf, want, n);
}

/* What an object is, from its type (cached: a process has few types). */
static const struct type_info *type_of(struct python_globals *g, uint64_t obj)
{
	uint64_t type = read_u64(g, obj + OB_TYPE);
	struct type_info t = {.addr = type};

	if (!type)
		return NULL;
	for (size_t i = 0; i < g->ntypes; i++)
		if (g->types[i].addr == type)
			return &g->types[i];
	t.flags = read_u64(g, type + TYPE_FLAGS);
	t.basicsize = read_u64(g, type + TYPE_BASICSIZE);
	t.itemsize = read_u64(g, type + TYPE_ITEMSIZE);
	if (t.flags & TPFLAGS_DICT)
		t.kind = K_DICT;
	else if (t.flags & TPFLAGS_LIST)
		t.kind = K_LIST;
	else if (t.flags & TPFLAGS_TYPE)
		t.kind = K_CLASS;
	else if (t.flags & TPFLAGS_UNICODE)
		t.kind = K_STR;
	else if (type_name_is(g, type, "set"))
		t.kind = K_SET;
	else if (type_name_is(g, type, "module"))
		t.kind = K_MODULE;
	else if (type_name_is(g, type, "function"))
		t.kind = K_FUNCTION;
	if (g->ntypes == MAX_TYPES)
		return NULL; /* a process this rich in types is not walked further */
	g->types[g->ntypes] = t;
	return &g->types[g->ntypes++];
}

static enum kind kind_of(struct python_globals *g, uint64_t obj)
{
	const struct type_info *t = type_of(g, obj);

	return t ? t->kind : K_OTHER;
}

/* Bytes an object takes, roughly: its type's base size and items, strs exactly. */
static double object_bytes(struct python_globals *g, uint64_t obj)
{
	const struct type_info *t = type_of(g, obj);
	double size;
	int64_t n;

	if (!t)
		return 0;
	if (t->kind == K_STR) {
		n = (int64_t)read_u64(g, obj + g->code.str_length);
		return g->code.str_ascii_data + (double)n + 1; /* compact ASCII; wider strs are rarer */
	}
	size = (double)t->basicsize;
	if (t->itemsize) {
		n = (int64_t)read_u64(g, obj + VAR_SIZE);
		size += (double)t->itemsize * (double)(n < 0 ? -n : n);
	}
	if (t->kind == K_LIST)
		size += 8.0 * (double)read_u64(g, obj + LIST_ALLOCATED);
	return size;
}

/* Where a combined-table dict keeps its entries: their address, 8-byte words per
 * entry (2 with str keys: key, value; 3: hash, key, value) and how many are used,
 * deleted ones included. False for a split table (instance attributes, never a
 * module's globals) or anything inconsistent. */
static bool dict_entries(struct python_globals *g, uint64_t dict, uint64_t *at, size_t *words,
			 uint64_t *n)
{
	uint8_t hdr[KEYS_INDICES];
	uint64_t keys = read_u64(g, dict + DICT_KEYS);

	if (!keys || read_u64(g, dict + DICT_VALUES) || read_mem(g, keys, hdr, sizeof(hdr)) ||
	    hdr[KEYS_LOG2_INDEX_BYTES] > 40 || hdr[KEYS_KIND] > 1)
		return false;
	memcpy(n, hdr + KEYS_NENTRIES, 8);
	*words = hdr[KEYS_KIND] == 1 ? 2 : 3;
	*at = keys + KEYS_INDICES + (1ull << hdr[KEYS_LOG2_INDEX_BYTES]);
	return *n <= (1ull << hdr[KEYS_LOG2_INDEX_BYTES]) * 8; /* at most one per index slot */
}

/* Entries of a combined-table dict: (key, value) pairs, NULL keys left out. Returns
 * the number stored in *out (caller frees), 0 on any inconsistency. */
static size_t dict_items(struct python_globals *g, uint64_t dict, uint64_t **out)
{
	uint64_t at, nentries, *raw, *pairs;
	size_t esize, n = 0;

	*out = NULL;
	if (!dict_entries(g, dict, &at, &esize, &nentries) || nentries > MAX_DICT_ENTRIES)
		return 0;
	raw = malloc(nentries * esize * 8 + 8);
	pairs = malloc(nentries * 2 * 8 + 8);
	if (!raw || !pairs || read_mem(g, at, raw, nentries * esize * 8)) {
		free(raw);
		free(pairs);
		return 0;
	}
	for (uint64_t i = 0; i < nentries; i++) {
		uint64_t k = raw[i * esize + esize - 2], v = raw[i * esize + esize - 1];
		if (k && v) {
			pairs[2 * n] = k;
			pairs[2 * n + 1] = v;
			n++;
		}
	}
	free(raw);
	*out = pairs;
	return n;
}

static bool read_name(struct python_globals *g, uint64_t str, char *buf, size_t size)
{
	char *s = python_names__read_str(g->names, str);
	bool ok = s && *s && strlen(s) < size;

	if (ok)
		strcpy(buf, s);
	free(s);
	return ok;
}

static struct container *find_container(struct python_globals *g, uint64_t obj)
{
	for (size_t i = 0; i < g->nc; i++)
		if (g->c[i].obj == obj)
			return &g->c[i];
	return NULL;
}

/* Watch a container not watched yet. */
static void watch(struct python_globals *g, uint64_t obj, enum kind kind, uint64_t module_dict,
		  const char *module, const char *global)
{
	struct container *c;

	if (g->nc == MAX_CONTAINERS)
		return;
	if (g->nc == g->capc) {
		size_t nc = g->capc ? g->capc * 2 : 64;
		struct container *n = realloc(g->c, nc * sizeof(*n));
		if (!n)
			return;
		g->c = n;
		g->capc = nc;
	}
	c = &g->c[g->nc++];
	*c = (struct container){.obj = obj, .kind = kind, .module_dict = module_dict, .merge = 1};
	c->type = read_u64(g, obj + OB_TYPE);
	snprintf(c->module, sizeof(c->module), "%s", module);
	snprintf(c->global, sizeof(c->global), "%s", global);
}

/* sys.modules, then every module's globals: watch the containers, and check that
 * those watched are still what their global names (a rebound global lets its old
 * object die, and its memory may hold anything after). */
static void scan_modules(struct python_globals *g)
{
	uint64_t *mods, *globals;
	size_t nm = dict_items(g, read_u64(g, g->interp + g->code.interp_modules), &mods);
	char mname[MAX_NAME], gname[MAX_NAME];

	for (size_t i = 0; i < g->nc; i++)
		g->c[i].gone = true;
	for (size_t m = 0; m < nm; m++) {
		uint64_t mod = mods[2 * m + 1], mdict;

		if (kind_of(g, mod) != K_MODULE || !read_name(g, mods[2 * m], mname, sizeof(mname)))
			continue;
		mdict = read_u64(g, mod + MODULE_DICT);
		size_t ng = dict_items(g, mdict, &globals);
		for (size_t k = 0; k < ng; k++) {
			uint64_t v = globals[2 * k + 1];
			enum kind kind = kind_of(g, v);
			struct container *c;

			if (kind != K_DICT && kind != K_LIST && kind != K_SET)
				continue;
			if ((c = find_container(g, v))) {
				c->gone = false;
				continue;
			}
			if (read_name(g, globals[2 * k], gname, sizeof(gname)) && gname[0] != '_')
				watch(g, v, kind, mdict, mname, gname); /* new: not gone */
		}
		free(globals);
	}
	free(mods);
}

/* Is sys.modules where the layout says? A dict holding "sys": a CPython build whose
 * interpreter state differs from the one the offset came from is left alone. */
static bool modules_found(struct python_globals *g)
{
	uint64_t *mods, modules = read_u64(g, g->interp + g->code.interp_modules);
	char name[8];
	size_t n;
	bool found = false;

	if (!modules || kind_of(g, modules) != K_DICT)
		return false;
	n = dict_items(g, modules, &mods);
	for (size_t i = 0; i < n && !found; i++)
		found = read_name(g, mods[2 * i], name, sizeof(name)) && !strcmp(name, "sys");
	free(mods);
	return found;
}

struct python_globals *python_globals__new(pid_t pid, const struct ms_python_offsets *off,
					   const struct python_code_layout *code)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? NULL : python_globals__new_fd(fd, off, code);
}

struct python_globals *python_globals__new_fd(int fd, const struct ms_python_offsets *off,
					      const struct python_code_layout *code)
{
	struct python_globals *g;
	const struct python_opcodes *l = off ? python_opcodes_for(off->version) : NULL;
	int names_fd;

	if (!l || !code) {
		close(fd);
		errno = ENOTSUP;
		return NULL;
	}
	g = calloc(1, sizeof(*g));
	if (!g) {
		close(fd);
		return NULL;
	}
	g->fd = fd;
	g->l = l;
	g->code = *code;
	for (int i = 0; i < 256; i++)
		g->deopt[i] = (uint8_t)i;
	for (size_t i = 0; i < l->nspecialized; i++)
		g->deopt[l->specialized[i][0]] = l->specialized[i][1];
	for (size_t i = 0; i < l->ncaches; i++)
		g->caches[l->caches[i][0]] = l->caches[i][1];
	names_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	g->names = names_fd < 0 ? NULL : python_names__new_fd(names_fd, code);
	if (!g->names) {
		python_globals__free(g);
		return NULL;
	}
	g->interp = read_u64(g, off->runtime + off->runtime_interp_head);
	if (!modules_found(g)) {
		python_globals__free(g);
		errno = ENOTSUP;
		return NULL;
	}
	return g;
}

void python_globals__free(struct python_globals *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->nc; i++)
		free(g->c[i].points);
	free(g->c);
	python_names__free(g->names);
	if (g->fd >= 0)
		close(g->fd);
	free(g);
}

static int64_t length_of(struct python_globals *g, const struct container *c)
{
	uint64_t at = c->kind == K_SET ? SET_USED : c->kind == K_DICT ? DICT_USED : VAR_SIZE;
	int64_t len;

	if (read_u64(g, c->obj + OB_TYPE) != c->type || read_mem(g, c->obj + at, &len, 8) ||
	    len < 0)
		return -1;
	return len;
}

/* One reading into the series; a long run averages neighbouring points so the
 * series stays bounded, as the heap profile's do. */
static void add_point(struct container *c, double v, uint64_t ts)
{
	if (c->n && c->pending < c->merge) {
		double *last = &c->points[c->n - 1];
		*last = (*last * c->pending + v) / (c->pending + 1);
		c->pending++;
		c->last_ns = ts;
		return;
	}
	if (c->n == MAX_POINTS) {
		for (size_t i = 0; i < c->n / 2; i++)
			c->points[i] = (c->points[2 * i] + c->points[2 * i + 1]) / 2;
		c->n /= 2;
		c->merge *= 2;
	}
	if (c->n == c->cap) {
		size_t nc = c->cap ? c->cap * 2 : 64;
		double *p = realloc(c->points, nc * sizeof(*p));
		if (!p)
			return;
		c->points = p;
		c->cap = nc;
	}
	if (!c->n)
		c->first_ns = ts;
	c->points[c->n++] = v;
	c->pending = 1;
	c->last_ns = ts;
}

void python_globals__tick(struct python_globals *g, uint64_t ts_ns)
{
	if (!g)
		return;
	if (g->ticks++ % RESCAN_TICKS == 0)
		scan_modules(g);
	for (size_t i = 0; i < g->nc; i++) {
		struct container *c = &g->c[i];
		int64_t len;

		if (c->gone)
			continue;
		len = length_of(g, c);
		if (len < 0)
			c->gone = true;
		else
			add_point(c, (double)len, ts_ns);
	}
}

/* Bytes one entry adds: its slot in the container's table and its newest element
 * (a dict's newest key and value: only that entry is read, however big the dict). */
static double entry_bytes(struct python_globals *g, const struct container *c)
{
	uint64_t at, n, kv[3] = {0};
	size_t words;
	double b = 0;

	if (c->kind == K_LIST) {
		int64_t len = length_of(g, c);
		uint64_t items_at = read_u64(g, c->obj + LIST_ITEMS);
		return len > 0 ? 8 + object_bytes(g, read_u64(g, items_at + 8 * (uint64_t)(len - 1)))
			       : 8;
	}
	if (c->kind == K_SET)
		return 16 * 1.5; /* a hash and a key per slot, tables kept under 3/5 full */
	/* the newest entry still in use: deleted ones keep their place with a NULL key */
	if (!dict_entries(g, c->obj, &at, &words, &n))
		n = 0;
	for (uint64_t i = 0; i < n && i < 8; i++) {
		if (read_mem(g, at + (n - 1 - i) * words * 8, kv, words * 8))
			break;
		if (kv[words - 2] && kv[words - 1]) {
			b = object_bytes(g, kv[words - 2]) + object_bytes(g, kv[words - 1]);
			break;
		}
	}
	return b + 24 * 1.5; /* an entry and its index, tables kept under 2/3 full */
}

/* Does this function's bytecode store into global namei? Returns the byte offset
 * of the LOAD_GLOBAL that starts the store (a subscript store, or a call of a
 * mutating method: append, add, update, ...), or -1. */
static int find_store(struct python_globals *g, const uint16_t *u, size_t n, uint64_t names,
		      uint64_t nnames, uint64_t namei)
{
	static const char *const mutators[] = {"append", "extend", "insert", "add", "update",
					       "setdefault", "__setitem__", "appendleft",
					       "extendleft"};
	const struct python_opcodes *l = g->l;
	uint32_t ext = 0;

	for (size_t i = 0; i < n;) {
		uint8_t op = g->deopt[u[i] & 0xff];
		uint32_t arg = (u[i] >> 8) | ext;
		size_t next = i + 1 + g->caches[op];

		ext = op == l->extended_arg ? arg << 8 : 0;
		if (op == l->load_global && (arg >> 1) == namei) {
			/* the next instructions up to the store: the subscript and value
			 * loads of `g[k] = v` need at most a few */
			size_t j = next;
			for (int steps = 0; steps < 4 && j < n; steps++) {
				uint8_t op2 = g->deopt[u[j] & 0xff];
				uint32_t arg2 = u[j] >> 8;
				char m[32];

				if (op2 == l->load_attr)
					arg2 >>= l->load_attr_shift;
				if (op2 == l->store_subscr)
					return (int)(i * 2);
				if (((l->load_method && op2 == l->load_method) || op2 == l->load_attr) &&
				    arg2 < nnames) {
					if (!read_name(g, read_u64(g, names + g->code.tuple_items + 8 * arg2), m,
						       sizeof(m)))
						break;
					for (size_t k = 0; k < sizeof(mutators) / sizeof(*mutators); k++)
						if (!strcmp(m, mutators[k]))
							return (int)(i * 2);
					break;
				}
				if (op2 == l->load_global || op2 == l->extended_arg)
					break;
				j += 1 + g->caches[op2];
			}
		}
		i = next;
	}
	return -1;
}

/* "function (file.py:LINE)" if the code object stores into global `global`. */
static bool code_writes(struct python_globals *g, uint64_t code, const char *global, char *out,
			size_t size)
{
	uint64_t names = read_u64(g, code + CODE_NAMES), nnames = read_u64(g, names + VAR_SIZE);
	uint64_t nunits = read_u64(g, code + VAR_SIZE), namei;
	char buf[MAX_NAME], fn[MAX_NAME], file[512];
	int at, first, line = -1;

	if (!names || nnames > 4096 || !nunits || nunits > MAX_CODE_UNITS)
		return false;
	for (namei = 0; namei < nnames; namei++)
		if (read_name(g, read_u64(g, names + g->code.tuple_items + 8 * namei), buf, sizeof(buf)) &&
		    !strcmp(buf, global))
			break;
	if (namei == nnames)
		return false;
	uint16_t *u = malloc(nunits * 2);
	if (!u || read_mem(g, code + g->code.code, u, nunits * 2)) {
		free(u);
		return false;
	}
	at = find_store(g, u, nunits, names, nnames, namei);
	free(u);
	if (at < 0 || !read_name(g, read_u64(g, code + g->code.name), fn, sizeof(fn)) ||
	    !read_name(g, read_u64(g, code + g->code.filename), file, sizeof(file)))
		return false;
	uint64_t tab = read_u64(g, code + g->code.linetable);
	uint64_t tablen = read_u64(g, tab + g->code.bytes_size);
	if (read_mem(g, code + g->code.firstlineno, &first, 4))
		return false;
	if (tab && tablen && tablen < (1u << 20)) {
		uint8_t *t = malloc(tablen);
		if (t && !read_mem(g, tab + g->code.bytes_data, t, tablen))
			line = python_linetable_line(t, tablen, first, at);
		free(t);
	}
	if (line < 0)
		return false;
	snprintf(out, size, "%s (%s:%d)", fn, python_short_path(file), line);
	return true;
}

/* The function or method of the container's module that stores into it. */
static bool find_writer(struct python_globals *g, const struct container *c, char *out,
			size_t size)
{
	uint64_t *globals, *methods;
	size_t ng = dict_items(g, c->module_dict, &globals);
	bool found = false;

	for (size_t k = 0; k < ng && !found; k++) {
		uint64_t v = globals[2 * k + 1];
		enum kind kind = kind_of(g, v);

		if (kind == K_FUNCTION) {
			found = code_writes(g, read_u64(g, v + FUNC_CODE), c->global, out, size);
		} else if (kind == K_CLASS) {
			size_t nmeth = dict_items(g, read_u64(g, v + TYPE_DICT), &methods);
			for (size_t j = 0; j < nmeth && !found; j++)
				if (kind_of(g, methods[2 * j + 1]) == K_FUNCTION)
					found = code_writes(g, read_u64(g, methods[2 * j + 1] + FUNC_CODE),
							    c->global, out, size);
			free(methods);
		}
	}
	free(globals);
	return found;
}

bool python_globals__container(struct python_globals *g, size_t i, struct python_container *out)
{
	static const char *const type_names[] = {[K_DICT] = "dict", [K_LIST] = "list",
						 [K_SET] = "set"};

	if (!g || i >= g->nc)
		return false;
	const struct container *c = &g->c[i];
	snprintf(out->name, sizeof(out->name), "%s.%s", c->module, c->global);
	out->type = type_names[c->kind];
	out->lengths = c->points;
	out->n = c->n;
	out->first_ns = c->first_ns;
	out->last_ns = c->last_ns;
	return true;
}

void python_globals__describe(struct python_globals *g, size_t i, char *writer, size_t size,
			      double *bytes_per_entry)
{
	const struct container *c = &g->c[i];

	*bytes_per_entry = c->gone ? 0 : entry_bytes(g, c);
	if (c->gone || !find_writer(g, c, writer, size))
		writer[0] = '\0';
}
