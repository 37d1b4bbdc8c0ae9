/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target of the /proc/<pid>/maps parser and the lookups done on its
 * result. Built and run by run.sh. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fuzz_common.h"
#include "target/procmaps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct procmaps m = {0};
	FILE *f = fmemopen((void *)data, size, "r");

	if (!f)
		return 0;
	if (!procmaps_parse(f, &m)) {
		for (size_t i = 0; i < m.n; i++) {
			map_entry_is_file(&m.entries[i]);
			procmaps_find(&m, m.entries[i].start);
			procmaps_find(&m, m.entries[i].end - 1);
		}
		for (size_t i = 0; i + 8 <= size && i < 128; i += 8) {
			uint64_t a;
			memcpy(&a, data + i, 8);
			procmaps_find(&m, a);
		}
	}
	procmaps_release(&m);
	fclose(f);
	return 0;
}
