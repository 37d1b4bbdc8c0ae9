/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target of what memspy decodes from a CPython target's memory, which the
 * target can forge: code objects, str objects and location tables (frame names),
 * module dicts, lists, sets and bytecode (module-level containers), the
 * interpreter's _Py_DebugOffsets, and the evaluator's machine code (.cold part).
 * The target's memory is a memfd read at its addresses: the input sits at BASE,
 * so the small pointers a fuzzer makes point into it. Built and run by run.sh. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "python/python_detect.h"
#include "python/python_globals.h"
#include "python/python_layout.h"
#include "python/python_names.h"

#define BASE 0x1000u

static int mem_fd = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	mem_fd = memfd_create("memspy-fuzz-mem", MFD_CLOEXEC);
	fuzz_quiet();
	return 0;
}

static uint64_t word(const uint8_t *data, size_t size, size_t i)
{
	uint64_t w = 0;

	if (i * 8 + 8 <= size)
		memcpy(&w, data + i * 8, 8);
	return w;
}

/* The fake memory: nothing below BASE, the input from BASE on. */
static int memory(const uint8_t *data, size_t size)
{
	if (mem_fd < 0 || ftruncate(mem_fd, 0) || ftruncate(mem_fd, BASE + size))
		return -1;
	return pwrite(mem_fd, data, size, BASE) == (ssize_t)size ? 0 : -1;
}

static void names(const struct python_code_layout *code, const uint8_t *data, size_t size)
{
	struct python_names *n = python_names__new_fd(fcntl(mem_fd, F_DUPFD_CLOEXEC, 0), code);

	if (!n)
		return;
	for (size_t i = 0; i < 32 && i * 8 < size; i++) {
		uint64_t w = word(data, size, i);
		python_names__frame(n, w, word(data, size, i + 1));
		python_names__frame(n, BASE + 8 * i, BASE + w % (size + 64));
		python_names__is_shim(n, w);
		free(python_names__read_str(n, w));
	}
	python_names__free(n);
}

static void globals(uint32_t version, const struct python_code_layout *code, const uint8_t *data,
		    size_t size)
{
	struct ms_python_offsets off = {.version = version, .runtime = BASE, .runtime_interp_head = 40};
	struct python_globals *g =
		python_globals__new_fd(fcntl(mem_fd, F_DUPFD_CLOEXEC, 0), &off, code);
	struct python_container c;
	char writer[256];
	double bytes;

	if (!g)
		return;
	for (int tick = 0; tick < 3; tick++)
		python_globals__tick(g, 1000000000ull * (uint64_t)tick);
	for (size_t i = 0; python_globals__container(g, i, &c); i++)
		python_globals__describe(g, i, writer, sizeof(writer), &bytes);
	python_globals__free(g);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t versions[] = {0x030b02f0, 0x030d05f0, 0x030e0af0, 0x030f02f0};
	struct ms_python_offsets off;
	struct python_code_layout code;
	uint64_t fdes[8], start, end;

	if (size < 1)
		return 0;
	uint32_t version = versions[data[0] & 3];
	/* The debug offsets a 3.13+ target publishes, taken from the input. */
	python_layout_for(version, data, size, word(data, size, 1), &off, &code);
	/* The evaluator's code and the unwind table's function starts. */
	for (size_t i = 0; i < 8; i++)
		fdes[i] = BASE + (word(data, size, i) % (2 * size + 1));
	qsort(fdes, 8, sizeof(fdes[0]), cmp_u64);
	python_find_cold(data, size, BASE, fdes, 8, BASE + 2 * size, &start, &end);
	python_linetable_line(data, size, (int)word(data, size, 0), (int)(word(data, size, 2) % 4096));
	if (memory(data, size))
		return 0;
	/* Reading memory through 3.11's fixed layout; the opcode tables of each. */
	python_layout_for(0x030b02f0, NULL, 0, 0, &off, &code);
	names(&code, data, size);
	globals(version, &code, data, size);
	return 0;
}
