/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Parse /proc/<pid>/maps into plain structs. */
#ifndef MEMSPY_PROCMAPS_H
#define MEMSPY_PROCMAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

struct map_entry {
	uint64_t start;	 /* first address */
	uint64_t end;	 /* one past the last address */
	uint64_t offset; /* file offset of start */
	uint64_t inode;
	unsigned dev_major, dev_minor;
	char perms[5];	 /* "r-xp" */
	bool deleted;	 /* path ended in " (deleted)"; the suffix is stripped */
	char *path;	 /* owned; "" for anonymous, "[stack]" etc. for pseudo */
};

struct procmaps {
	struct map_entry *entries;
	size_t n;
};

/* Parse maps text from f. Returns 0 or -errno (-EINVAL: malformed line). */
int procmaps_parse(FILE *f, struct procmaps *out);
/* Read /proc/<pid>/maps. Returns 0 or -errno (-ENOENT: no such process). */
int procmaps_read(pid_t pid, struct procmaps *out);
void procmaps_release(struct procmaps *m);
/* The entry containing addr, or NULL. */
const struct map_entry *procmaps_find(const struct procmaps *m, uint64_t addr);
/* True for a mapping backed by a regular file (not anonymous, not [pseudo]). */
bool map_entry_is_file(const struct map_entry *e);

#endif
