/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Finding CPython's allocator domains in a running target: a strict decoder of the
 * few instruction shapes GCC makes of PyMem_GetAllocator (the structs' names in an
 * unstripped build's .symtab when the code is of another shape), and the fixed
 * offsets in _PyRuntime of the versions that keep them there. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "python/python_detect.h"
#include "python/python_domains.h"
#include "target/elfsyms.h"
#include "target/procmem.h"
#include "target/procroot.h"

/* The copy of one domain's struct into *out, as it is being decoded. */
struct copy {
	uint64_t src;	  /* %rsi: the struct */
	bool count;	  /* %ecx = 10 dwords: sizeof(PyMemAllocatorEx) */
	uint64_t xmm[8];  /* where %xmm0-7 were loaded from; 0: not loaded */
	uint64_t rax;	  /* where %rax was loaded from; 0: not loaded */
	uint64_t base;	  /* the struct the stores to (%rsi) copy; 0: none yet */
	uint8_t words;	  /* which of its 5 qwords were stored to *out */
};

#define ALL_WORDS ((1u << (PY_DOMAIN_SIZE / 8)) - 1)

static uint32_t u32_at(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* Record src as domain's struct: -EPROTO when another one was recorded. */
static int found(struct python_getalloc *d, int domain, uint64_t src)
{
	if (domain < 0 || domain >= PY_DOMAINS || !src)
		return 0;
	if (d->dom[domain] && d->dom[domain] != src)
		return -EPROTO;
	d->dom[domain] = src;
	return 0;
}

/*
 * A store of width bytes, loaded from src, to off(%rsi): part of a copy of the
 * struct at src - off into *out. Its length n, or 0 when it is not (nothing loaded,
 * a store outside the struct); err -EPROTO when it copies from another struct than
 * the stores before it. Complete, the copy is the domain's.
 */
static size_t store(uint64_t src, unsigned off, unsigned width, size_t n, int domain,
		    struct copy *cp, struct python_getalloc *d, int *err)
{
	uint8_t words = (uint8_t)(((1u << (width / 8)) - 1) << (off / 8));

	if (!src || off % 8 || off + width > PY_DOMAIN_SIZE)
		return 0;
	if (cp->base && cp->base != src - off) {
		*err = -EPROTO;
		return n;
	}
	cp->base = src - off;
	cp->words |= words;
	if (cp->words == ALL_WORDS) {
		*err = found(d, domain, cp->base);
		*cp = (struct copy){0};
	}
	return n;
}

/*
 * The SSE copy of a struct into *out (GCC's for a shared libpython): `movdqa
 * disp(%rip),%xmmN` / `movups %xmmN,off(%rsi)` twice, then `mov disp(%rip),%rax` /
 * `mov %rax,0x20(%rsi)`. The length of the instruction at p, or 0.
 */
static size_t step_sse(const uint8_t *p, size_t left, uint64_t next, int domain, struct copy *cp,
		       struct python_getalloc *d, int *err)
{
	if (left >= 8 && p[0] == 0x66 && p[1] == 0x0f && p[2] == 0x6f && (p[3] & 0xc7) == 0x05) {
		/* movdqa disp(%rip),%xmmN */
		cp->xmm[(p[3] >> 3) & 7] = next + 8 + (uint64_t)(int64_t)(int32_t)u32_at(p + 4);
		return 8;
	}
	if (left >= 3 && p[0] == 0x0f && p[1] == 0x11 && (p[2] & 0xc7) == 0x06) /* movups to (%rsi) */
		return store(cp->xmm[(p[2] >> 3) & 7], 0, 16, 3, domain, cp, d, err);
	if (left >= 4 && p[0] == 0x0f && p[1] == 0x11 && (p[2] & 0xc7) == 0x46) /* disp8(%rsi) */
		return store(cp->xmm[(p[2] >> 3) & 7], p[3], 16, 4, domain, cp, d, err);
	if (left >= 7 && !memcmp(p, "\x48\x8b\x05", 3)) { /* mov disp(%rip),%rax */
		cp->rax = next + 7 + (uint64_t)(int64_t)(int32_t)u32_at(p + 3);
		return 7;
	}
	if (left >= 4 && !memcmp(p, "\x48\x89\x46", 3)) /* mov %rax,disp8(%rsi) */
		return store(cp->rax, p[3], 8, 4, domain, cp, d, err);
	return 0;
}

/*
 * One instruction at code[i]: its length, or 0 when it is not one of the shapes.
 * cond is the value the last test/cmp compared %edi with (-1: none); domain the one
 * the code at i runs for (-1: unknown).
 */
static size_t step(const uint8_t *c, size_t i, size_t len, uint64_t addr, int *cond, int *domain,
		   struct copy *cp, struct python_getalloc *d, int *err)
{
	size_t left = len - i;
	const uint8_t *p = c + i;

	if (left >= 4 && !memcmp(p, "\xf3\x0f\x1e\xfa", 4)) /* endbr64 */
		return 4;
	if (left >= 3 && !memcmp(p, "\x48\x89\xf0", 3)) { /* mov %rsi,%rax */
		cp->rax = 0;
		return 3;
	}
	if (left >= 3 && !memcmp(p, "\x48\x89\xc7", 3)) /* mov %rax,%rdi */
		return 3;
	if (left >= 2 && p[0] == 0x85 && p[1] == 0xff) { /* test %edi,%edi */
		*cond = 0;
		return 2;
	}
	if (left >= 3 && p[0] == 0x83 && p[1] == 0xff) { /* cmp $imm8,%edi */
		*cond = p[2];
		return 3;
	}
	if (left >= 2 && p[0] == 0x75 && *cond >= 0) { /* jne: falls through for cond */
		*domain = *cond;
		*cond = -1;
		return 2;
	}
	if ((left >= 2 && p[0] == 0x74) || (left >= 6 && p[0] == 0x0f && p[1] == 0x84)) {
		/* je: the target copies cond's domain, the fall-through another */
		size_t n = p[0] == 0x74 ? 2 : 6;
		int64_t rel = n == 2 ? (int8_t)p[1] : (int32_t)u32_at(p + 2);
		if (*cond >= 0 && *cond < PY_DOMAINS)
			d->far[*cond] = addr + i + n + (uint64_t)rel;
		*cond = -1;
		*domain = -1;
		return n;
	}
	if (left >= 5 && p[0] == 0xbe) { /* mov $imm32,%esi */
		cp->src = u32_at(p + 1);
		return 5;
	}
	if (left >= 7 && !memcmp(p, "\x48\x8d\x35", 3)) { /* lea disp(%rip),%rsi */
		cp->src = addr + i + 7 + (uint64_t)(int64_t)(int32_t)u32_at(p + 3);
		return 7;
	}
	if (left >= 5 && !memcmp(p, "\xb9\x0a\x00\x00\x00", 5)) { /* mov $10,%ecx */
		cp->count = true;
		return 5;
	}
	if (left >= 2 && p[0] == 0xf3 && p[1] == 0xa5) { /* rep movsl */
		if (cp->count)
			*err = found(d, *domain, cp->src);
		*cp = (struct copy){0};
		return 2;
	}
	if (left >= 1 && p[0] == 0xc3) { /* ret: what follows is a branch target */
		*domain = -1;
		*cp = (struct copy){0};
		return 1;
	}
	if (left >= 5 && p[0] == 0xe9) { /* jmp: the unknown-domain case */
		*domain = -1;
		return 5;
	}
	return step_sse(p, left, addr + i, *domain, cp, d, err);
}

int python_getalloc_decode(const uint8_t *code, size_t len, uint64_t addr, int domain,
			   struct python_getalloc *d)
{
	struct copy cp = {0};
	int cond = -1, err = 0;
	size_t i = 0, n;

	while (i < len && !err && (n = step(code, i, len, addr, &cond, &domain, &cp, d, &err)))
		i += n;
	return err;
}

/* Three structs, or at least the mem and obj ones, found and none twice. */
static bool distinct_domains(const uint64_t d[PY_DOMAINS])
{
	return d[PY_DOMAIN_MEM] && d[PY_DOMAIN_OBJ] && d[PY_DOMAIN_MEM] != d[PY_DOMAIN_OBJ] &&
	       d[PY_DOMAIN_RAW] != d[PY_DOMAIN_MEM] && d[PY_DOMAIN_RAW] != d[PY_DOMAIN_OBJ];
}

/* 3.11: the structs PyMem_GetAllocator copies from, with the parts it jumps to
 * for domains its main body does not copy. */
static int decode_getalloc(pid_t pid, const struct python_info *info, uint64_t dom[PY_DOMAINS],
			   char *why, size_t len)
{
	struct python_getalloc d = {0};
	uint8_t code[96];
	int err;

	if (!info->get_allocator) {
		snprintf(why, len, "%s exports no PyMem_GetAllocator", info->module);
		return -ENOENT;
	}
	err = procmem_read(pid, info->get_allocator, code, sizeof(code));
	if (!err)
		err = python_getalloc_decode(code, sizeof(code), info->get_allocator, -1, &d);
	for (int k = 0; k < PY_DOMAINS && !err; k++) {
		if (d.dom[k] || !d.far[k])
			continue;
		uint8_t part[48];
		err = procmem_read(pid, d.far[k], part, sizeof(part));
		if (!err)
			err = python_getalloc_decode(part, sizeof(part), d.far[k], k, &d);
	}
	if (!err && !distinct_domains(d.dom))
		err = -EPROTO;
	if (err) {
		snprintf(why, len, "PyMem_GetAllocator in %s is not code memspy can decode (%s)",
			 info->module, err == -EPROTO ? "another shape" : strerror(-err));
		return err;
	}
	memcpy(dom, d.dom, sizeof(d.dom));
	return 0;
}

int python_domains_from_symbols(int fd, uint64_t get_allocator, uint64_t dom[PY_DOMAINS])
{
	static const char *const names[PY_DOMAINS] = {"_PyMem_Raw", "_PyMem", "_PyObject"};
	struct elfsyms *s = elfsyms__open_fd(fd);
	uint64_t ga, off, v, size;
	int err;

	if (!s)
		return -errno;
	err = elfsyms__find(s, "PyMem_GetAllocator", &ga, &off);
	for (int k = 0; k < PY_DOMAINS && !err; k++) {
		err = elfsyms__find_object(s, names[k], &v, &size);
		if (!err && size != PY_DOMAIN_SIZE)
			err = -ENOENT;
		if (!err)
			dom[k] = v + (get_allocator - ga);
	}
	elfsyms__free(s);
	return err;
}

/* 3.11 built so that memspy cannot decode PyMem_GetAllocator: the structs its
 * symbol table names, if it has one. why keeps the decoder's reason otherwise. */
static int symbols_getalloc(pid_t pid, const struct python_info *info, uint64_t dom[PY_DOMAINS])
{
	uint64_t d[PY_DOMAINS];
	int fd = procroot_open(pid, info->module);

	if (fd < 0 || python_domains_from_symbols(fd, info->get_allocator, d))
		return -ENOENT;
	if (!distinct_domains(d))
		return -EPROTO;
	memcpy(dom, d, sizeof(d));
	return 0;
}

/* Each field of each struct must hold a function: a struct full of zeroes is not
 * the domain, and a zero pointer would be called by the hook. */
static int check_domains(pid_t pid, const uint64_t dom[PY_DOMAINS], char *why, size_t len)
{
	for (int k = PY_DOMAIN_MEM; k <= PY_DOMAIN_OBJ; k++) {
		uint64_t f[PY_DOMAIN_SIZE / 8];
		if (procmem_read(pid, dom[k], f, sizeof(f))) {
			snprintf(why, len, "its allocator domain at %#llx cannot be read",
				 (unsigned long long)dom[k]);
			return -EIO;
		}
		for (int j = 1; j < PY_DOMAIN_SIZE / 8; j++)
			if (!f[j]) {
				snprintf(why, len,
					 "its allocator domain at %#llx has an empty "
					 "function field",
					 (unsigned long long)dom[k]);
				return -EPROTO;
			}
	}
	return 0;
}

int python_domains_find(pid_t pid, const struct python_info *info, uint64_t dom[PY_DOMAINS],
			char *why, size_t len)
{
	struct python_allocator_layout l;
	char ver[32];
	int err;

	memset(dom, 0, PY_DOMAINS * sizeof(*dom));
	python_version_str(info->version, ver, sizeof(ver));
	if ((info->version >> 16) == 0x030b) {
		err = decode_getalloc(pid, info, dom, why, len);
		if (err && info->get_allocator && !symbols_getalloc(pid, info, dom))
			err = 0;
		else if (err)
			/* an unstripped build of the same CPython would do */
			snprintf(why + strlen(why), len - strlen(why),
				 ", and no symbol table names its _PyMem and _PyObject");
	} else if (python_allocator_offsets(info->version, &l)) {
		snprintf(why, len,
			 "memspy does not know where CPython %s keeps its allocators "
			 "(known: 3.11, 3.13, 3.14, 3.15)",
			 ver);
		err = -ENOTSUP;
	} else if (!info->off.runtime) {
		snprintf(why, len, "the _PyRuntime of CPython %s cannot be read", ver);
		err = -ENOENT;
	} else {
		dom[PY_DOMAIN_RAW] = info->off.runtime + l.raw;
		dom[PY_DOMAIN_MEM] = info->off.runtime + l.mem;
		dom[PY_DOMAIN_OBJ] = info->off.runtime + l.obj;
		err = 0;
	}
	return err ? err : check_domains(pid, dom, why, len);
}
