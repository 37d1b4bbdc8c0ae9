/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Finding CPython's allocator domains in a running target: a strict decoder of the
 * few instruction shapes GCC makes of PyMem_GetAllocator, and the fixed offsets in
 * _PyRuntime of the versions that keep them there. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "python/python_detect.h"
#include "python/python_domains.h"
#include "target/procmem.h"

/* The copy of one domain's struct into *out, as it is being decoded. */
struct copy {
	uint64_t src; /* %rsi: the struct */
	bool count;   /* %ecx = 10 dwords: sizeof(PyMemAllocatorEx) */
};

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
	if (left >= 3 && !memcmp(p, "\x48\x89\xf0", 3)) /* mov %rsi,%rax */
		return 3;
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
	return 0;
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
		uint8_t part[32];
		err = procmem_read(pid, d.far[k], part, sizeof(part));
		if (!err)
			err = python_getalloc_decode(part, sizeof(part), d.far[k], k, &d);
	}
	if (!err && (!d.dom[PY_DOMAIN_MEM] || !d.dom[PY_DOMAIN_OBJ] ||
		     d.dom[PY_DOMAIN_MEM] == d.dom[PY_DOMAIN_OBJ] ||
		     d.dom[PY_DOMAIN_RAW] == d.dom[PY_DOMAIN_MEM] ||
		     d.dom[PY_DOMAIN_RAW] == d.dom[PY_DOMAIN_OBJ]))
		err = -EPROTO;
	if (err) {
		snprintf(why, len, "PyMem_GetAllocator in %s is not code memspy can decode (%s)",
			 info->module, err == -EPROTO ? "another shape" : strerror(-err));
		return err;
	}
	memcpy(dom, d.dom, sizeof(d.dom));
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
