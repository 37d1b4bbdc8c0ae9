/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The output directory of a run and files in it written atomically. */
#ifndef MEMSPY_OUTDIR_H
#define MEMSPY_OUTDIR_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

/* Default directory name: memspy-<pid>-<YYYYmmdd-HHMMSS>, in local time. */
void outdir_default_name(pid_t pid, time_t when, char *buf, size_t size);
/* Create dir (and missing parents, mode 0755). Returns 0 or -errno; an existing dir
 * is fine, an existing non-directory is -ENOTDIR. No symlink is followed that
 * another user owns (-ELOOP), and dir itself must not be one (-ELOOP): a symlink
 * planted where memspy writes as root would send its files anywhere. */
int outdir_create(const char *dir);
/* strerror for the errors of outdir_create and atomic_file__commit, saying what
 * to do about those that are memspy's refusals (ELOOP, EEXIST). */
const char *outdir_strerror(int err);

/* A file that appears under its name only when committed: writes go to an
 * unnamed file in the directory (O_TMPFILE; a hidden temporary where the
 * filesystem has none), linked to a hidden name and renamed over the name on
 * commit. A kill at any moment leaves no partial file under any name. */
struct atomic_file {
	FILE *f;
	char *tmp_path;
	char *path;
	bool unnamed; /* f is an O_TMPFILE file: tmp_path not made yet */
	bool named;   /* linked straight under path: no rename to do */
};
/* Open dir/name for writing through a hidden temporary (dir/.name.XXXXXX, mode
 * 0644). Returns 0 or -errno; on error *af is zeroed and nothing is left on disk. */
int atomic_file__open(struct atomic_file *af, const char *dir, const char *name);
/* Flush, fsync, rename, then sync the directory. Returns 0 or -errno (the temporary
 * is removed on error): -EEXIST when something memspy did not write has the name
 * (anything but a regular file of memspy's user with one link), which is left
 * alone. Either way *af is zeroed, so a later abort does nothing. */
int atomic_file__commit(struct atomic_file *af);
/* Drop the temporary. Accepts NULL, a file never opened (zeroed) or already
 * committed. */
void atomic_file__abort(struct atomic_file *af);

#endif
