/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Python frames for one target: detection, BPF settings, merge and names. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "python/python.h"
#include "python/python_detect.h"
#include "python/python_domains.h"
#include "python/python_names.h"

#define MAX_NATIVE 512

struct python {
	struct python_info info;
	struct python_names *names; /* NULL: frames off */
};

/* Why python_detect found frames unreadable, for the warning. */
static const char *unsupported_why(int why)
{
	switch (why) {
	case -EINVAL:
		return "its _Py_DebugOffsets are not the layout memspy knows";
	case -EIO:
		return "its _PyRuntime cannot be read";
	case -ENOENT:
		return "no _PyEval_EvalFrameDefault symbol";
	default:
		return "a version or build memspy does not know";
	}
}

/* Why frames are off in a CPython memspy found but cannot read: the same words
 * for the warning and the report. */
static void unsupported_str(const struct python_info *info, char *buf, size_t size)
{
	char ver[32];

	python_version_str(info->version, ver, sizeof(ver));
	if (!info->version)
		snprintf(buf, size, "a CPython (%s) whose version cannot be read: stacks show "
			 "the interpreter's native frames", info->module);
	else
		snprintf(buf, size, "CPython %s (%s), whose frames memspy cannot read (%s; "
			 "supported: " MS_PY_SUPPORTED "): stacks show the interpreter's native "
			 "frames", ver, info->module, unsupported_why(info->why));
}

/* Warn that py's frames are off and why; py stays, for its evaluator's range. */
static struct python *frames_off(pid_t pid, struct python *py, int err, char *off, size_t size)
{
	char why[sizeof(py->info.module) + 512];

	if (err == ENOTSUP)
		unsupported_str(&py->info, why, sizeof(why));
	else
		snprintf(why, sizeof(why), "a CPython (%s) whose memory cannot be read (%s): "
			 "stacks show the interpreter's native frames", py->info.module,
			 strerror(err));
	ms_warn("pid %d runs %s", (int)pid, why);
	if (off)
		snprintf(off, size, "%s", why);
	py->info.supported = false;
	return py;
}

struct python *python__open(pid_t pid, bool quiet, int verbose, char *off, size_t size)
{
	struct python *py = calloc(1, sizeof(*py));
	char ver[32];
	int err;

	if (off && size)
		off[0] = '\0';
	if (!py)
		return NULL;
	err = python_detect(pid, &py->info);
	if (err) {
		free(py);
		errno = -err;
		return NULL;
	}
	if (verbose)
		ms_info("evaluator at %#lx-%#lx, cold part %#lx-%#lx",
			(unsigned long)py->info.eval_start, (unsigned long)py->info.eval_end,
			(unsigned long)py->info.cold_start, (unsigned long)py->info.cold_end);
	if (!py->info.supported)
		return frames_off(pid, py, ENOTSUP, off, size);
	py->names = python_names__new(pid, &py->info.code);
	if (!py->names)
		return frames_off(pid, py, errno ? errno : EIO, off, size);
	python_version_str(py->info.version, ver, sizeof(ver));
	if (!quiet)
		ms_info("pid %d runs CPython %s (%s): Python frames on", (int)pid,
			ver, py->info.module);
	return py;
}

void python__free(struct python *py)
{
	if (!py)
		return;
	python_names__free(py->names);
	free(py);
}

bool python__frames_on(const struct python *py)
{
	return py && py->names;
}

const struct python_code_layout *python__code_layout(const struct python *py)
{
	return python__frames_on(py) ? &py->info.code : NULL;
}

const struct ms_python_offsets *python__offsets(const struct python *py)
{
	return python__frames_on(py) ? &py->info.off : NULL;
}

bool python__is_eval(const struct python *py, uint64_t pc)
{
	return py && ((pc >= py->info.eval_start && pc < py->info.eval_end) ||
		      (pc >= py->info.cold_start && pc < py->info.cold_end));
}

const char *python__eval_name(const struct python *py, uint64_t pc)
{
	return python__is_eval(py, pc) ? "_PyEval_EvalFrameDefault" : NULL;
}

int python__domains(const struct python *py, pid_t pid, uint64_t dom[3], char *why, size_t len)
{
	return python_domains_find(pid, &py->info, dom, why, len);
}

const char *python__frame(struct python *py, uint64_t code, uint64_t instr)
{
	return python_names__frame(py->names, code, instr);
}

/* Leave out the frames of the interpreter's own code objects (3.13's __init__
 * shim): they run no Python source, and would print as "__init__ (__init__)"
 * between a class's caller and its __init__. */
static size_t drop_code_shims(struct python *py, const struct ms_py_stack *pys, size_t nr,
			      uint32_t *raw, uint64_t *entry)
{
	uint64_t drop = 0;

	for (size_t i = 0; i < nr; i++)
		if (python_names__is_shim(py->names, pys->code[raw[i]]))
			drop |= 1ULL << i;
	return drop ? python_merge_drop_frames(drop, nr, raw, entry) : nr;
}

/* CPython 3.14's JIT traces keep no frame pointer of their own: unwinding leaves
 * one by the frame pointer of the evaluator call that entered it, so that
 * evaluator frame is skipped. The outermost frame of a run of generated code whose
 * caller is no evaluator frame therefore stands for it (3.15's traces, left by
 * their own frame pointer, are followed by their evaluator frame: no change). */
static void jit_stands_for_eval(bool *is_eval, const bool *jit, size_t n)
{
	for (size_t i = 0; jit && i < n; i++)
		if (jit[i] && !(i + 1 < n && (is_eval[i + 1] || jit[i + 1])))
			is_eval[i] = true;
}

size_t python__merge(struct python *py, const uint64_t *pcs, const bool *jit, size_t n,
		     const struct ms_py_stack *pys, bool complete, struct py_merge_item *out,
		     size_t max)
{
	bool is_eval[MAX_NATIVE];
	uint32_t raw[MS_MAX_PY_FRAMES];
	uint64_t entry;
	size_t k = 0, nr;

	if (n > MAX_NATIVE)
		n = MAX_NATIVE;
	nr = python__frames_on(py) && pys ? (pys->nr > MS_MAX_PY_FRAMES ? MS_MAX_PY_FRAMES : pys->nr)
					   : 0;
	if (nr && (py->info.off.layout & MS_PY_LAYOUT_SHIM)) {
		nr = python_merge_drop_shims(pys->entry, nr, raw, &entry);
		nr = drop_code_shims(py, pys, nr, raw, &entry);
	} else {
		for (size_t i = 0; i < nr; i++)
			raw[i] = (uint32_t)i;
		entry = nr ? pys->entry : 0;
	}
	if (!nr) {
		for (size_t i = n; i-- > 0 && k < max;)
			out[k++] = (struct py_merge_item){(uint32_t)i, MS_MERGE_NONE};
		return k;
	}
	for (size_t i = 0; i < n; i++)
		is_eval[i] = python__is_eval(py, pcs[i]);
	jit_stands_for_eval(is_eval, jit, n);
	k = python_merge(is_eval, n, entry, nr, complete, out, max);
	for (size_t i = 0; i < k; i++)
		if (out[i].py != MS_MERGE_NONE)
			out[i].py = raw[out[i].py];
	return k;
}
