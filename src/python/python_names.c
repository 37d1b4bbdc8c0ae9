/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Name Python frames: read code objects from /proc/<pid>/mem, decode the location
 * table, cache by code object and instruction. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "python/python_names.h"

#define MAX_STR 1024		 /* characters of a name or path read */
#define MAX_LINETABLE (1 << 20)	 /* bytes of a location table read */

struct code_entry {
	uint64_t code;	   /* PyCodeObject *; 0: free slot */
	int firstlineno;
	char *name, *file;
	uint8_t *tab;
	size_t tablen;
};

struct frame_entry {
	uint64_t code, instr; /* code 0: free slot */
	char *text;
};

struct python_names {
	struct python_code_layout l;
	int fd;
	struct code_entry *codes;
	size_t ncodes, capcodes; /* capacity a power of two */
	struct frame_entry *frames;
	size_t nframes, capframes;
};

static uint64_t hash64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

struct python_names *python_names__new(pid_t pid, const struct python_code_layout *l)
{
	struct python_names *n = calloc(1, sizeof(*n));
	char path[64];

	if (!n)
		return NULL;
	n->l = *l;
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	n->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (n->fd < 0) {
		free(n);
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

void python_names__free(struct python_names *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->capcodes; i++)
		if (n->codes[i].code)
			free_code(&n->codes[i]);
	for (size_t i = 0; i < n->capframes; i++)
		free(n->frames[i].text);
	free(n->codes);
	free(n->frames);
	if (n->fd >= 0)
		close(n->fd);
	free(n);
}

int python_linetable_line(const uint8_t *tab, size_t len, int firstlineno, int addrq)
{
	const uint8_t *p = tab, *end = tab + len;
	int line = firstlineno, addr = 0;

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
			p += 2;
		} else if (code < 10) {
			p += 1;
		}
#undef VARINT
		line += delta;
		addr += ((first & 7) + 1) * 2;
		if (addrq < addr)
			return code == 15 ? -1 : line;
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

static int grow(void **slots, size_t *cap, size_t size)
{
	size_t nc = *cap ? *cap * 2 : 256;
	void *p = calloc(nc, size);

	if (!p)
		return -ENOMEM;
	*slots = p;
	*cap = nc;
	return 0;
}

static struct code_entry *code_slot(struct python_names *n, uint64_t code)
{
	if (n->ncodes * 2 >= n->capcodes) {
		struct code_entry *old = n->codes;
		size_t oldcap = n->capcodes;
		if (grow((void **)&n->codes, &n->capcodes, sizeof(*n->codes))) {
			n->codes = old;
			n->capcodes = oldcap;
			if (!old || n->ncodes + 1 >= oldcap)
				return NULL;
		} else {
			for (size_t i = 0; i < oldcap; i++) {
				if (!old[i].code)
					continue;
				size_t j = hash64(old[i].code) & (n->capcodes - 1);
				while (n->codes[j].code)
					j = (j + 1) & (n->capcodes - 1);
				n->codes[j] = old[i];
			}
			free(old);
		}
	}
	size_t j = hash64(code) & (n->capcodes - 1);
	while (n->codes[j].code && n->codes[j].code != code)
		j = (j + 1) & (n->capcodes - 1);
	return &n->codes[j];
}

/* The code entry of code, read from the target the first time only: a frame's name
 * must not cost a read of the target's memory on every event. NULL when it cannot
 * be read. */
static struct code_entry *code_entry(struct python_names *n, uint64_t code)
{
	uint8_t hdr[256];
	uint64_t name_obj, file_obj, tabobj, tablen = 0;
	int32_t first;
	struct code_entry *c = code_slot(n, code);

	if (!c || c->code)
		return c;
	if (n->l.code > sizeof(hdr) || read_mem(n, code, hdr, n->l.code))
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
	if (!name) {
		free(file);
		free(tab);
		return NULL;
	}
	n->ncodes++;
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

static struct frame_entry *frame_slot(struct python_names *n, uint64_t code, uint64_t instr)
{
	if (n->nframes * 2 >= n->capframes) {
		struct frame_entry *old = n->frames;
		size_t oldcap = n->capframes;
		if (grow((void **)&n->frames, &n->capframes, sizeof(*n->frames))) {
			n->frames = old;
			n->capframes = oldcap;
			if (!old || n->nframes + 1 >= oldcap)
				return NULL;
		} else {
			for (size_t i = 0; i < oldcap; i++) {
				if (!old[i].code)
					continue;
				size_t j = hash64(old[i].code ^ hash64(old[i].instr)) & (n->capframes - 1);
				while (n->frames[j].code)
					j = (j + 1) & (n->capframes - 1);
				n->frames[j] = old[i];
			}
			free(old);
		}
	}
	size_t j = hash64(code ^ hash64(instr)) & (n->capframes - 1);
	while (n->frames[j].code && (n->frames[j].code != code || n->frames[j].instr != instr))
		j = (j + 1) & (n->capframes - 1);
	return &n->frames[j];
}

const char *python_names__frame(struct python_names *n, uint64_t code, uint64_t instr)
{
	struct code_entry *c;
	struct frame_entry *f;
	char buf[2 * MAX_STR + 64];
	int line = -1;

	if (!code)
		return "[python]";
	f = frame_slot(n, code, instr);
	if (f && f->code)
		return f->text;
	c = code_entry(n, code);
	if (!c || !f)
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
	if (!text)
		return "[python]";
	n->nframes++;
	*f = (struct frame_entry){.code = code, .instr = instr, .text = text};
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
