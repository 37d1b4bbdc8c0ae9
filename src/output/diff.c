/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Comparing two profiles: A and B read into one tree, each stack's change as folded lines. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "base/log.h"
#include "output/diff.h"

struct flame_tree *diff_read_files(const char *path_a, const char *path_b, bool exact,
				   struct flame_input *in)
{
	struct flame_tree *t = flame_tree__new();
	if (!t) {
		ms_err("diff: out of memory");
		return NULL;
	}
	if (exact)
		flame_tree__set_limit(t, 0);
	int ret = flame_tree__read_input(t, path_a, true, in);
	if (!ret)
		ret = flame_tree__read_input(t, path_b, false, in);
	if (ret) {
		flame_tree__free(t);
		errno = -ret;
		return NULL;
	}
	return t;
}

static int write_delta(void *arg, const char *stack, uint64_t value, uint64_t base)
{
	FILE *out = arg;
	if (value == base)
		return 0;
	if (value > base)
		fprintf(out, "%s %" PRIu64 "\n", stack, value - base);
	else
		fprintf(out, "%s -%" PRIu64 "\n", stack, base - value);
	return ferror(out) ? -EIO : 0;
}

int diff_write_folded(const struct flame_tree *t, FILE *out)
{
	int ret = flame_tree__foreach_stack(t, write_delta, out);
	if (!ret && (fflush(out) || ferror(out)))
		ret = -EIO;
	return ret;
}
