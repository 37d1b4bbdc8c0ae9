/* SPDX-License-Identifier: GPL-2.0-or-later */
/* --off-cpu outputs: offcpu and wall as folded, SVG and pprof. Internal to src/run. */
#ifndef MEMSPY_WRITE_OFFCPU_H
#define MEMSPY_WRITE_OFFCPU_H

#include <stdbool.h>
#include <sys/types.h>

#include "run/proc.h"
#include "run/write_pprof.h"

/* Write offcpu.{folded,svg,pb.gz} and wall.{folded,svg,pb.gz} of prof into
 * s->dir. merged: wall stacks start with the process, then the thread. 0 or -EIO
 * (each failure was reported). */
int write_offcpu(const struct pprof_set *s, pid_t pid, const struct profiles *prof,
		 bool merged);

#endif
