/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Kernel symbols from /proc/kallsyms, for the kernel part of CPU stacks (--kernel). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "symbolize/ksyms.h"

struct ksym {
	uint64_t addr;
	char *name;
};

struct ksyms {
	struct ksym *syms;
	size_t n;
};

static int by_addr(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

struct ksyms *ksyms__load(FILE *f)
{
	struct ksyms *k = calloc(1, sizeof(*k));
	FILE *own = NULL;
	char line[512], name[256], type;
	uint64_t addr;
	size_t cap = 0;

	if (!k)
		return NULL;
	if (!f) {
		f = own = fopen("/proc/kallsyms", "re");
		if (!f) {
			free(k);
			return NULL;
		}
	}
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%" SCNx64 " %c %255s", &addr, &type, name) != 3 || !addr)
			continue;
		if (type != 't' && type != 'T' && type != 'w' && type != 'W')
			continue;
		if (k->n == cap) {
			cap = cap ? cap * 2 : 4096;
			struct ksym *ns = realloc(k->syms, cap * sizeof(*ns));
			if (!ns)
				break;
			k->syms = ns;
		}
		k->syms[k->n].addr = addr;
		k->syms[k->n].name = strdup(name);
		if (k->syms[k->n].name)
			k->n++;
	}
	if (own)
		fclose(own);
	if (!k->n) {
		/* kptr_restrict hides addresses: every one reads as 0. */
		ksyms__free(k);
		errno = EPERM;
		return NULL;
	}
	qsort(k->syms, k->n, sizeof(*k->syms), by_addr);
	return k;
}

void ksyms__free(struct ksyms *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < k->n; i++)
		free(k->syms[i].name);
	free(k->syms);
	free(k);
}

const char *ksyms__lookup(const struct ksyms *k, uint64_t addr)
{
	size_t lo = 0, hi = k->n;

	if (!k->n || addr < k->syms[0].addr)
		return NULL;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (k->syms[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	return k->syms[lo].name;
}
