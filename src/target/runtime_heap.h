/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Recognize a language runtime that keeps its own heap, out of sight of the
 * malloc probes: Go, V8 (Node.js), the JVM. */
#ifndef MEMSPY_RUNTIME_HEAP_H
#define MEMSPY_RUNTIME_HEAP_H

#include "target/procmaps.h"

struct runtime_heap {
	const char *language; /* "Go" */
	const char *heap;     /* "the Go heap" */
	const char *manager;  /* "the Go runtime" */
	const char *seen;     /* what the malloc probes still see: "cgo code, C libraries" */
	unsigned stack_bytes; /* user stack a sample needs to reach main (0: the default) */
};

/* The runtime whose heap a process with these mappings keeps, or NULL when none
 * is recognized. exe_path opens the main executable (NULL: unknown). Only what
 * identifies a runtime for sure counts: a Go executable's .go.buildinfo section,
 * note or runtime.mallocgc; V8's exported v8::internal::Heap or libnode.so; the
 * JVM's libjvm.so. The entries are static. */
const struct runtime_heap *runtime_heap_find(const struct procmaps *maps, const char *exe_path);

#endif
