/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Parse /proc/<pid>/maps into plain structs. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "target/procmaps.h"

static const char deleted_suffix[] = " (deleted)";

/* One line: "start-end perms offset major:minor inode   path". */
static int parse_line(char *line, struct map_entry *e)
{
	int path_at = 0;
	char perms[8];

	memset(e, 0, sizeof(*e));
	if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %x:%x %" SCNu64 " %n", &e->start,
		   &e->end, perms, &e->offset, &e->dev_major, &e->dev_minor, &e->inode,
		   &path_at) < 7 ||
	    path_at == 0 || e->end < e->start || strlen(perms) != 4)
		return -EINVAL;
	memcpy(e->perms, perms, 5);
	char *path = line + path_at;
	size_t len = strcspn(path, "\n");
	path[len] = '\0';
	size_t sl = sizeof(deleted_suffix) - 1;
	if (len >= sl && !strcmp(path + len - sl, deleted_suffix)) {
		e->deleted = true;
		path[len - sl] = '\0';
	}
	e->path = strdup(path);
	return e->path ? 0 : -ENOMEM;
}

int procmaps_parse(FILE *f, struct procmaps *out)
{
	char *line = NULL;
	size_t cap = 0, alloc = 0;
	int err = 0;

	out->entries = NULL;
	out->n = 0;
	while (getline(&line, &cap, f) > 0) {
		if (line[0] == '\n')
			continue;
		if (out->n == alloc) {
			size_t na = alloc ? alloc * 2 : 64;
			struct map_entry *ne = realloc(out->entries, na * sizeof(*ne));
			if (!ne) {
				err = -ENOMEM;
				break;
			}
			out->entries = ne;
			alloc = na;
		}
		err = parse_line(line, &out->entries[out->n]);
		if (err)
			break;
		out->n++;
	}
	free(line);
	if (err)
		procmaps_release(out);
	return err;
}

int procmaps_read(pid_t pid, struct procmaps *out)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	int err = procmaps_parse(f, out);
	fclose(f);
	return err;
}

void procmaps_release(struct procmaps *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		free(m->entries[i].path);
	free(m->entries);
	m->entries = NULL;
	m->n = 0;
}

const struct map_entry *procmaps_find(const struct procmaps *m, uint64_t addr)
{
	size_t lo = 0, hi = m->n;

	/* The kernel lists mappings sorted by address. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct map_entry *e = &m->entries[mid];
		if (addr < e->start)
			hi = mid;
		else if (addr >= e->end)
			lo = mid + 1;
		else
			return e;
	}
	return NULL;
}

bool map_entry_is_file(const struct map_entry *e)
{
	return e->path[0] == '/' && e->inode != 0;
}
