/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The outputs of a stopped run: heap, CPU and RSS profiles, the timeline and the
 * report, for the run and, with --children, for each process in <dir>/<pid>/.
 * Internal to src/run. */
#ifndef MEMSPY_WRITE_H
#define MEMSPY_WRITE_H

struct run;

/* Write every output of a stopped run and print the report unless quiet.
 * Returns 0 or -EIO (each failure was reported). */
int write_outputs(struct run *r, const char *end_reason);

#endif
