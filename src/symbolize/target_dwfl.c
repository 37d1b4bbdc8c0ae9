/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One libdwfl session per target process: unwinds captured stacks and names addresses. */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <dwarf.h>
#include <elfutils/libdwfl.h>

#include "base/clock.h"
#include "base/hashtab.h"
#include "symbolize/debuginfo_find.h"
#include "symbolize/dwarf_index.h"
#include "symbolize/jitmap.h"
#include "memspy/events.h"
#include "target/procmaps.h"
#include "target/procroot.h"
#include "symbolize/symcache.h"
#include "symbolize/target_dwfl.h"

_Static_assert(MS_NR_REGS == 17, "libdwfl's x86_64 backend unwinds DWARF registers 0..16");

/* A garbage pc (wrong unwind) is outside every mapping too; re-reading the maps for
 * each one would cost more than the unwinds themselves. */
#define MS_REFRESH_MIN_NS 20000000ull
/* Longest inline chain kept for one address; deeper chains keep the outermost. */
#define MS_MAX_INLINE_NAMES   32
/* Longest chain of nested DWARF scopes (lexical blocks included) followed from
 * an address out to its function; a deeper one (malformed DWARF) is cut there. */
#define MS_MAX_SCOPES         256
#define MS_PC_MIN_ENTRIES     512

/* The session's front of its symcache: a pc seen again costs one probe here, no
 * module lookup. */
struct pc_entry {
	uint64_t pc;
	struct symcache_entry *e;
};

/* A module's key in the symcache, looked up once per module. */
struct module_id {
	Dwfl_Module *mod;
	uint32_t id;   /* symcache__module id */
	uint64_t bias; /* pc - bias: the address in the file, the same in every process */
};

/* The sample being unwound; libdwfl reaches it through the callbacks' argument. */
struct cur_sample {
	const uint64_t *regs;
	const unsigned char *stack;
	uint64_t sp;
	size_t len;
	bool read_failed; /* libdwfl takes an unreadable return address for the end */
	const uint64_t *fix_slots; /* stack slots whose word a pending uretprobe replaced */
	const uint64_t *fix_addrs; /* ... and the real return addresses */
	size_t nr_fix;
};

/* A module's function symbols sorted by address: libdwfl's dwfl_module_addrinfo
 * scans every symbol per lookup (10,000 in libc's .symtab). */
struct modsyms {
	Dwfl_Module *mod;
	struct msym {
		uint64_t addr, end; /* end: addr + size, or the next symbol's addr for size 0 */
		const char *name;   /* libelf's string: valid while the module lives */
		int rank;	    /* GLOBAL over WEAK over LOCAL among aliases */
	} *syms;
	size_t n;
};

struct target_dwfl {
	pid_t pid;		/* 0 in an offline session (target_dwfl__open_offline) */
	bool foreign_root;	/* the target's root directory is not ours (chroot, container) */
	Dwfl *dwfl;
	struct jitmap *jit;	/* /tmp/perf-<pid>.map inside the target's root */
	int mem_fd; /* /proc/<pid>/mem, read only; -1 when unavailable */
	struct procmaps maps;	  /* the last good read of /proc/<pid>/maps */
	uint64_t last_refresh_ns; /* CLOCK_MONOTONIC of the last automatic refresh */
	struct cur_sample cur;
	struct modsyms *modsyms; /* one per module symbolized so far */
	size_t nmodsyms;
	struct dwarf_index *dwx;    /* DWARF scopes per CU, made on the first lookup */
	bool scan_scopes;	    /* dwarf_getscopes per address instead (tests) */
	struct symcache *cache;	    /* own_cache, or one shared with other sessions */
	struct symcache *own_cache; /* made on the first lookup when none is shared */
	struct module_id *modids;   /* of the modules symbolized so far through cache */
	size_t nmodids;
	struct pc_entry *pcs; /* in the order first symbolized */
	size_t npcs, pcs_cap;
	struct hashtab pcs_by_pc;
};

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

/* Backed by a file whose bytes cannot have changed since capture. */
static bool is_ro_file(const struct map_entry *m)
{
	return map_entry_is_file(m) && m->perms[1] != 'w';
}

static bool is_vdso(const struct map_entry *m)
{
	return !strcmp(m->path, "[vdso]");
}

/* ---------------------------------------------------------------- module files */

/* The ELF file of a module, as the target mapped it: its own mapping through
 * map_files (the very inode, even deleted or replaced), else its path inside the
 * target's root when that still names the same inode. Never the host's path. The
 * vDSO is read from the target's memory. */
static int cb_find_elf(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
		       char **file_name, Elf **elfp)
{
	struct target_dwfl *t = *userdata;
	char path[4096];
	struct stat st;
	int fd = -1;

	if (!t || !modname || modname[0] != '/')
		return dwfl_linux_proc_find_elf(mod, userdata, modname, base, file_name, elfp);
	*elfp = NULL;
	if (procroot_strip_deleted(modname, path, sizeof(path)))
		return -1;
	const struct map_entry *m = procmaps_find(&t->maps, base);
	if (m && m->start != base)
		m = NULL;
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
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0 && (fstat(fd, &st) || st.st_ino != m->inode ||
				major(st.st_dev) != m->dev_major || minor(st.st_dev) != m->dev_minor)) {
			close(fd);
			fd = -1;
		}
	}
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
	char path[4096], rooted[4200];
	int fd;

	fd = debuginfo_find(mod, debuginfo_path, userdata, modname, base, file_name,
			    debuglink_file, debuglink_crc, debuginfo_file_name);
	if (fd >= 0 || !t || !t->foreign_root || !file_name || file_name[0] != '/')
		return fd;
	/* The debuglink's directories inside the target's root. */
	snprintf(rooted, sizeof(rooted), "/proc/%d/root%s", (int)t->pid, file_name);
	fd = debuginfo_find(mod, debuginfo_path, userdata, modname, base, rooted, debuglink_file,
			    debuglink_crc, debuginfo_file_name);
	if (fd >= 0)
		return fd;
	/* The build-id tree inside the target's root. */
	const unsigned char *id;
	GElf_Addr id_vaddr;
	int len = dwfl_module_build_id(mod, &id, &id_vaddr);
	if (len < 2 || len > 64)
		return -1;
	int o = snprintf(path, sizeof(path), "/usr/lib/debug/.build-id/%02x/", id[0]);
	for (int i = 1; i < len; i++)
		o += snprintf(path + o, sizeof(path) - (size_t)o, "%02x", id[i]);
	snprintf(path + o, sizeof(path) - (size_t)o, ".debug");
	fd = procroot_open(t->pid, path);
	if (fd < 0)
		return -1;
	*debuginfo_file_name = strdup(path);
	return fd;
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

/* ---------------------------------------------------------------- libdwfl callbacks */

static pid_t cb_next_thread(Dwfl *dwfl, void *dwfl_arg, void **thread_argp)
{
	struct target_dwfl *t = dwfl_arg;

	/* One pseudo-thread: whatever sample is being unwound. */
	if (*thread_argp)
		return 0;
	*thread_argp = t;
	return t->pid;
}

static bool cb_get_thread(Dwfl *dwfl, pid_t tid, void *dwfl_arg, void **thread_argp)
{
	*thread_argp = dwfl_arg;
	return true;
}

static bool cb_memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *dwfl_arg)
{
	struct target_dwfl *t = dwfl_arg;
	const struct cur_sample *c = &t->cur;

	for (size_t i = 0; i < c->nr_fix; i++) {
		if (c->fix_slots[i] == addr) {
			*result = c->fix_addrs[i];
			return true;
		}
	}

	/* Unsigned wrap turns addresses below sp into huge offsets. */
	uint64_t off = addr - c->sp;
	if (c->stack && c->len >= sizeof(*result) && off <= c->len - sizeof(*result)) {
		memcpy(result, c->stack + off, sizeof(*result));
		return true;
	}
	/* Read-only file mappings hold the same bytes now as at capture time; anything
	 * else (heap, other stacks) may have changed since, so it is not read. */
	const struct map_entry *m = t->mem_fd >= 0 ? procmaps_find(&t->maps, addr) : NULL;
	if (m && is_ro_file(m) && addr <= m->end - sizeof(*result) &&
	    pread(t->mem_fd, result, sizeof(*result), (off_t)addr) == sizeof(*result))
		return true;
	t->cur.read_failed = true;
	return false;
}

static bool cb_set_initial_registers(Dwfl_Thread *thread, void *thread_arg)
{
	struct target_dwfl *t = thread_arg;
	const uint64_t *regs = t->cur.regs;

	_Static_assert(sizeof(Dwarf_Word) == sizeof(regs[0]), "register width");
	if (!dwfl_thread_state_registers(thread, 0, MS_NR_REGS, (const Dwarf_Word *)regs))
		return false;
	dwfl_thread_state_register_pc(thread, regs[MS_REG_IP]);
	return true;
}

static const Dwfl_Thread_Callbacks thread_callbacks = {
    .next_thread = cb_next_thread,
    .get_thread = cb_get_thread,
    .memory_read = cb_memory_read,
    .set_initial_registers = cb_set_initial_registers,
};

/* dwfl_addrmodule alone can answer with the module below a gap (seen with 0.188
 * for an anonymous mapping after libdw's), so check the module's own range. */
static Dwfl_Module *module_at(struct target_dwfl *t, uint64_t addr)
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

/* Report the snapshot's modules. Not dwfl_linux_proc_report: it joins every
 * mapping of a file that no other file's mapping separates, so an executable that
 * mmaps itself (libelf does, backtrace libraries do) became one module spanning
 * the heap and everything up to that mmap. Here a module's mappings must touch;
 * anonymous ones in between (.bss) may. */
static int report_modules(struct target_dwfl *t, bool keep_old)
{
	const struct procmaps *ms = &t->maps;
	char name[PATH_MAX + sizeof(" (deleted)")];
	int err = 0;

	/* begin_add keeps modules that are gone (dlclose, exit): stacks captured
	 * before still need their names. */
	if (keep_old)
		dwfl_report_begin_add(t->dwfl);
	else
		dwfl_report_begin(t->dwfl);
	for (size_t i = 0; i < ms->n;) {
		const struct map_entry *m = &ms->entries[i];
		uint64_t high = m->end, reach = m->end;
		size_t j = i + 1;

		if (is_vdso(m)) {
			/* The name dwfl_linux_proc_find_elf reads from memory. */
			snprintf(name, sizeof(name), "[vdso: %d]", (int)t->pid);
		} else if (!map_entry_is_file(m)) {
			i++;
			continue;
		} else {
			/* The name as the kernel prints it: cb_find_elf strips the suffix. */
			snprintf(name, sizeof(name), "%s%s", m->path, m->deleted ? " (deleted)" : "");
			for (; j < ms->n && ms->entries[j].start == reach; j++) {
				const struct map_entry *n = &ms->entries[j];
				if (map_entry_is_file(n) || is_vdso(n)) {
					if (!map_entry_is_file(n) || !same_file(m, n))
						break;
					high = n->end;
				}
				reach = n->end;
			}
		}
		Dwfl_Module *mod = dwfl_report_module(t->dwfl, name, m->start, high);
		void **ud;
		if (mod && dwfl_module_info(mod, &ud, NULL, NULL, NULL, NULL, NULL, NULL))
			*ud = t;
		if (!mod && !err)
			err = -ENOMEM;
		i = j;
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
	/* Fails only when no module's ELF can be opened to pick the unwinder. */
	if (!dwfl_attach_state(t->dwfl, NULL, pid, &thread_callbacks, t)) {
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
	dwarf_index__free(t->dwx);
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

bool target_dwfl__has_module(struct target_dwfl *t, uint64_t addr)
{
	return module_at(t, addr) != NULL;
}

/* ---------------------------------------------------------------- unwinding */

struct unwind_ctx {
	struct target_dwfl *t;
	uint64_t *pcs;
	size_t max;
	size_t n;
	bool first_is_return_address;
	bool outside; /* stopped at a pc no module covers */
	uint64_t outside_pc;
};

static int frame_cb(Dwfl_Frame *frame, void *arg)
{
	struct unwind_ctx *u = arg;
	Dwarf_Addr pc;
	bool isactivation;

	if (!dwfl_frame_pc(frame, &pc, &isactivation))
		return DWARF_CB_ABORT;
	/* A return address points after the call, possibly into the next function. */
	if (!isactivation || (u->n == 0 && u->first_is_return_address))
		pc--;
	/* JIT code has no module; its frames are named from the JIT map. */
	if (!module_at(u->t, pc) && !jitmap__lookup(u->t->jit, pc)) {
		u->outside = true;
		u->outside_pc = pc;
		return DWARF_CB_ABORT;
	}
	u->pcs[u->n++] = pc;
	return u->n < u->max ? DWARF_CB_OK : DWARF_CB_ABORT;
}

/* Worth re-reading the maps: the pc lies in no mapping the last snapshot knew (a
 * library loaded since); JIT code in a known anonymous mapping would not gain. */
static bool should_refresh(struct target_dwfl *t, uint64_t pc)
{
	if (procmaps_find(&t->maps, pc))
		return false;
	uint64_t now = clock_now_ns();
	if (t->last_refresh_ns && now - t->last_refresh_ns < MS_REFRESH_MIN_NS)
		return false;
	t->last_refresh_ns = now;
	return true;
}

size_t target_dwfl__unwind(struct target_dwfl *t, pid_t tid, const uint64_t *regs,
			   const void *stack, size_t len, bool first_is_return_address,
			   uint64_t *pcs, size_t max, bool *complete)
{
	return target_dwfl__unwind_ex(t, tid, regs, stack, len, NULL, first_is_return_address,
				      pcs, max, complete);
}

size_t target_dwfl__unwind_ex(struct target_dwfl *t, pid_t tid, const uint64_t *regs,
			      const void *stack, size_t len, const struct unwind_extras *x,
			      bool first_is_return_address, uint64_t *pcs, size_t max,
			      bool *complete)
{
	struct unwind_ctx u = {
	    .t = t,
	    .pcs = pcs,
	    .max = max,
	    .first_is_return_address = first_is_return_address,
	};
	int r;

	*complete = false;
	if (!max)
		return 0;
	t->cur = (struct cur_sample){
	    .regs = regs,
	    .stack = stack,
	    .sp = x && x->stack_start ? x->stack_start : regs[MS_REG_SP],
	    .len = stack ? len : 0,
	    .fix_slots = x ? x->fix_slots : NULL,
	    .fix_addrs = x ? x->fix_addrs : NULL,
	    .nr_fix = x ? x->nr_fix : 0,
	};
	r = dwfl_getthread_frames(t->dwfl, tid, frame_cb, &u);
	if (u.outside && should_refresh(t, u.outside_pc) && target_dwfl__refresh(t) == 0 &&
	    module_at(t, u.outside_pc)) {
		u.n = 0;
		u.outside = false;
		t->cur.read_failed = false;
		r = dwfl_getthread_frames(t->dwfl, tid, frame_cb, &u);
	}
	/* 0 when the CFI left the return address undefined (the outermost frame), but
	 * also when it could not be read: only a run without failed reads is complete.
	 * Our own aborts return DWARF_CB_ABORT, errors -1. */
	*complete = r == 0 && !t->cur.read_failed && !u.outside && u.n > 0;
	t->cur = (struct cur_sample){0};
	return u.n;
}

/* ---------------------------------------------------------------- symbolization */

typedef char *(*cxa_demangle_fn)(const char *, char *, size_t *, int *);

static pthread_once_t demangler_once = PTHREAD_ONCE_INIT;
static cxa_demangle_fn demangler_fn;

static void demangler_load(void)
{
	void *h = dlopen("libstdc++.so.6", RTLD_LAZY | RTLD_LOCAL);

	if (h)
		demangler_fn = (cxa_demangle_fn)dlsym(h, "__cxa_demangle");
}

/* libstdc++'s demangler, found at run time: memspy links no C++ runtime, and a
 * target with C++ names has libstdc++ installed. NULL when it is not. Loaded on
 * the first C++ name only, and shared by all sessions. */
static cxa_demangle_fn demangler(void)
{
	pthread_once(&demangler_once, demangler_load);
	return demangler_fn;
}

/* Names being assembled for one address, before they go into the cache. */
struct name_list {
	char *names[MS_MAX_INLINE_NAMES];
	size_t n;
};

static void name_list_release(struct name_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->names[i]);
	l->n = 0;
}

/* Append name (demangled when it is a C++ symbol) plus suffix; false on ENOMEM. */
static bool name_list_add(struct name_list *l, const char *name, const char *suffix)
{
	char *dem = NULL;
	char *s;

	if (l->n == MS_MAX_INLINE_NAMES)
		return true;
	if (name[0] == '_' && name[1] == 'Z') {
		cxa_demangle_fn fn = demangler();
		int status = -1;
		if (fn)
			dem = fn(name, NULL, NULL, &status);
		if (status != 0) {
			free(dem);
			dem = NULL;
		}
	}
	if (asprintf(&s, "%s%s", dem ? dem : name, suffix) < 0)
		s = NULL;
	free(dem);
	if (!s)
		return false;
	l->names[l->n++] = s;
	return true;
}

static const char *die_name(Dwarf_Die *die)
{
	Dwarf_Attribute attr;
	const char *name;

	/* Inlined instances carry no name: it lives on their abstract origin. */
	name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &attr));
	if (!name)
		name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attr));
	if (!name)
		name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &attr));
	return name;
}

/* libdw's answer, walking the CU's DIE tree: dwarf_getscopes for the innermost
 * scope, dwarf_getscopes_die for its parents (dwarf_getscopes goes on from an
 * inlined instance into its abstract definition, not to the callers it was
 * inlined into). The reference the index is checked against, and the fallback
 * for a CU the index refuses. */
static size_t scan_scopes(Dwarf_Die *cu, uint64_t pc, Dwarf_Die *chain, size_t max)
{
	Dwarf_Die *scopes = NULL;
	Dwarf_Die innermost;

	int n = dwarf_getscopes(cu, pc, &scopes);
	if (n <= 0) {
		free(scopes);
		return 0;
	}
	innermost = scopes[0];
	free(scopes);
	scopes = NULL;
	n = dwarf_getscopes_die(&innermost, &scopes);
	size_t k = 0;
	for (; n > 0 && k < (size_t)n && k < max; k++)
		chain[k] = scopes[k];
	free(scopes);
	return k;
}

/* The scopes holding pc (a DWARF address) in cu, innermost first, at most max:
 * from the session's per-CU index, else as libdw finds them per address. */
static size_t scope_chain(struct target_dwfl *t, Dwarf_Die *cu, uint64_t pc, Dwarf_Die *chain,
			  size_t max)
{
	if (!t->scan_scopes && !t->dwx)
		t->dwx = dwarf_index__new(MS_DWARF_INDEX_MAX_BYTES);
	if (!t->scan_scopes && t->dwx) {
		int n = dwarf_index__scopes(t->dwx, cu, pc, chain, max);
		if (n >= 0)
			return (size_t)n;
	}
	return scan_scopes(cu, pc, chain, max);
}

/* The DWARF view of addr: the name of the subprogram containing it (NULL when
 * unknown) and the inlined calls in between, innermost first, with their DIEs.
 * Either inl or dies may be NULL: names are looked up only for inl. */
static const char *dwarf_scopes(struct target_dwfl *t, Dwfl_Module *mod, uint64_t addr,
				const char **inl, Dwarf_Die *dies, size_t *ninl)
{
	Dwarf_Addr bias;
	Dwarf_Die scopes[MS_MAX_SCOPES];
	const char *sub = NULL;

	*ninl = 0;
	Dwarf_Die *cu = dwfl_module_addrdie(mod, addr, &bias);
	if (!cu)
		return NULL;
	size_t n = scope_chain(t, cu, addr - bias, scopes, MS_MAX_SCOPES);
	for (size_t i = 0; i < n; i++) {
		int tag = dwarf_tag(&scopes[i]);
		if (tag == DW_TAG_inlined_subroutine) {
			if (*ninl < MS_MAX_INLINE_NAMES - 1) {
				const char *name = inl ? die_name(&scopes[i]) : NULL;
				if (dies)
					dies[*ninl] = scopes[i];
				if (inl)
					inl[*ninl] = name ? name : "[unknown]";
				(*ninl)++;
			}
		} else if (tag == DW_TAG_subprogram) {
			sub = inl ? die_name(&scopes[i]) : NULL;
			break;
		}
	}
	return sub;
}

/* The module's load bias: pc - bias is the address as the module's file has it
 * (what addr2line -e takes). Its start when it has no ELF file. */
static uint64_t module_bias(Dwfl_Module *mod)
{
	Dwarf_Addr low = 0, bias;

	dwfl_module_info(mod, NULL, &low, NULL, NULL, NULL, NULL, NULL);
	if (!dwfl_module_getelf(mod, &bias))
		bias = low;
	return bias;
}

/* The module's name in "[module+0xoffset]": the file's basename. */
static const char *module_short_name(Dwfl_Module *mod)
{
	const char *modname = dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
	const char *base = modname ? strrchr(modname, '/') : NULL;

	base = base ? base + 1 : modname;
	if (!base || !*base)
		return "?";
	if (!strncmp(base, "[vdso", 5))
		return "vdso"; /* reported as "[vdso: <pid>]" */
	return base;
}

/* "[module+0xoffset]", offset as in the file. */
static void module_offset_name(Dwfl_Module *mod, uint64_t pc, char *buf, size_t size)
{
	snprintf(buf, size, "[%.200s+0x%llx]", module_short_name(mod),
		 (unsigned long long)(pc - module_bias(mod)));
}

static int cmp_msym(const void *a, const void *b)
{
	const struct msym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return y->rank - x->rank; /* the preferred alias first */
}

static struct modsyms *modsyms_get(struct target_dwfl *t, Dwfl_Module *mod)
{
	for (size_t i = 0; i < t->nmodsyms; i++)
		if (t->modsyms[i].mod == mod)
			return &t->modsyms[i];
	struct modsyms *nm = realloc(t->modsyms, (t->nmodsyms + 1) * sizeof(*nm));
	if (!nm)
		return NULL;
	t->modsyms = nm;
	struct modsyms *ms = &nm[t->nmodsyms++];
	*ms = (struct modsyms){.mod = mod};

	int n = dwfl_module_getsymtab(mod);
	if (n <= 0)
		return ms;
	ms->syms = malloc((size_t)n * sizeof(*ms->syms));
	if (!ms->syms)
		return ms;
	for (int i = 0; i < n; i++) {
		GElf_Sym sym;
		GElf_Addr addr;
		const char *name = dwfl_module_getsym_info(mod, i, &sym, &addr, NULL, NULL, NULL);
		int type = GELF_ST_TYPE(sym.st_info), bind = GELF_ST_BIND(sym.st_info);
		if (!name || !*name || sym.st_shndx == SHN_UNDEF ||
		    (type != STT_FUNC && type != STT_GNU_IFUNC))
			continue;
		ms->syms[ms->n++] = (struct msym){
		    .addr = addr,
		    .end = addr + sym.st_size,
		    .name = name,
		    .rank = bind == STB_GLOBAL ? 2 : bind == STB_WEAK ? 1 : 0,
		};
	}
	qsort(ms->syms, ms->n, sizeof(*ms->syms), cmp_msym);
	/* Drop the aliases after the preferred one; a sizeless symbol reaches the next. */
	size_t k = 0;
	for (size_t i = 0; i < ms->n; i++)
		if (!k || ms->syms[i].addr != ms->syms[k - 1].addr)
			ms->syms[k++] = ms->syms[i];
	ms->n = k;
	for (size_t i = 0; i < k; i++)
		if (ms->syms[i].end == ms->syms[i].addr)
			ms->syms[i].end = i + 1 < k ? ms->syms[i + 1].addr : ms->syms[i].addr + 1;
	return ms;
}

/* The function symbol holding pc, by binary search; NULL when none. A symbol
 * nested in a bigger one (rare: aliases of different sizes) is found when it
 * starts last. */
static const char *modsyms_lookup(struct target_dwfl *t, Dwfl_Module *mod, uint64_t pc)
{
	struct modsyms *ms = modsyms_get(t, mod);
	size_t lo = 0, hi = ms ? ms->n : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ms->syms[mid].addr <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* Look back a little for a bigger symbol covering pc past a smaller one. */
	for (size_t i = lo, back = 0; i-- > 0 && back < 4; back++)
		if (pc < ms->syms[i].end)
			return ms->syms[i].name;
	return NULL;
}

static bool symbolize_in_module(struct target_dwfl *t, Dwfl_Module *mod, uint64_t pc, struct name_list *l)
{
	const char *inl[MS_MAX_INLINE_NAMES];
	size_t ninl;
	char unversioned[512];

	const char *symname = modsyms_lookup(t, mod, pc);
	const char *sub = dwarf_scopes(t, mod, pc, inl, NULL, &ninl);
	const char *at = symname ? strchr(symname, '@') : NULL;

	/* .symtab keeps symbol versions ("__libc_start_main@@GLIBC_2.34"); a stack
	 * should not change name with the library version. */
	if (at && at != symname) {
		snprintf(unversioned, sizeof(unversioned), "%.*s", (int)(at - symname), symname);
		symname = unversioned;
	}
	const char *outer = symname && *symname ? symname : sub;

	if (outer) {
		if (!name_list_add(l, outer, ""))
			return false;
	} else {
		char buf[256];

		module_offset_name(mod, pc, buf, sizeof(buf));
		if (!name_list_add(l, buf, ""))
			return false;
	}
	for (size_t i = ninl; i-- > 0;)
		if (!name_list_add(l, inl[i], "_[i]"))
			return false;
	return true;
}

/* Source file of a DW_AT_call_file index in die's unit; NULL when unknown. */
static const char *call_file(Dwarf_Die *die, Dwarf_Word idx)
{
	Dwarf_Die cu;
	Dwarf_Files *files;
	size_t nfiles;

	if (!dwarf_diecu(die, &cu, NULL, NULL) || dwarf_getsrcfiles(&cu, &files, &nfiles) != 0 ||
	    idx >= nfiles)
		return NULL;
	return dwarf_filesrc(files, idx, NULL, NULL);
}

/* Source locations of the n levels of pc, outermost first as the names are: the
 * innermost level's from the line table, each outer level's from the call site
 * of the inlined call below it. File strings belong to libdw (valid while the
 * session lives). */
static void locate_in_module(struct target_dwfl *t, Dwfl_Module *mod, uint64_t pc,
			     struct frame_loc *locs, size_t n)
{
	Dwarf_Die dies[MS_MAX_INLINE_NAMES];
	size_t ninl = 0;
	int line = 0, col = 0;

	if (!n)
		return;
	Dwfl_Line *dl = dwfl_module_getsrc(mod, pc);
	const char *file = dl ? dwfl_lineinfo(dl, NULL, &line, &col, NULL, NULL) : NULL;
	locs[n - 1].file = file;
	locs[n - 1].line = file && line > 0 ? (uint32_t)line : 0;
	locs[n - 1].column = file && col > 0 ? (uint32_t)col : 0;
	dwarf_scopes(t, mod, pc, NULL, dies, &ninl);
	/* names: [outer, inl[ninl-1], ..., inl[0]]; level k's call site is on the
	 * inlined DIE of level k+1. */
	if (ninl + 1 != n)
		return; /* no inline levels, or a name list cut short */
	for (size_t k = 0; k + 1 < n; k++) {
		Dwarf_Die *callee = &dies[ninl - 1 - k];
		Dwarf_Attribute attr;
		Dwarf_Word fidx, cl = 0, cc = 0;

		if (dwarf_formudata(dwarf_attr(callee, DW_AT_call_file, &attr), &fidx) != 0)
			continue;
		locs[k].file = call_file(callee, fidx);
		if (!locs[k].file)
			continue;
		if (dwarf_formudata(dwarf_attr(callee, DW_AT_call_line, &attr), &cl) == 0 &&
		    cl <= UINT32_MAX)
			locs[k].line = (uint32_t)cl;
		if (dwarf_formudata(dwarf_attr(callee, DW_AT_call_column, &attr), &cc) == 0 &&
		    cc <= UINT32_MAX)
			locs[k].column = (uint32_t)cc;
	}
}

/* The cache entry of pc from the session's pc table; NULL when not there. */
static struct symcache_entry *pc_find(const struct target_dwfl *t, uint64_t pc)
{
	uint64_t h = hash_u64(pc);
	size_t pos;

	for (uint32_t i = hashtab__first(&t->pcs_by_pc, h, &pos); i != MS_HASHTAB_NONE;
	     i = hashtab__next(&t->pcs_by_pc, h, &pos))
		if (t->pcs[i].pc == pc)
			return t->pcs[i].e;
	return NULL;
}

/* Remember e as pc's entry, absent so far. 0 or -ENOMEM. */
static int pc_add(struct target_dwfl *t, uint64_t pc, struct symcache_entry *e)
{
	if (t->npcs >= MS_HASHTAB_NONE - 1)
		return -ENOMEM;
	if (t->npcs == t->pcs_cap) {
		struct pc_entry *np = realloc(t->pcs, t->pcs_cap * 2 * sizeof(*np));

		if (!np)
			return -ENOMEM;
		t->pcs = np;
		t->pcs_cap *= 2;
	}
	if (hashtab__insert(&t->pcs_by_pc, hash_u64(pc), (uint32_t)t->npcs))
		return -ENOMEM;
	t->pcs[t->npcs++] = (struct pc_entry){.pc = pc, .e = e};
	return 0;
}

/* One allocation: the pointer array, then the strings it points at. */
static const char **pack_names(const struct name_list *l)
{
	size_t bytes = l->n * sizeof(char *);

	for (size_t i = 0; i < l->n; i++)
		bytes += strlen(l->names[i]) + 1;
	const char **out = malloc(bytes);
	if (!out)
		return NULL;
	char *s = (char *)(out + l->n);
	for (size_t i = 0; i < l->n; i++) {
		size_t len = strlen(l->names[i]) + 1;
		memcpy(s, l->names[i], len);
		out[i] = s;
		s += len;
	}
	return out;
}

/* The symcache this session names through: the shared one, else its own, made on
 * the first lookup. NULL on ENOMEM. */
static struct symcache *cache_of(struct target_dwfl *t)
{
	if (!t->cache)
		t->cache = t->own_cache = symcache__new();
	return t->cache;
}

/* mod's key in cache, found on its first address; false on ENOMEM. Offsets are
 * taken from the load bias, not the module's start: an address as the file has it
 * is the same in every process that maps the file, however its mappings were
 * reported, and is what "[module+0xoffset]" names print. */
static bool module_id_get(struct target_dwfl *t, struct symcache *cache, Dwfl_Module *mod,
			  struct module_id *out)
{
	for (size_t i = 0; i < t->nmodids; i++) {
		if (t->modids[i].mod == mod) {
			*out = t->modids[i];
			return true;
		}
	}
	struct module_id *nm = realloc(t->modids, (t->nmodids + 1) * sizeof(*nm));
	if (!nm)
		return false;
	t->modids = nm;
	const unsigned char *bits = NULL;
	GElf_Addr vaddr;
	/* First: libdwfl reads the build-id from the ELF file module_bias opens. */
	uint64_t bias = module_bias(mod);
	int len = dwfl_module_build_id(mod, &bits, &vaddr);
	uint32_t id;
	if (symcache__module(cache, bits, len > 0 ? (size_t)len : 0, module_short_name(mod), &id))
		return false;
	*out = (struct module_id){.mod = mod, .id = id, .bias = bias};
	t->modids[t->nmodids++] = *out;
	return true;
}

/* Symbolize pc in mod and add it to cache as (id, offset); NULL on ENOMEM. */
static struct symcache_entry *symbolize_new(struct target_dwfl *t, struct symcache *cache,
					    Dwfl_Module *mod, uint64_t pc, uint32_t id,
					    uint64_t offset)
{
	struct name_list l = {.n = 0};
	bool ok = symbolize_in_module(t, mod, pc, &l);
	const char **packed = ok && l.n ? pack_names(&l) : NULL;
	size_t count = l.n;

	name_list_release(&l);
	return packed ? symcache__add(cache, id, offset, packed, count) : NULL;
}

static const char unknown_name[] = "[unknown]";

/* The cache entry of pc: through the session's pc table, else from the symcache
 * by module and offset (another process of the run may have named it), else
 * symbolized now. NULL for an address outside every module (with *outside set:
 * not cached, a JIT map may name it later) or when out of memory. */
static struct symcache_entry *sym_entry_get(struct target_dwfl *t, uint64_t pc, bool *outside)
{
	struct symcache_entry *e = pc_find(t, pc);
	struct module_id m;

	*outside = false;
	if (e)
		return e;
	Dwfl_Module *mod = module_at(t, pc);
	if (!mod) {
		*outside = true;
		return NULL;
	}
	struct symcache *cache = cache_of(t);
	if (!cache || !module_id_get(t, cache, mod, &m))
		return NULL;
	e = symcache__find(cache, m.id, pc - m.bias);
	if (!e)
		e = symbolize_new(t, cache, mod, pc, m.id, pc - m.bias);
	/* Without room in the pc table, the symcache finds it again next time. */
	if (e)
		pc_add(t, pc, e);
	return e;
}

/* Name of an address without a cache entry: outside every module a JIT symbol,
 * else (or out of memory) "[unknown]". */
static const char *uncached_name(struct target_dwfl *t, uint64_t pc, bool outside)
{
	const char *name = outside ? jitmap__lookup(t->jit, pc) : NULL;

	return name ? name : unknown_name;
}

size_t target_dwfl__symbolize(struct target_dwfl *t, uint64_t pc, const char **names, size_t max)
{
	if (!max)
		return 0;
	bool outside;
	struct symcache_entry *e = sym_entry_get(t, pc, &outside);
	if (!e) {
		names[0] = uncached_name(t, pc, outside);
		return 1;
	}
	size_t n = e->n < max ? e->n : max;
	memcpy(names, e->names, n * sizeof(*names));
	return n;
}

size_t target_dwfl__symbolize_loc(struct target_dwfl *t, uint64_t pc, struct frame_loc *out,
				  size_t max)
{
	if (!max)
		return 0;
	bool outside;
	struct symcache_entry *e = sym_entry_get(t, pc, &outside);
	if (!e) {
		out[0] = (struct frame_loc){.name = uncached_name(t, pc, outside)};
		return 1;
	}
	/* Located once per run: libdw's file strings are copied into the cache, as
	 * this session's Dwfl may go before another session reads them. */
	if (!e->locs) {
		/* e->n <= MS_MAX_INLINE_NAMES: every entry comes from a name_list. */
		struct frame_loc locs[MS_MAX_INLINE_NAMES];
		Dwfl_Module *mod = module_at(t, pc);
		for (size_t i = 0; i < e->n; i++)
			locs[i] = (struct frame_loc){.inlined = i > 0};
		if (mod)
			locate_in_module(t, mod, pc, locs, e->n);
		if (symcache__set_locs(t->cache, e, locs)) {
			out[0] = (struct frame_loc){.name = e->names[0]};
			return 1;
		}
	}
	size_t n = e->n < max ? e->n : max;
	memcpy(out, e->locs, n * sizeof(*out));
	return n;
}

void target_dwfl__share_symcache(struct target_dwfl *t, struct symcache *c)
{
	/* Entries of the previous cache stay where they are (own_cache is freed with
	 * the session) but are no longer found: ids and pcs restart in c. */
	t->cache = c;
	t->nmodids = 0;
	hashtab__clear(&t->pcs_by_pc);
	t->npcs = 0;
}

void target_dwfl__scan_scopes(struct target_dwfl *t, bool on)
{
	t->scan_scopes = on;
}
