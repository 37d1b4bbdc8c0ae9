// SPDX-License-Identifier: GPL-2.0-or-later
/* A library shaped as an unstripped CPython 3.11 for memspy's symbol-table lookup
 * of the allocator domains (tests/check_python.c): static 40-byte structs named
 * _PyMem_Raw, _PyMem and _PyObject, which only .symtab names, an exported
 * PyMem_GetAllocator that copies them, and pydomains_addrs, which tells the test
 * where they were loaded. */
#include <stdint.h>
#include <string.h>

struct domain {
	void *ctx;
	void *fn[4];
};

static struct domain _PyMem_Raw = {0, {(void *)1, (void *)2, (void *)3, (void *)4}};
static struct domain _PyMem = {0, {(void *)5, (void *)6, (void *)7, (void *)8}};
static struct domain _PyObject = {0, {(void *)9, (void *)10, (void *)11, (void *)12}};

void PyMem_GetAllocator(int domain, struct domain *out)
{
	const struct domain *d = domain == 0 ? &_PyMem_Raw : domain == 1 ? &_PyMem : &_PyObject;

	memcpy(out, d, sizeof(*out));
}

void pydomains_addrs(uint64_t addrs[3])
{
	addrs[0] = (uintptr_t)&_PyMem_Raw;
	addrs[1] = (uintptr_t)&_PyMem;
	addrs[2] = (uintptr_t)&_PyObject;
}
