/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One libdwfl session per target process: the modules it maps, found as the
 * target sees them, and the session's life. Unwinding and naming live beside it
 * (target_dwfl_unwind.c, target_dwfl_names.c, target_dwfl_symbolize.c). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "symbolize/debuginfo_find.h"
#include "symbolize/debuginfo_root.h"
#include "symbolize/dwarf_index.h"
#include "symbolize/jitmap.h"
#include "target/elfload.h"
#include "target/procroot.h"
#include "symbolize/target_dwfl_impl.h"

static char *debuginfo_path; /* NULL: libdwfl's default ":.debug:/usr/lib/debug" */

static int cb_find_elf(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
		       char **file_name, Elf **elfp);
static int cb_find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname,
			     Dwarf_Addr base, const char *file_name, const char *debuglink_file,
			     GElf_Word debuglink_crc, char **debuginfo_file_name);
static int cb_find_debuginfo_offline(Dwfl_Module *mod, void **userdata, const char *modname,
				     Dwarf_Addr base, const char *file_name,
				     const char *debuglink_file, GElf_Word debuglink_crc,
				     char **debuginfo_file_name);

static const Dwfl_Callbacks proc_callbacks = {
    .find_elf = cb_find_elf,
    .find_debuginfo = cb_find_debuginfo,
    .debuginfo_path = &debuginfo_path,
};

/* Offline sessions open the files they are given; debug info is found as for a
 * process, on the host. */
static const Dwfl_Callbacks offline_callbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = cb_find_debuginfo_offline,
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = &debuginfo_path,
};

int target_dwfl__set_debuginfo_path(const char *path)
{
	char *copy = NULL;

	if (path && !(copy = strdup(path)))
		return -ENOMEM;
	free(debuginfo_path);
	debuginfo_path = copy;
	return 0;
}

/* Read the maps again; on any error the previous read stays, so a process that
 * exits keeps the mappings it had. */
static int maps_snapshot(struct target_dwfl *t)
{
	struct procmaps nm;
	int err = procmaps_read(t->pid, &nm);

	if (err)
		return err;
	/* An exited process reads as empty. */
	if (!nm.n) {
		procmaps_release(&nm);
		return -ESRCH;
	}
	procmaps_release(&t->maps);
	t->maps = nm;
	return 0;
}

static bool is_vdso(const struct map_entry *m)
{
	return !strcmp(m->path, "[vdso]");
}

/* ---------------------------------------------------------------- module files */

/* The ELF file of mapping m (NULL: none known) of path, as the target mapped
 * it: the mapping itself through map_files (the very inode, even deleted or
 * replaced), else its path inside the target's root when that still names the
 * same inode. Never the host's path. An fd, or -1. */
static int mapping_open(struct target_dwfl *t, const struct map_entry *m, const char *path)
{
	struct stat st;
	int fd = -1;

	if (m)
		fd = procroot_open_mapping(t->pid, m->start, m->end);
	if (fd < 0) {
		fd = procroot_open(t->pid, path);
		/* Replaced on disk since it was mapped: that is another file. */
		if (fd >= 0 && m && m->inode && (fstat(fd, &st) || st.st_ino != m->inode)) {
			close(fd);
			fd = -1;
		}
	}
	/* The kernel prints mapped paths relative to the reader's root: a chroot
	 * inside our tree shows host paths ("/srv/jail/lib/..."). Only the very
	 * inode will do. */
	if (fd < 0 && m && m->inode && t->foreign_root) {
		/* Checked before it is opened for reading: the name is the target's to
		 * change, and a FIFO put there would block. */
		int pfd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (pfd >= 0 && !fstat(pfd, &st) && st.st_ino == m->inode &&
		    major(st.st_dev) == m->dev_major && minor(st.st_dev) == m->dev_minor)
			fd = procroot_open_regular(pfd);
		if (pfd >= 0)
			close(pfd);
	}
	return fd < 0 ? -1 : fd;
}

/* The first mapping of path at or above addr: a module starts at its file's
 * lowest address, which can lie below its first mapping (see module_extent). */
static const struct map_entry *mapping_from(const struct target_dwfl *t, uint64_t addr,
					    const char *path)
{
	for (size_t i = 0; i < t->maps.n; i++) {
		const struct map_entry *m = &t->maps.entries[i];
		if (m->end > addr && map_entry_is_file(m))
			return m->start >= addr && !strcmp(m->path, path) ? m : NULL;
	}
	return NULL;
}

/* The ELF file of a module (mapping_open). The vDSO is read from the target's
 * memory. */
static int cb_find_elf(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
		       char **file_name, Elf **elfp)
{
	struct target_dwfl *t = *userdata;
	char path[4096];
	int fd;

	if (!t || !modname || modname[0] != '/')
		return dwfl_linux_proc_find_elf(mod, userdata, modname, base, file_name, elfp);
	*elfp = NULL;
	if (procroot_strip_deleted(modname, path, sizeof(path)))
		return -1;
	fd = mapping_open(t, mapping_from(t, base, path), path);
	if (fd < 0)
		return -1;
	/* The name the target knows it by: debug info is looked up from it. */
	*file_name = strdup(path);
	return fd;
}

/* The separate debug file: by build-id or .gnu_debuglink, first on the host (its
 * build-id or CRC must match, so a host file is never taken for another), then
 * inside the target's root. libdwfl falls back to .gnu_debugdata (MiniDebugInfo),
 * .symtab and .dynsym of the module's own file by itself. */
static int cb_find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname,
			     Dwarf_Addr base, const char *file_name, const char *debuglink_file,
			     GElf_Word debuglink_crc, char **debuginfo_file_name)
{
	struct target_dwfl *t = *userdata;
	int fd;

	/* A debuglink is a file name, written by whoever built the target: one
	 * with a directory in it ("../../etc/shadow") would send the search
	 * anywhere on the host. */
	if (debuglink_file && !debuginfo_link_is_name(debuglink_file))
		debuglink_file = NULL;
	if (!t || !t->foreign_root || !file_name || file_name[0] != '/')
		return debuginfo_find(mod, debuginfo_path, userdata, modname, base, file_name,
				      debuglink_file, debuglink_crc, debuginfo_file_name);
	/* Another root: on the host, by build-id only, in the host's debug
	 * directories. A search by the module's path would walk the target's
	 * tree (its mapped paths are host paths when it is a chroot below ours)
	 * and follow its symlinks. */
	fd = dwfl_build_id_find_debuginfo(mod, userdata, modname, base, NULL, NULL, 0,
					  debuginfo_file_name);
	if (fd >= 0)
		return fd;
	/* Inside the target's root, by memspy's own search: libdwfl opens paths
	 * itself, and a path through /proc/<pid>/root follows the target's
	 * symlinks out of it. */
	return debuginfo_find_in_root(mod, t->pid, file_name, debuglink_file, debuglink_crc,
				      debuginfo_file_name);
}

/* The separate debug file of a module of an offline session, on the host. */
static int cb_find_debuginfo_offline(Dwfl_Module *mod, void **userdata, const char *modname,
				     Dwarf_Addr base, const char *file_name,
				     const char *debuglink_file, GElf_Word debuglink_crc,
				     char **debuginfo_file_name)
{
	return debuginfo_find(mod, debuginfo_path, userdata, modname, base, file_name,
			      debuglink_file, debuglink_crc, debuginfo_file_name);
}

/* dwfl_addrmodule alone can answer with the module below a gap (seen with 0.188
 * for an anonymous mapping after libdw's), so check the module's own range. */
Dwfl_Module *target_dwfl_module_at(struct target_dwfl *t, uint64_t addr)
{
	Dwfl_Module *mod = dwfl_addrmodule(t->dwfl, addr);
	Dwarf_Addr low, high;

	if (!mod || !dwfl_module_info(mod, NULL, &low, &high, NULL, NULL, NULL, NULL))
		return NULL;
	return addr >= low && addr < high ? mod : NULL;
}

/* ---------------------------------------------------------------- session */

static bool same_file(const struct map_entry *a, const struct map_entry *b)
{
	return a->inode == b->inode && a->dev_major == b->dev_major && a->dev_minor == b->dev_minor &&
	       a->deleted == b->deleted && !strcmp(a->path, b->path);
}

/* Open a module's files now, while the target runs: its ELF file and the maps it
 * is read through vanish with the process, and a deleted file with its last
 * mapping. Both are cached by libdwfl, so this costs once per module. */
static int open_module(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr start,
		       void *arg)
{
	Dwarf_Addr bias;

	if (dwfl_module_getelf(mod, &bias))
		dwfl_module_getdwarf(mod, &bias);
	return DWARF_CB_OK;
}

/* The PT_LOAD headers of m's file, read on its first mapping; NULL when the
 * file cannot be read or is no ELF file (or on ENOMEM). */
static const struct elf_loads *loads_of(struct target_dwfl *t, const struct map_entry *m)
{
	struct file_loads *f;

	for (size_t i = 0; i < t->nfiles; i++) {
		f = &t->files[i];
		if (f->inode == m->inode && f->dev_major == m->dev_major &&
		    f->dev_minor == m->dev_minor)
			return f->err ? NULL : &f->loads;
	}
	f = realloc(t->files, (t->nfiles + 1) * sizeof(*f));
	if (!f)
		return NULL;
	t->files = f;
	f = &t->files[t->nfiles++];
	*f = (struct file_loads){.inode = m->inode, .dev_major = m->dev_major,
				 .dev_minor = m->dev_minor, .err = -ENOENT};
	int fd = mapping_open(t, m, m->path);
	if (fd >= 0) {
		f->err = elf_loads_read(fd, &f->loads);
		close(fd);
	}
	return f->err ? NULL : &f->loads;
}

/* The module of the file mapped by entry i: the mappings of the same load of the
 * file that follow it, across gaps, anonymous mappings (.bss) and inaccessible
 * ones, up to another file's. Same load: the program headers put each mapping's file offset at its
 * address with one bias. A file whose headers cannot be read takes the mappings
 * that touch. *low is where libdwfl must see the module start, low > prev_high:
 * libdwfl takes the bias as the module's start minus the file's first segment,
 * and a module reported at its first mapping past a gap (text aligned to 2 MiB,
 * node's split text) named every address too low. Returns the next entry. */
static size_t module_extent(struct target_dwfl *t, size_t i, uint64_t prev_high, uint64_t *low,
			    uint64_t *high)
{
	const struct map_entry *m = &t->maps.entries[i];
	const struct elf_loads *l = loads_of(t, m);
	uint64_t bias, reach = m->end;
	size_t j, next = i + 1;

	if (l && elf_loads_bias(l, m->start, m->offset, &bias))
		l = NULL;
	*low = m->start;
	*high = m->end;
	for (j = i + 1; j < t->maps.n; j++) {
		const struct map_entry *n = &t->maps.entries[j];
		if (!l && n->start != reach)
			break;
		reach = n->end;
		if (is_vdso(n))
			break;
		/* ld.so reserves a library's whole span with one mapping of the file
		 * and maps the segments over it: what is left between them stays,
		 * inaccessible, at offsets no segment may hold. */
		if (!map_entry_is_file(n) || !strncmp(n->perms, "---", 3))
			continue;
		if (!same_file(m, n) || (l && !elf_loads_agree(l, bias, n->start, n->offset)))
			break;
		*high = n->end;
		next = j + 1;
	}
	/* A module that would overlap the one before keeps its first mapping's
	 * start (its names then are off, as they were before). */
	if (l && bias + elf_loads_base(l) <= m->start && bias + elf_loads_base(l) >= prev_high)
		*low = bias + elf_loads_base(l);
	return next;
}

/* Report the snapshot's modules. Not dwfl_linux_proc_report: it joins every
 * mapping of a file that no other file's mapping separates, so an executable that
 * mmaps itself (libelf does, backtrace libraries do) became one module spanning
 * the heap and everything up to that mmap. Here a module's mappings are one load
 * of the file (module_extent). */
static int report_modules(struct target_dwfl *t, bool keep_old)
{
	const struct procmaps *ms = &t->maps;
	char name[PATH_MAX + sizeof(" (deleted)")];
	uint64_t low, high = 0;
	int err = 0;

	/* begin_add keeps modules that are gone (dlclose, exit): stacks captured
	 * before still need their names. */
	if (keep_old)
		dwfl_report_begin_add(t->dwfl);
	else
		dwfl_report_begin(t->dwfl);
	for (size_t i = 0; i < ms->n;) {
		const struct map_entry *m = &ms->entries[i];

		if (is_vdso(m)) {
			/* The name dwfl_linux_proc_find_elf reads from memory. */
			snprintf(name, sizeof(name), "[vdso: %d]", (int)t->pid);
			low = m->start;
			high = m->end;
			i++;
		} else if (!map_entry_is_file(m)) {
			i++;
			continue;
		} else {
			/* The name as the kernel prints it: cb_find_elf strips the suffix. */
			snprintf(name, sizeof(name), "%s%s", m->path, m->deleted ? " (deleted)" : "");
			i = module_extent(t, i, high, &low, &high);
		}
		Dwfl_Module *mod = dwfl_report_module(t->dwfl, name, low, high);
		void **ud;
		if (mod && dwfl_module_info(mod, &ud, NULL, NULL, NULL, NULL, NULL, NULL))
			*ud = t;
		if (!mod && !err)
			err = -ENOMEM;
	}
	if (dwfl_report_end(t->dwfl, NULL, NULL) != 0 && !err)
		err = -EIO;
	if (!err)
		dwfl_getmodules(t->dwfl, open_module, NULL, 0);
	return err;
}

/* Whether pid sees the same root directory as memspy. */
static bool same_root(pid_t pid)
{
	char path[64];
	struct stat a, b;

	snprintf(path, sizeof(path), "/proc/%d/root/", (int)pid);
	if (stat(path, &a) || stat("/", &b))
		return false;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* A session with its pc table and libdwfl handle, no module yet; NULL on
 * ENOMEM. */
static struct target_dwfl *session_new(const Dwfl_Callbacks *cb)
{
	struct target_dwfl *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->mem_fd = -1;
	t->dwfl = dwfl_begin(cb);
	t->pcs_cap = MS_PC_MIN_ENTRIES;
	t->pcs = malloc(t->pcs_cap * sizeof(*t->pcs));
	if (!t->dwfl || !t->pcs || hashtab__init(&t->pcs_by_pc, t->pcs_cap, 0)) {
		target_dwfl__free(t);
		return NULL;
	}
	return t;
}

struct target_dwfl *target_dwfl__open_offline(void)
{
	struct target_dwfl *t = session_new(&offline_callbacks);

	if (!t) {
		errno = ENOMEM;
		return NULL;
	}
	dwfl_report_begin(t->dwfl);
	dwfl_report_end(t->dwfl, NULL, NULL);
	return t;
}

int target_dwfl__report_elf(struct target_dwfl *t, const char *path, uint64_t base)
{
	if (access(path, R_OK))
		return -errno;
	dwfl_report_begin_add(t->dwfl);
	/* fd -1: libdwfl opens the file itself and closes it with the session. */
	Dwfl_Module *mod = dwfl_report_elf(t->dwfl, path, path, -1, base, false);
	dwfl_report_end(t->dwfl, NULL, NULL);
	if (!mod)
		return -ENOEXEC;
	open_module(mod, NULL, path, base, NULL);
	return 0;
}

struct target_dwfl *target_dwfl__open(pid_t pid)
{
	struct target_dwfl *t = session_new(&proc_callbacks);
	int err;

	if (!t) {
		errno = ENOMEM;
		return NULL;
	}
	t->pid = pid;
	err = maps_snapshot(t);
	if (err)
		goto fail;
	t->foreign_root = !same_root(pid);
	t->jit = jitmap__new(pid);
	if (!t->jit) {
		err = -ENOMEM;
		goto fail;
	}
	err = report_modules(t, false);
	if (err)
		goto fail;
	if (!target_dwfl_attach_unwinder(t)) {
		err = -ENOEXEC;
		goto fail;
	}
	/* Optional: without it unwinding just cannot read through code mappings. */
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	t->mem_fd = open(path, O_RDONLY | O_CLOEXEC);
	return t;
fail:
	target_dwfl__free(t);
	errno = -err;
	return NULL;
}

void target_dwfl__free(struct target_dwfl *t)
{
	if (!t)
		return;
	if (t->dwfl)
		dwfl_end(t->dwfl);
	if (t->mem_fd >= 0)
		close(t->mem_fd);
	jitmap__free(t->jit);
	for (size_t i = 0; i < t->nfiles; i++)
		elf_loads_release(&t->files[i].loads);
	free(t->files);
	dwarf_index__free(t->dwx);
	target_dwfl_fetch_release(t);
	for (size_t i = 0; i < t->nmodsyms; i++)
		free(t->modsyms[i].syms);
	free(t->modsyms);
	free(t->pcs);
	hashtab__fini(&t->pcs_by_pc);
	free(t->modids);
	symcache__free(t->own_cache);
	procmaps_release(&t->maps);
	free(t);
}

int target_dwfl__refresh(struct target_dwfl *t)
{
	if (!t->pid)
		return 0;
	int err = maps_snapshot(t);
	if (err)
		return err;
	return report_modules(t, true);
}

bool target_dwfl_in_jit(const struct target_dwfl *t, uint64_t addr)
{
	const struct map_entry *m = procmaps_find(&t->maps, addr);

	/* Not [vsyscall] or [uprobes]: pseudo mappings are the kernel's code. */
	return m && m->perms[2] == 'x' && !map_entry_is_file(m) &&
	       (!m->path[0] || !strncmp(m->path, "[anon:", 6));
}

bool target_dwfl__has_module(struct target_dwfl *t, uint64_t addr)
{
	return target_dwfl_module_at(t, addr) != NULL;
}

const char *target_dwfl__module_name(struct target_dwfl *t, uint64_t addr)
{
	Dwfl_Module *mod = target_dwfl_module_at(t, addr);

	return mod ? target_dwfl_module_name(mod) : NULL;
}

const char *target_dwfl__libdw_version(void)
{
	/* the library's own version, whatever the headers memspy was built with said */
	return dwfl_version(NULL);
}
