/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Python frames for one target process: detection, the settings the BPF side reads
 * frames with, and the merge of those frames into native stacks with names. */
#ifndef MEMSPY_PYTHON_H
#define MEMSPY_PYTHON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "memspy/events.h"
#include "python/python_merge.h"

struct python;

/* Look for CPython in pid. Returns NULL (errno ENOENT) when pid runs no CPython.
 * For one memspy cannot read it prints a warning and returns an interpreter
 * whose frames are off (python__frames_on false: stacks stay native, never
 * wrong names) but whose evaluator frames are still known; then, when off is
 * not NULL, it receives the warning's reason for the report ("CPython 3.12.5
 * (/usr/bin/python3.12), whose frames memspy cannot read (...)"), and is ""
 * otherwise. NULL and errno ENOMEM too. Prints which interpreter was found
 * unless quiet. */
struct python *python__open(pid_t pid, bool quiet, int verbose, char *off, size_t size);
/* Accepts NULL. */
void python__free(struct python *py);
/* Whether py's Python frames are read and merged. False for NULL py. */
bool python__frames_on(const struct python *py);
/* What the BPF programs need (rodata), or NULL when py is NULL or its frames
 * are off. */
const struct ms_python_offsets *python__offsets(const struct python *py);
/* Where code objects and strs keep their parts (user space reads them), or NULL
 * when py is NULL or its frames are off. */
const struct python_code_layout *python__code_layout(const struct python *py);
/* True when pc lies in the evaluator, its .cold part included. False for NULL py. */
bool python__is_eval(const struct python *py, uint64_t pc);
/* The one name of a native frame at pc inside the evaluator, its .cold part
 * included ("_PyEval_EvalFrameDefault"), or NULL when pc is elsewhere or py is
 * NULL. Unmerged evaluator frames (frames off, or no Python frame to pair
 * with) get it instead of their symbol: the cold part has none, and a loop
 * that big would otherwise spread over a row per unnamed address. */
const char *python__eval_name(const struct python *py, uint64_t pc);
/* The target addresses of py's allocator domains (PyMemAllocatorEx structs),
 * indexed by python_domains.h's PY_DOMAIN_RAW/MEM/OBJ (raw may be 0): 0, or
 * -errno with a one-line reason in why. */
int python__domains(const struct python *py, pid_t pid, uint64_t dom[3], char *why, size_t len);
/* "function (file.py:LINE)" of a frame of the event's Python stack; valid until
 * the next call (python_names__frame). */
const char *python__frame(struct python *py, uint64_t code, uint64_t instr);
/* Merge the event's Python frames into n native pcs (innermost first): root-first
 * items as python_merge writes them, whose py indexes point into pys's arrays (the
 * 3.13 evaluator's shim frames and the interpreter's own __init__ shim code left
 * out: python_names__is_shim); with py NULL or no Python frames, the
 * native frames alone. complete: the native stack reached its root. jit (NULL:
 * none): jit[i] when pcs[i] lies in generated code, outside every module. */
size_t python__merge(struct python *py, const uint64_t *pcs, const bool *jit, size_t n,
		     const struct ms_py_stack *pys, bool complete, struct py_merge_item *out,
		     size_t max);

#endif
