/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Recognize a language runtime that keeps its own heap, out of sight of the
 * malloc probes. */
#include <string.h>

#include "target/elfsyms.h"
#include "target/runtime_heap.h"

enum { MS_RT_GO, MS_RT_V8, MS_RT_JVM };

static const struct runtime_heap runtimes[] = {
	[MS_RT_GO] = {
		.language = "Go",
		.heap = "the Go heap",
		.manager = "the Go runtime",
		.seen = "cgo code, C libraries",
	},
	[MS_RT_V8] = {
		.language = "Node.js",
		.heap = "the JavaScript heap",
		.manager = "V8",
		.seen = "node's C++, native addons, C libraries",
		/* node under HTTP load, measured: 1780 of 2021 heap samples did not
		 * reach main with 16 KiB of stack (V8's frames are large and many
		 * sit between the event loop and an allocation), 1 with 32 KiB */
		.stack_bytes = 32768,
	},
	[MS_RT_JVM] = {
		.language = "Java",
		.heap = "the Java heap",
		.manager = "the JVM",
		.seen = "the JVM's native memory, JNI code, C libraries",
		.stack_bytes = 32768, /* interpreter and compiled frames, as V8's */
	},
};

static bool basename_starts(const char *path, const char *prefix)
{
	const char *base = strrchr(path, '/');

	return !strncmp(base ? base + 1 : path, prefix, strlen(prefix));
}

/* A Go executable: the linker always writes .go.buildinfo (Go 1.13 on) and the
 * go:buildid note, stripped or not; runtime.mallocgc covers older toolchains. */
static int exe_runtime(const char *exe_path)
{
	struct elfsyms *s = elfsyms__open(exe_path);
	uint64_t v, o;
	int rt = -1;

	if (!s)
		return -1;
	if (elfsyms__has_section(s, ".go.buildinfo") ||
	    elfsyms__has_section(s, ".note.go.buildid") ||
	    !elfsyms__find(s, "runtime.mallocgc", &v, &o))
		rt = MS_RT_GO;
	else if (elfsyms__exports_prefix(s, "_ZN2v88internal4Heap"))
		rt = MS_RT_V8; /* a node built with V8 inside, exported for addons */
	elfsyms__free(s);
	return rt;
}

const struct runtime_heap *runtime_heap_find(const struct procmaps *maps, const char *exe_path)
{
	int rt = exe_path ? exe_runtime(exe_path) : -1;

	for (size_t i = 0; rt < 0 && i < maps->n; i++) {
		const struct map_entry *e = &maps->entries[i];

		if (!map_entry_is_file(e))
			continue;
		if (basename_starts(e->path, "libnode.so."))
			rt = MS_RT_V8;
		else if (basename_starts(e->path, "libjvm.so"))
			rt = MS_RT_JVM;
	}
	return rt < 0 ? NULL : &runtimes[rt];
}
