/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Find the CPython interpreter in a process: its version, where _PyRuntime and the
 * evaluator (with its GCC .cold part) are, and the structure offsets memspy needs
 * (read from the target's own memory where the interpreter publishes them). */
#ifndef MEMSPY_PYTHON_DETECT_H
#define MEMSPY_PYTHON_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "memspy/events.h"
#include "python/python_layout.h"

struct python_info {
	char module[4096];	/* path of the file holding the interpreter */
	uint32_t version;	/* PY_VERSION_HEX; 0 when it could not be read */
	bool supported;		/* offsets below are valid */
	int why;		/* when not supported: -ENOTSUP (version), -EINVAL (its
				 * debug offsets), -EIO (its memory), -ENOENT (no
				 * evaluator symbol); else 0 */
	struct ms_python_offsets off;	/* for the BPF side */
	struct python_code_layout code;	/* for names */
	uint64_t eval_start, eval_end;	/* _PyEval_EvalFrameDefault in the target, also
					 * when not supported; 0, 0 when not found */
	uint64_t cold_start, cold_end;	/* its .cold part; 0, 0 when none was found */
	uint64_t get_allocator;		/* PyMem_GetAllocator in the target; 0: none */
};

/* Look for CPython in pid's mappings (the executable or a libpython). Returns 0
 * and fills info (info->supported says whether frames can be read), -ENOENT when
 * no mapped module defines _PyRuntime, or another -errno. */
int python_detect(pid_t pid, struct python_info *info);

/* Find the part GCC split off a function (.cold): the unwind-table function (its
 * start among the sorted fde_starts) that the function's code jumps into most.
 * code holds len bytes of the function at address addr; the function's own range
 * never counts. Returns 0 with the range, or -ENOENT. */
int python_find_cold(const uint8_t *code, size_t len, uint64_t addr, const uint64_t *fde_starts,
		     size_t n, uint64_t text_end, uint64_t *start, uint64_t *end);

/* "3.11.2" for 0x030b02f0. */
void python_version_str(uint32_t version, char *buf, size_t size);

#endif
