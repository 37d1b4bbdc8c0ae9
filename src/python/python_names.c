/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Name Python frames: read code objects from /proc/<pid>/mem, decode the location
 * table, cache by code object and instruction. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/hashtab.h"
#include "python/python_names.h"

#define MAX_STR 1024		 /* characters of a name or path read */
#define MAX_LINETABLE (1 << 20)	 /* bytes of a location table read */
#define MIN_ENTRIES   128

struct code_entry {
	uint64_t code;	   /* PyCodeObject * */
	int firstlineno;
	char *name, *file;
	uint8_t *tab;
	size_t tablen;
};

struct frame_entry {
	uint64_t code, instr;
	char *text;
};

struct python_names {
	struct python_code_layout l;
	int fd;
	struct code_entry *codes; /* in the order first read */
	size_t ncodes, capcodes;
	struct hashtab codes_by_addr;
	struct frame_entry *frames; /* in the order first named */
	size_t nframes, capframes;
	struct hashtab frames_by_key; /* by code and instruction */
};

struct python_names *python_names__new(pid_t pid, const struct python_code_layout *l)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? NULL : python_names__new_fd(fd, l);
}

struct python_names *python_names__new_fd(int fd, const struct python_code_layout *l)
{
	struct python_names *n = calloc(1, sizeof(*n));

	if (!n) {
		close(fd);
		return NULL;
	}
	n->l = *l;
	n->fd = fd;
	if (hashtab__init(&n->codes_by_addr, MIN_ENTRIES, 0) ||
	    hashtab__init(&n->frames_by_key, MIN_ENTRIES, 0)) {
		python_names__free(n);
		return NULL;
	}
	return n;
}

static void free_code(struct code_entry *c)
{
	free(c->name);
	free(c->file);
	free(c->tab);
}

/* Forget every code object and name read (the arrays keep their room). */
static void forget_all(struct python_names *n)
{
	for (size_t i = 0; i < n->ncodes; i++)
		free_code(&n->codes[i]);
	for (size_t i = 0; i < n->nframes; i++)
		free(n->frames[i].text);
	n->ncodes = n->nframes = 0;
	hashtab__clear(&n->codes_by_addr);
	hashtab__clear(&n->frames_by_key);
}

void python_names__free(struct python_names *n)
{
	if (!n)
		return;
	forget_all(n);
	free(n->codes);
	free(n->frames);
	hashtab__fini(&n->codes_by_addr);
	hashtab__fini(&n->frames_by_key);
	if (n->fd >= 0)
		close(n->fd);
	free(n);
}

int python_linetable_line(const uint8_t *tab, size_t len, int firstlineno, int addrq)
{
	const uint8_t *p = tab, *end = tab + len;
	/* Wider than a line number: a forged table's deltas must not overflow it. */
	int64_t line = firstlineno;
	int addr = 0;

	if (addrq < 0)
		return firstlineno;
	while (p < end) {
		uint8_t first = *p++;
		int code = (first >> 3) & 15, delta = 0;

		if (!(first & 0x80))
			return -1; /* not at an entry's start: a corrupt table */
		/* varints: 6-bit chunks, 0x40 continues; signed ones keep the sign in bit 0 */
#define VARINT(v)                                                                                  \
	do {                                                                                       \
		unsigned sh_ = 0;                                                                  \
		(v) = 0;                                                                           \
		while (p < end) {                                                                  \
			uint8_t b_ = *p++;                                                         \
			(v) |= (unsigned)(b_ & 63) << sh_;                                         \
			sh_ += 6;                                                                  \
			if (!(b_ & 64) || sh_ > 30)                                                \
				break;                                                             \
		}                                                                                  \
	} while (0)
		if (code == 14 || code == 13) {
			unsigned v, skip;
			VARINT(v);
			delta = (v & 1) ? -(int)(v >> 1) : (int)(v >> 1);
			if (code == 14) {
				VARINT(skip); /* end line */
				VARINT(skip); /* column */
				VARINT(skip); /* end column */
				(void)skip;
			}
		} else if (code >= 10 && code <= 12) {
			delta = code - 10;
			p += end - p < 2 ? end - p : 2;
		} else if (code < 10) {
			p += p < end;
		}
#undef VARINT
		line += delta;
		if (line < INT32_MIN || line > INT32_MAX)
			return -1; /* no source has that many lines: a forged table */
		addr += ((first & 7) + 1) * 2;
		if (addrq < addr)
			return code == 15 ? -1 : (int)line;
	}
	return -1;
}

const char *python_short_path(const char *path)
{
	static const char *const marks[] = {"/site-packages/", "/dist-packages/"};
	const char *p, *b;

	for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
		if ((p = strstr(path, marks[i])) && p[strlen(marks[i])])
			return p + strlen(marks[i]);
	if ((p = strstr(path, "/lib/python3")) && (b = strchr(p + 12, '/')) && b[1])
		return b + 1;
	b = strrchr(path, '/');
	return b && b[1] ? b + 1 : path;
}

static int read_mem(struct python_names *n, uint64_t addr, void *buf, size_t size)
{
	if (!addr)
		return -EFAULT;
	ssize_t r = pread(n->fd, buf, size, (off_t)addr);
	return r == (ssize_t)size ? 0 : -EFAULT;
}

/* A str object as UTF-8 (compact objects only: every name and path CPython makes). */
static char *read_str(struct python_names *n, uint64_t obj)
{
	uint8_t hdr[128];
	uint64_t length;
	uint32_t state;
	char *out;

	if (n->l.str_compact_data > sizeof(hdr) || read_mem(n, obj, hdr, n->l.str_compact_data))
		return NULL;
	memcpy(&length, hdr + n->l.str_length, 8);
	memcpy(&state, hdr + n->l.str_state, 4);
	unsigned kind = (state >> 2) & 7, compact = (state >> 5) & 1, ascii = (state >> 6) & 1;
	if (!compact || (kind != 1 && kind != 2 && kind != 4))
		return NULL;
	if (length > MAX_STR)
		length = MAX_STR;
	uint8_t *raw = malloc(length * kind + 1);
	out = malloc(length * 4 + 1);
	if (!raw || !out ||
	    read_mem(n, obj + (ascii ? n->l.str_ascii_data : n->l.str_compact_data), raw,
		     length * kind)) {
		free(raw);
		free(out);
		return NULL;
	}
	size_t k = 0;
	for (uint64_t i = 0; i < length; i++) {
		uint32_t c = kind == 1 ? raw[i] : kind == 2 ? ((uint16_t *)raw)[i] : ((uint32_t *)raw)[i];
		if (c < 0x80) {
			out[k++] = (char)c;
		} else if (c < 0x800) {
			out[k++] = (char)(0xc0 | c >> 6);
			out[k++] = (char)(0x80 | (c & 63));
		} else if (c < 0x10000) {
			out[k++] = (char)(0xe0 | c >> 12);
			out[k++] = (char)(0x80 | ((c >> 6) & 63));
			out[k++] = (char)(0x80 | (c & 63));
		} else {
			out[k++] = (char)(0xf0 | c >> 18);
			out[k++] = (char)(0x80 | ((c >> 12) & 63));
			out[k++] = (char)(0x80 | ((c >> 6) & 63));
			out[k++] = (char)(0x80 | (c & 63));
		}
	}
	out[k] = '\0';
	free(raw);
	return out;
}

/* Room in *arr, which holds n entries of size bytes, for one more. 0 or -ENOMEM. */
static int reserve(void **arr, size_t *cap, size_t n, size_t size)
{
	size_t nc = *cap ? *cap * 2 : MIN_ENTRIES;
	void *p;

	if (n < *cap)
		return 0;
	if (n >= MS_HASHTAB_NONE - 1 || !(p = realloc(*arr, nc * size)))
		return -ENOMEM;
	*arr = p;
	*cap = nc;
	return 0;
}

static struct code_entry *code_find(const struct python_names *n, uint64_t code)
{
	uint64_t h = hash_u64(code);
	size_t pos;

	for (uint32_t i = hashtab__first(&n->codes_by_addr, h, &pos); i != MS_HASHTAB_NONE;
	     i = hashtab__next(&n->codes_by_addr, h, &pos))
		if (n->codes[i].code == code)
			return &n->codes[i];
	return NULL;
}

/* The code entry of code, read from the target the first time only: a frame's name
 * must not cost a read of the target's memory on every event. NULL when it cannot
 * be read. */
static struct code_entry *code_entry(struct python_names *n, uint64_t code)
{
	uint8_t hdr[256];
	uint64_t name_obj, file_obj, tabobj, tablen = 0;
	int32_t first;
	struct code_entry *c = code_find(n, code);

	if (c)
		return c;
	if (reserve((void **)&n->codes, &n->capcodes, n->ncodes, sizeof(*n->codes)) ||
	    n->l.code > sizeof(hdr) || read_mem(n, code, hdr, n->l.code))
		return NULL;
	memcpy(&name_obj, hdr + n->l.name, 8);
	memcpy(&file_obj, hdr + n->l.filename, 8);
	memcpy(&tabobj, hdr + n->l.linetable, 8);
	memcpy(&first, hdr + n->l.firstlineno, 4);
	char *name = read_str(n, name_obj), *file = read_str(n, file_obj);
	uint8_t *tab = NULL;
	if (!read_mem(n, tabobj + n->l.bytes_size, &tablen, 8) && tablen <= MAX_LINETABLE &&
	    (tab = malloc(tablen ? tablen : 1)) && read_mem(n, tabobj + n->l.bytes_data, tab, tablen)) {
		free(tab);
		tab = NULL;
	}
	if (!name || hashtab__insert(&n->codes_by_addr, hash_u64(code), (uint32_t)n->ncodes)) {
		free(name);
		free(file);
		free(tab);
		return NULL;
	}
	c = &n->codes[n->ncodes++];
	*c = (struct code_entry){
		.code = code,
		.firstlineno = first,
		.name = name,
		.file = file,
		.tab = tab,
		.tablen = tab ? tablen : 0,
	};
	return c;
}

static uint64_t frame_hash(uint64_t code, uint64_t instr)
{
	return hash_u64(code ^ hash_u64(instr));
}

static const char *frame_find(const struct python_names *n, uint64_t code, uint64_t instr)
{
	uint64_t h = frame_hash(code, instr);
	size_t pos;

	for (uint32_t i = hashtab__first(&n->frames_by_key, h, &pos); i != MS_HASHTAB_NONE;
	     i = hashtab__next(&n->frames_by_key, h, &pos))
		if (n->frames[i].code == code && n->frames[i].instr == instr)
			return n->frames[i].text;
	return NULL;
}

/* Keep text, which the table takes over, as the name of (code, instr). 0 or
 * -ENOMEM (text freed). */
static int frame_add(struct python_names *n, uint64_t code, uint64_t instr, char *text)
{
	if (reserve((void **)&n->frames, &n->capframes, n->nframes, sizeof(*n->frames)) ||
	    hashtab__insert(&n->frames_by_key, frame_hash(code, instr), (uint32_t)n->nframes)) {
		free(text);
		return -ENOMEM;
	}
	n->frames[n->nframes++] = (struct frame_entry){.code = code, .instr = instr, .text = text};
	return 0;
}

const char *python_names__frame(struct python_names *n, uint64_t code, uint64_t instr)
{
	struct code_entry *c;
	const char *known;
	char buf[2 * MAX_STR + 64];
	int line = -1;

	if (!code)
		return "[python]";
	known = frame_find(n, code, instr);
	if (known)
		return known;
	/* Emptied only here: the name handed out last is interned by now. */
	if (n->nframes >= MS_PY_NAMES_MAX || n->ncodes >= MS_PY_NAMES_MAX)
		forget_all(n);
	c = code_entry(n, code);
	if (!c)
		return "[python]";
	/* 3.11's prev_instr points at the code unit (2 bytes) last started, one
	 * before the first when the frame has not started; 3.13's instr_ptr at the
	 * one executing, a call included: either way the unit whose line to show */
	int64_t off = (int64_t)(instr - (code + n->l.code));
	if (c->tab && off >= -2 && off < (int64_t)1 << 30)
		line = python_linetable_line(c->tab, c->tablen, c->firstlineno, (int)(off / 2) * 2);
	if (line >= 0)
		snprintf(buf, sizeof(buf), "%s (%s:%d)", c->name,
			 c->file ? python_short_path(c->file) : "?", line);
	else
		snprintf(buf, sizeof(buf), "%s (%s)", c->name,
			 c->file ? python_short_path(c->file) : "?");
	char *text = strdup(buf);
	if (!text || frame_add(n, code, instr, text))
		return "[python]";
	return text;
}

bool python_names__is_shim(struct python_names *n, uint64_t code)
{
	struct code_entry *c = code ? code_entry(n, code) : NULL;

	/* Code compiled from source is named after a file (a path, "<stdin>")
	 * and has a line at its first instruction; the shim is named "__init__"
	 * twice and its one-entry location table gives no line at all. */
	return c && c->tab && c->file && !strcmp(c->file, c->name) && !strpbrk(c->file, "/.<") &&
	       python_linetable_line(c->tab, c->tablen, c->firstlineno, 0) < 0;
}

char *python_names__read_str(struct python_names *n, uint64_t obj)
{
	return read_str(n, obj);
}
