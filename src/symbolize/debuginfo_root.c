/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Separate debug files inside a target's root, opened without leaving it. */
#include "config.h"

#include <elfutils/libdwelf.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "symbolize/debuginfo_root.h"
#include "target/procroot.h"

#define DEBUG_DIR "/usr/lib/debug"

bool debuginfo_link_is_name(const char *link)
{
	return link && *link && !strchr(link, '/') && strcmp(link, ".") && strcmp(link, "..");
}

/* The CRC-32 a .gnu_debuglink carries: zlib's, over the whole file. */
static bool crc_matches(int fd, GElf_Word want)
{
	unsigned char buf[65536];
	uLong crc = crc32(0, Z_NULL, 0);
	off_t off = 0;
	ssize_t r;

	while ((r = pread(fd, buf, sizeof(buf), off)) > 0) {
		crc = crc32(crc, buf, (uInt)r);
		off += r;
	}
	return r == 0 && (GElf_Word)crc == want;
}

/* Whether the file at fd is mod's debug file: same build-id, else the CRC the
 * debuglink names. */
static bool matches(Dwfl_Module *mod, int fd, GElf_Word crc)
{
	const unsigned char *id;
	const void *got;
	GElf_Addr id_vaddr;
	int len = dwfl_module_build_id(mod, &id, &id_vaddr);
	Elf *elf;
	bool ok = false;

	if (len <= 0)
		return crc && crc_matches(fd, crc);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (elf && elf_kind(elf) == ELF_K_ELF)
		ok = dwelf_elf_gnu_build_id(elf, &got) == len && !memcmp(got, id, (size_t)len);
	elf_end(elf);
	return ok;
}

/* Open path inside pid's root if it is mod's debug file and not its own file
 * (which has the same build-id). A fd, or -1. */
static int try_path(Dwfl_Module *mod, pid_t pid, const char *path, const struct stat *own,
		    GElf_Word crc)
{
	struct stat st;
	int fd = procroot_open(pid, path);

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) || (st.st_dev == own->st_dev && st.st_ino == own->st_ino) ||
	    !matches(mod, fd, crc)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* DEBUG_DIR/.build-id/xx/yyyy.debug of mod into path; false without a build-id. */
static bool build_id_path(Dwfl_Module *mod, char *path, size_t size)
{
	const unsigned char *id;
	GElf_Addr id_vaddr;
	int len = dwfl_module_build_id(mod, &id, &id_vaddr);
	int o;

	if (len < 2 || len > 64)
		return false;
	o = snprintf(path, size, DEBUG_DIR "/.build-id/%02x/", id[0]);
	for (int i = 1; i < len; i++)
		o += snprintf(path + o, size - (size_t)o, "%02x", id[i]);
	snprintf(path + o, size - (size_t)o, ".debug");
	return true;
}

/* file_name as the target names it: the kernel prints a mapped file's path as
 * memspy sees it, so that of a target chrooted below memspy's root starts with
 * the root's path, which the target does not see. */
static const char *target_view(pid_t pid, const char *file_name, char *root, size_t size)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%d/root", (int)pid);
	n = readlink(link, root, size - 1);
	if (n <= 1)
		return file_name;
	root[n] = '\0';
	if (strncmp(file_name, root, (size_t)n) || file_name[n] != '/')
		return file_name;
	return file_name + n;
}

int debuginfo_find_in_root(Dwfl_Module *mod, pid_t pid, const char *file_name,
			   const char *debuglink, GElf_Word debuglink_crc,
			   char **debuginfo_file_name)
{
	char path[PATH_MAX], dir[PATH_MAX], root[PATH_MAX];
	struct stat own = {0};
	const char *slash;
	int fd = -1, own_fd;

	if (!file_name || file_name[0] != '/')
		return errno = 0, -1;

	file_name = target_view(pid, file_name, root, sizeof(root));
	slash = strrchr(file_name, '/');
	if (!slash || (size_t)(slash - file_name) >= sizeof(dir))
		return errno = 0, -1;
	memcpy(dir, file_name, (size_t)(slash - file_name));
	dir[slash - file_name] = '\0';
	own_fd = procroot_open(pid, file_name);
	if (own_fd >= 0) {
		fstat(own_fd, &own);
		close(own_fd);
	}
	if (build_id_path(mod, path, sizeof(path)))
		fd = try_path(mod, pid, path, &own, debuglink_crc);
	/* The debuglink where libdwfl's default path (":.debug:/usr/lib/debug")
	 * puts it: beside the file, in .debug/ beside it, under DEBUG_DIR. */
	if (fd < 0 && debuginfo_link_is_name(debuglink)) {
		static const char *const fmt[] = {"%s/%s", "%s/.debug/%s", DEBUG_DIR "%s/%s"};
		for (size_t i = 0; i < sizeof(fmt) / sizeof(fmt[0]) && fd < 0; i++) {
			int n = snprintf(path, sizeof(path), fmt[i], dir, debuglink);
			if (n > 0 && (size_t)n < sizeof(path))
				fd = try_path(mod, pid, path, &own, debuglink_crc);
		}
	}
	if (fd < 0)
		return errno = 0, -1;
	*debuginfo_file_name = strdup(path);
	return fd;
}
