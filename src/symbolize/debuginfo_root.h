/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A module's separate debug file inside the target's root directory (a container
 * or chroot), found by memspy itself rather than by libdwfl, which opens paths and
 * would follow the target's symlinks out of its root onto the host's files. */
#ifndef MEMSPY_DEBUGINFO_ROOT_H
#define MEMSPY_DEBUGINFO_ROOT_H

#include <elfutils/libdwfl.h>
#include <stdbool.h>
#include <sys/types.h>

/* Whether a .gnu_debuglink is a plain file name, as linkers write it: not empty,
 * no '/', not "." or "..". */
bool debuginfo_link_is_name(const char *link);

/* The debug file of mod, whose file the target names file_name, looked for where
 * libdwfl's default path would look, but inside pid's root (procroot_open: no
 * symlink leads out, only regular files are opened): by build-id under
 * /usr/lib/debug/.build-id/, then by debuglink beside the file, in its .debug/
 * and under /usr/lib/debug/. A candidate counts only when its build-id is the
 * module's (or, for a module without one, its CRC the debuglink's). Returns a
 * fd with *debuginfo_file_name set (malloc'd, the name inside the root), or -1
 * with errno 0 when there is none. */
int debuginfo_find_in_root(Dwfl_Module *mod, pid_t pid, const char *file_name,
			   const char *debuglink, GElf_Word debuglink_crc,
			   char **debuginfo_file_name);

#endif
