/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Differential flame graphs: profile B's shape, coloured by how each frame changed since A. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>

#include "base/log.h"
#include "output/diff.h"

struct flame_tree *diff_read_files(const char *path_a, const char *path_b, bool exact)
{
	struct flame_tree *t = flame_tree__new();
	if (!t) {
		ms_err("diff: out of memory");
		return NULL;
	}
	if (exact)
		flame_tree__set_limit(t, 0);
	int ret = flame_tree__read_file(t, path_a, true);
	if (!ret)
		ret = flame_tree__read_file(t, path_b, false);
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

void diff_color(uint64_t value, uint64_t base, double max_change, char *buf, size_t size)
{
	double change = (double)value - (double)base;
	if (change == 0 || max_change <= 0) {
		snprintf(buf, size, "rgb(250,250,250)");
		return;
	}
	/* A square root keeps small changes visible next to one large change. */
	double ratio = sqrt(fmin(fabs(change) / max_change, 1.0));
	int pale = (int)lround(225 * (1 - ratio));
	if (change > 0)
		snprintf(buf, size, "rgb(255,%d,%d)", pale + 10, pale + 10);
	else
		snprintf(buf, size, "rgb(%d,%d,255)", pale + 10, pale + 10);
}
