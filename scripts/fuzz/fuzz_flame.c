/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target of flame graph input: the bytes as a file given to `memspy
 * flamegraph` (folded stacks or pprof, told apart by content), then every stack
 * of the tree walked back, as the writers do. Built and run by run.sh. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"
#include "output/pprof_read.h"

static char path[64];

static int count_stack(void *arg, const char *stack, uint64_t value, uint64_t base)
{
	size_t *n = arg;

	*n += strlen(stack) + (value != base);
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_path(path, sizeof(path), "flame");
	fuzz_quiet();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct flame_tree *t = flame_tree__new();
	struct flame_input in = {0};
	size_t n = 0;

	if (!t || fuzz_write_file(path, data, size))
		goto out;
	/* The first byte picks a tree limit and which side of a diff it feeds. */
	if (size && data[0] & 1)
		flame_tree__set_limit(t, 1 + data[0] / 8);
	if (!flame_tree__read_input(t, path, size && data[0] & 2, &in)) {
		flame_tree__foreach_stack(t, count_stack, &n);
		flame_tree__total(t, false);
		flame_tree__total(t, true);
	}
out:
	flame_tree__free(t);
	return 0;
}
