/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Print what memspy dump read: one block per thread for people, JSON for tools. */
#ifndef MEMSPY_DUMP_PRINT_H
#define MEMSPY_DUMP_PRINT_H

#include <stdio.h>

#include "profile/thread_dump.h"

/* One block per thread, the main thread first: a heading with tid, name, state
 * (and the GIL for Python), then its frames, innermost first. */
void dump_print_text(FILE *f, const struct thread_dump *d);
/* One JSON document: {"pid", "comm", "python", "stopped_ms", "threads": [...]},
 * one object per thread with tid, name, state, on_cpu, syscall, read, gil,
 * complete and frames (function, file, line, module, python, inlined). */
void dump_print_json(FILE *f, const struct thread_dump *d);
/* What a thread is doing, for people: "sleeping in futex", "running". */
const char *dump_state_text(const struct dump_thread *t, char *buf, size_t size);

#endif
