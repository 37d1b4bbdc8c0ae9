/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The output directory of a run and files in it written atomically. */
#ifndef MEMSPY_OUTDIR_H
#define MEMSPY_OUTDIR_H

#include <stdio.h>
#include <sys/types.h>
#include <time.h>

/* Default directory name: memspy-<pid>-<YYYYmmdd-HHMMSS>. */
void outdir_default_name(pid_t pid, time_t when, char *buf, size_t size);
/* Create dir (and missing parents). Returns 0 or -errno; an existing dir is fine. */
int outdir_create(const char *dir);

/* A file that appears under its name only when committed: writes go to a
 * temporary file in the same directory, renamed over the name on commit. */
struct atomic_file {
	FILE *f;
	char *tmp_path;
	char *path;
};
/* Returns 0 or -errno. */
int atomic_file__open(struct atomic_file *af, const char *dir, const char *name);
/* Flush, fsync, rename. Returns 0 or -errno (the temporary is removed on error). */
int atomic_file__commit(struct atomic_file *af);
/* Drop the temporary. Accepts a file never opened (zeroed). */
void atomic_file__abort(struct atomic_file *af);

#endif
