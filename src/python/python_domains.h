/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Where a running CPython keeps its allocator domains (PyMemAllocatorEx structs),
 * whose function fields an in-process sampler switches to its hooks: 3.11's static
 * structs, found by decoding the exported PyMem_GetAllocator (else, in an
 * unstripped build, by their names in .symtab), and 3.13's to 3.15's in
 * _PyRuntime.allocators.standard. */
#ifndef MEMSPY_PYTHON_DOMAINS_H
#define MEMSPY_PYTHON_DOMAINS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* PyMemAllocatorEx: {ctx, malloc(ctx, size), calloc(ctx, nelem, elsize),
 * realloc(ctx, ptr, size), free(ctx, ptr)}. */
#define PY_DOMAIN_SIZE	  40
#define PY_DOMAIN_MALLOC  8
#define PY_DOMAIN_CALLOC  16
#define PY_DOMAIN_REALLOC 24
#define PY_DOMAIN_FREE	  32

enum { PY_DOMAIN_RAW, PY_DOMAIN_MEM, PY_DOMAIN_OBJ, PY_DOMAINS };

/* What the decoder of PyMem_GetAllocator found so far. */
struct python_getalloc {
	uint64_t dom[PY_DOMAINS]; /* each domain's struct; 0: not found yet */
	uint64_t far[PY_DOMAINS]; /* a part of the function elsewhere (GCC's .cold) that
				   * copies that domain, reached by a `je`; 0: none */
};

/*
 * Decode len bytes of code at addr, a part of PyMem_GetAllocator(domain, out):
 * `test %edi,%edi` / `cmp $k,%edi` then `jne`/`je` choose the domain, and each
 * domain's copy is `mov $imm32,%esi` (or `lea disp(%rip),%rsi`), `mov $0xa,%ecx`,
 * `mov %rax,%rdi`, `rep movsl`; or, in a shared libpython, two `movdqa
 * disp(%rip),%xmmN` / `movups %xmmN,off(%rsi)` and `mov disp(%rip),%rax` / `mov
 * %rax,0x20(%rsi)`. domain: the one a part reached by `je` copies, or
 * -1 at the function's start. Stops at the first instruction of another shape.
 * Returns 0, or -EPROTO when the code contradicts itself (two structs for one
 * domain, or one copy from two structs).
 */
int python_getalloc_decode(const uint8_t *code, size_t len, uint64_t addr, int domain,
			   struct python_getalloc *d);

/* The domains of an unstripped CPython 3.11 from the symbol table of its ELF file
 * fd (which this closes): the static structs _PyMem_Raw, _PyMem and _PyObject,
 * moved by the load bias that get_allocator (PyMem_GetAllocator in the target)
 * gives. 0, or -ENOENT when the file does not name them all as 40-byte objects,
 * or another -errno. */
int python_domains_from_symbols(int fd, uint64_t get_allocator, uint64_t dom[PY_DOMAINS]);

struct python_info;

/* The target addresses of pid's mem and obj domains (the raw one too when known,
 * else 0). 0, or -errno with a one-line reason in why ("..." completing "Python
 * objects not sampled: "). */
int python_domains_find(pid_t pid, const struct python_info *info, uint64_t dom[PY_DOMAINS],
			char *why, size_t len);

#endif
