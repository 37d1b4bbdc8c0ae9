/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target of the pprof reader on raw bytes (gzipped or not), with each
 * way of choosing a sample type. Built and run by run.sh. */
#include <stdbool.h>
#include <stdint.h>

#include "fuzz_common.h"
#include "output/pprof_read.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const index[] = {NULL, "0", "1", "inuse_space", "99999999999"};
	char err[256];

	for (size_t i = 0; i < sizeof(index) / sizeof(index[0]); i++) {
		struct flame_tree *t = flame_tree__new();
		struct flame_input in = {.sample_index = index[i]};

		if (!t)
			return 0;
		pprof_read(t, data, size, "fuzz", i & 1, &in, err, sizeof(err));
		flame_tree__total(t, i & 1);
		flame_tree__free(t);
	}
	return 0;
}
