/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libdwfl's standard search for a module's separate debug file, minus the last
 * resort: when no local file can match, libdwfl 0.188 dlopens libdebuginfod and
 * its ~30 libraries (45 ms from a cold page cache) only to learn that no server
 * is configured. Used by the symbolizer only. */
#ifndef MEMSPY_DEBUGINFO_FIND_H
#define MEMSPY_DEBUGINFO_FIND_H

#include <elfutils/libdwfl.h>

/* A Dwfl_Callbacks.find_debuginfo: dwfl_standard_find_debuginfo when one of the
 * files it would try (by build-id or .gnu_debuglink, in the session's
 * debuginfo_path) exists, else -1 with errno 0 ("no debug file", the answer
 * libdwfl expects for a module without one). debuginfo_path is the path the
 * callbacks name (NULL: libdwfl's default ":.debug:/usr/lib/debug"). */
int debuginfo_find(Dwfl_Module *mod, const char *debuginfo_path, void **userdata,
		   const char *modname, Dwarf_Addr base, const char *file_name,
		   const char *debuglink_file, GElf_Word debuglink_crc,
		   char **debuginfo_file_name);

#endif
