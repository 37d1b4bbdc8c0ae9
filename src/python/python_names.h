/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Turn a Python frame (code object, last instruction) into "function (file.py:LINE)"
 * by reading the code object from /proc/<pid>/mem, with a cache. */
#ifndef MEMSPY_PYTHON_NAMES_H
#define MEMSPY_PYTHON_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "python/python_layout.h"

struct python_names;

/* Read code objects of pid laid out as l says. NULL and errno on error. */
struct python_names *python_names__new(pid_t pid, const struct python_code_layout *l);
/* The same, reading the target's memory through fd (pread at the target's
 * addresses: its /proc/<pid>/mem, or a file standing in for it in tests), which it
 * takes over: closed on error too. */
struct python_names *python_names__new_fd(int fd, const struct python_code_layout *l);
/* Accepts NULL. */
void python_names__free(struct python_names *n);
/* Names cached, at most: a long run of a program that keeps compiling code
 * (templates, exec) would otherwise grow the cache for ever. A full cache is
 * emptied and fills again from the target. */
#define MS_PY_NAMES_MAX 65536u

/* The frame's name, "function (file.py:LINE)"; "[python]" when the code object
 * cannot be read. Each code object is read once, when first seen: later frames of
 * the same address come from the cache. The string lives until the next call (a
 * full cache is emptied then) or python_names__free: copy it (intern it) at once. */
const char *python_names__frame(struct python_names *n, uint64_t code, uint64_t instr);

/* Whether code is a code object the interpreter made for its own use rather than
 * compiled from source: 3.13's __init__ shim (_Py_InitCleanup), pushed between a
 * call of a class and its Python __init__, whose name and file are both
 * "__init__" and whose location table gives no line. Read as python_names__frame reads
 * code objects (once, cached); false when it cannot be read. */
bool python_names__is_shim(struct python_names *n, uint64_t code);

/* A str object of the target as UTF-8 (caller frees), or NULL when it cannot be
 * read as one. */
char *python_names__read_str(struct python_names *n, uint64_t obj);
/* The line of the instruction at byte offset addrq in a 3.11+ location table
 * (co_linetable), counting from firstlineno; a negative addrq (a frame not yet
 * started) is the first line. Returns -1 for an instruction without a line. */
int python_linetable_line(const uint8_t *tab, size_t len, int firstlineno, int addrq);

/* Shorten a module path for display: the part after site-packages/,
 * dist-packages/ or lib/pythonX.Y/, else the basename. */
const char *python_short_path(const char *path);

#endif
