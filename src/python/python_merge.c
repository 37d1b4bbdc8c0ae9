/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Merge Python frames into native stacks at the evaluator's frames. */
#include "python/python_merge.h"

#define MAX_GROUPS 64

size_t python_merge(const bool *is_eval, size_t n, uint64_t entry, size_t nr_py, bool complete,
		    struct py_merge_item *out, size_t max)
{
	size_t gstart[MAX_GROUPS], gend[MAX_GROUPS], ng = 0, nev = 0, k = 0;

	if (nr_py > 64)
		nr_py = 64;
	/* groups, innermost first: [gstart, gend) of Python frames */
	for (size_t i = 0, s = 0; i < nr_py && ng < MAX_GROUPS; i++) {
		if ((entry >> i) & 1 || i + 1 == nr_py) {
			gstart[ng] = s;
			gend[ng++] = i + 1;
			s = i + 1;
		}
	}
	for (size_t i = 0; i < n; i++)
		nev += is_eval[i];
	/* ev counts evaluator frames from the root down; group g pairs with the
	 * evaluator frame of innermost-first rank g */
	size_t ev = 0;
	for (size_t i = n; i-- > 0 && k < max;) {
		if (!is_eval[i]) {
			out[k++] = (struct py_merge_item){(uint32_t)i, MS_MERGE_NONE};
			continue;
		}
		size_t rank_in = nev - 1 - ev++; /* 0 = innermost evaluator frame */
		size_t g;
		if (complete)
			g = ng >= nev ? rank_in + (ng - nev) : (rank_in >= nev - ng ? rank_in - (nev - ng) : SIZE_MAX);
		else
			g = rank_in < ng ? rank_in : SIZE_MAX;
		if (g == SIZE_MAX || g >= ng) {
			out[k++] = (struct py_merge_item){(uint32_t)i, MS_MERGE_NONE};
			continue;
		}
		for (size_t j = gend[g]; j-- > gstart[g] && k < max;)
			out[k++] = (struct py_merge_item){MS_MERGE_NONE, (uint32_t)j};
	}
	return k;
}

size_t python_merge_drop_shims(uint64_t shims, size_t nr, uint32_t *raw, uint64_t *entry)
{
	size_t k = 0;

	*entry = 0;
	for (size_t i = 0; i < nr && i < 64; i++) {
		if (!((shims >> i) & 1))
			raw[k++] = (uint32_t)i;
		else if (k > 0)
			*entry |= 1ULL << (k - 1);
	}
	return k;
}

size_t python_merge_drop_frames(uint64_t drop, size_t nr, uint32_t *raw, uint64_t *entry)
{
	uint64_t in = *entry, out = 0;
	bool group_empty = true; /* no frame kept since the last group ended */
	size_t k = 0;

	for (size_t i = 0; i < nr && i < 64; i++) {
		bool ends = (in >> i) & 1;
		if ((drop >> i) & 1 && !(ends && group_empty)) {
			if (ends) {
				out |= 1ULL << (k - 1);
				group_empty = true;
			}
			continue;
		}
		raw[k] = raw[i];
		if (ends)
			out |= 1ULL << k;
		k++;
		group_empty = ends;
	}
	*entry = out;
	return k;
}
