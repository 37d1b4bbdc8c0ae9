/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target of the JIT map reader (/tmp/perf-<pid>.map lines): the input is
 * read as a whole map, then its second half is appended as a JIT does while it
 * runs, with lookups at the addresses the input names. Built and run by run.sh. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fuzz_common.h"
#include "symbolize/jitmap.h"

static char path[64];

/* The reader looks at the file again only 20 ms after its last look: rather than
 * sleep, its clock (linked with --wrap=clock_gettime) is moved on. libFuzzer's
 * own clock is left alone. */
static int64_t skew_ns;
int __real_clock_gettime(clockid_t id, struct timespec *ts);
int __wrap_clock_gettime(clockid_t id, struct timespec *ts)
{
	int r = __real_clock_gettime(id, ts);

	if (!r && skew_ns) {
		int64_t ns = ts->tv_nsec + skew_ns;
		ts->tv_sec += ns / 1000000000;
		ts->tv_nsec = ns % 1000000000;
	}
	return r;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_path(path, sizeof(path), "map");
	fuzz_quiet();
	return 0;
}

static void lookups(struct jitmap *m, const uint8_t *data, size_t size)
{
	for (size_t i = 0; i + 8 <= size && i < 512; i += 8) {
		uint64_t a;
		memcpy(&a, data + i, 8);
		jitmap__lookup(m, a);
		jitmap__lookup(m, a & 0xffffff);
	}
	/* And at the numbers the text itself spells. */
	for (size_t i = 0; i < size && i < 4096; i++)
		if (i == 0 || data[i - 1] == '\n') {
			char hex[17] = {0};
			for (size_t k = 0; k < 16 && i + k < size && data[i + k] != ' '; k++)
				hex[k] = (char)data[i + k];
			jitmap__lookup(m, strtoull(hex, NULL, 16));
		}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t half = size / 2;
	struct jitmap *m;

	if (fuzz_write_file(path, data, half))
		return 0;
	m = jitmap__new_path(path);
	if (!m)
		return 0;
	lookups(m, data, size);
	/* The rest appended, as a JIT writes while it runs, then the file replaced
	 * by a shorter one. */
	fuzz_write_file(path, data, size);
	skew_ns = 21000000;
	lookups(m, data, size);
	fuzz_write_file(path, data, half / 2);
	skew_ns = 42000000;
	lookups(m, data, size);
	skew_ns = 0;
	jitmap__count(m);
	jitmap__free(m);
	return 0;
}
