/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Looks for a module's separate debug file where libdwfl's standard search would
 * look, before letting it search, so that it never falls through to debuginfod. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "symbolize/debuginfo_find.h"

#define DEFAULT_DEBUGINFO_PATH ":.debug:/usr/lib/debug"

/* The module's own file: libdwfl never takes it for its debug file. */
static struct stat main_file;

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 &&
	       (st.st_ino != main_file.st_ino || st.st_dev != main_file.st_dev);
}

/* dir/.build-id/xx/yyyy.debug, as libdwfl names a debug file by build-id. */
static bool build_id_file_exists(const char *dir, const unsigned char *id, int len)
{
	char path[PATH_MAX];
	int o = snprintf(path, sizeof(path), "%s/.build-id/%02x/", dir, id[0]);

	for (int i = 1; i < len && o > 0 && (size_t)o < sizeof(path) - 3; i++)
		o += snprintf(path + o, sizeof(path) - (size_t)o, "%02x", id[i]);
	if (o <= 0 || (size_t)o >= sizeof(path) - sizeof(".debug"))
		return false;
	strcpy(path + o, ".debug");
	return exists(path);
}

static bool joined_exists(const char *a, const char *b, const char *c)
{
	char path[PATH_MAX];
	int n = c ? snprintf(path, sizeof(path), "%s/%s/%s", a, b, c)
		  : snprintf(path, sizeof(path), "%s/%s", a, b);

	return n > 0 && (size_t)n < sizeof(path) && exists(path);
}

/* Whether a file named link exists where an element of the path sends libdwfl
 * for a module file at file_name: beside it ("" element), in a subdirectory of
 * its directory (relative element), or under an absolute element followed by
 * the module's directory or any tail of it; also a dwz ".dwz" subdirectory. */
static bool debuglink_file_exists(const char *elem, const char *file_name, const char *link,
				  bool basename_only)
{
	const char *slash = strrchr(file_name, '/');
	char dir[PATH_MAX];

	if (!slash || (size_t)(slash - file_name) >= sizeof(dir))
		return false;
	memcpy(dir, file_name, (size_t)(slash - file_name));
	dir[slash - file_name] = '\0';
	const char *base = strrchr(link, '/');
	base = base ? base + 1 : link;
	if (!*elem)
		return !basename_only && (joined_exists(dir[0] ? dir : "/", link, NULL) ||
		       joined_exists(dir[0] ? dir : "/", ".dwz", base));
	if (elem[0] != '/')
		return joined_exists(dir[0] ? dir : "/", elem, link);
	if (joined_exists(elem, base, NULL) || joined_exists(elem, ".dwz", base))
		return true;
	for (const char *sub = dir; (sub = strchr(sub, '/')); ) {
		sub++;
		if (!*sub)
			break;
		if (joined_exists(elem, sub, link))
			return true;
	}
	return false;
}

/* Whether any file libdwfl's standard search would open for this module exists
 * (other than the module's own file, which libdwfl skips). Erring towards yes
 * only costs the search. Not thread-safe (main_file), as libdwfl's callbacks. */
static bool candidate_exists(Dwfl_Module *mod, const char *debuginfo_path, const char *file_name,
			     const char *debuglink_file)
{
	const unsigned char *id = NULL;
	GElf_Addr id_vaddr;
	int id_len = dwfl_module_build_id(mod, &id, &id_vaddr);
	char *copy = strdup(debuginfo_path ? debuginfo_path : DEFAULT_DEBUGINFO_PATH);
	char canon[PATH_MAX], made_up[NAME_MAX + 8];
	const char *names[2] = {file_name, NULL};
	bool found = false;

	if (!copy)
		return true;
	if (file_name && realpath(file_name, canon) && strcmp(canon, file_name))
		names[1] = canon;
	if (!file_name || stat(file_name, &main_file))
		memset(&main_file, 0, sizeof(main_file));
	/* Without a debuglink libdwfl tries "<basename>.debug" and the basename. */
	const char *links[2] = {debuglink_file, NULL};
	if (!debuglink_file && file_name) {
		const char *b = strrchr(file_name, '/');
		b = b ? b + 1 : file_name;
		snprintf(made_up, sizeof(made_up), "%s.debug", b);
		links[0] = made_up;
		links[1] = b;
	}
	char *path = copy, *elem;
	if (*path == '+' || *path == '-')
		path++;
	while (!found && (elem = strsep(&path, ":"))) {
		if (*elem == '+' || *elem == '-')
			elem++;
		if (elem[0] == '/' && id_len > 0 && build_id_file_exists(elem, id, id_len))
			found = true;
		for (int n = 0; n < 2 && !found; n++)
			for (int l = 0; l < 2 && !found; l++)
				if (names[n] && links[l])
					found = debuglink_file_exists(elem, names[n], links[l],
								      l == 1);
	}
	free(copy);
	return found;
}

int debuginfo_find(Dwfl_Module *mod, const char *debuginfo_path, void **userdata,
		   const char *modname, Dwarf_Addr base, const char *file_name,
		   const char *debuglink_file, GElf_Word debuglink_crc,
		   char **debuginfo_file_name)
{
	if (!candidate_exists(mod, debuginfo_path, file_name, debuglink_file)) {
		errno = 0;
		return -1;
	}
	return dwfl_standard_find_debuginfo(mod, userdata, modname, base, file_name,
					    debuglink_file, debuglink_crc, debuginfo_file_name);
}
