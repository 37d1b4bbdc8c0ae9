/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Find the pointer slots through which a process calls its allocator. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "base/log.h"
#include "target/alloc_slots.h"
#include "target/elfload.h"
#include "target/elfsyms.h"

#define SLOT_NAME(id, suffix, sym, fn) [MS_HOOK_##id] = sym,
const char *const alloc_slot_names[MS_HOOK_COUNT] = {MS_AGENT_HOOKS(SLOT_NAME)};
#undef SLOT_NAME

/* What one search needs besides its output. */
struct slot_search {
	pid_t pid;
	uint64_t skip_start, skip_end;
	const struct procmaps *maps;
	struct alloc_slots *out;
	size_t cap;
};

static int hook_of(const char *name)
{
	for (int i = 0; i < MS_HOOK_COUNT; i++)
		if (!strcmp(alloc_slot_names[i], name))
			return i;
	return -1;
}

static uint32_t prot_of(const struct map_entry *e)
{
	if (!e)
		return 0;
	return (e->perms[0] == 'r' ? PROT_READ : 0) | (e->perms[1] == 'w' ? PROT_WRITE : 0) |
	       (e->perms[2] == 'x' ? PROT_EXEC : 0);
}

static char *map_file_path(pid_t pid, const struct map_entry *e)
{
	char *p;

	return asprintf(&p, "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, (int)pid, e->start,
			e->end) < 0
		       ? NULL
		       : p;
}

/* The load bias of the module whose offset-0 mapping is e. 0 or -errno. */
static int module_bias(pid_t pid, const struct map_entry *e, uint64_t *bias)
{
	char *path = map_file_path(pid, e);
	struct elf_loads l = {0};
	int fd, err;

	if (!path)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return -errno;
	err = elf_loads_read(fd, &l);
	close(fd);
	if (!err)
		err = elf_loads_bias(&l, e->start, e->offset, bias);
	elf_loads_release(&l);
	return err;
}

/* Where the function at vaddr (file offset off) reaches another entry point through
 * its PLT, which is hooked already: a body that is "jmp x@plt" (jemalloc's
 * operator delete jumps to free), or, with calls set, a call to x@plt in its first
 * bytes (jemalloc's aligned operator new calls aligned_alloc@plt). Hooking it too
 * would count the call twice (the throwing new's hook leaves no frame to mark the
 * call under way). */
static bool reaches_plt(int fd, struct elfsyms *s, uint64_t vaddr, uint64_t off, bool calls)
{
	unsigned char b[64];

	if (pread(fd, b, sizeof(b), (off_t)off) != (ssize_t)sizeof(b))
		return false;
	for (size_t i = 0; i + 5 <= sizeof(b); i++) {
		int32_t rel;

		if (!(i == 0 && b[i] == 0xe9) && !(calls && b[i] == 0xe8))
			continue;
		memcpy(&rel, b + i + 1, sizeof(rel));
		if (!strncmp(elfsyms__section_of(s, vaddr + i + 5 + (int64_t)rel), ".plt", 4))
			return true;
	}
	return false;
}

static bool is_throwing_new(int hook)
{
	return hook == MS_HOOK_NEW || hook == MS_HOOK_NEW_ARRAY || hook == MS_HOOK_NEW_ALIGNED ||
	       hook == MS_HOOK_NEW_ARRAY_ALIGNED;
}

/* The originals: the allocator's definition of each hooked name (aliases share
 * an address), but for functions that only pass the call on through the PLT. */
static int find_originals(pid_t pid, const struct procmaps *maps, const struct allocator *a,
			  uint64_t *orig)
{
	const struct map_entry *e = NULL;
	uint64_t bias;
	int err;

	for (size_t i = 0; i < maps->n && !e; i++)
		if (map_entry_is_file(&maps->entries[i]) && maps->entries[i].offset == 0 &&
		    !strcmp(maps->entries[i].path, a->module))
			e = &maps->entries[i];
	if (!e)
		return -ENOENT;
	err = module_bias(pid, e, &bias);
	if (err)
		return err;
	struct elfsyms *s = elfsyms__open(a->open_path);
	if (!s)
		return -errno;
	int fd = open(a->open_path, O_RDONLY | O_CLOEXEC);
	for (int h = 0; h < MS_HOOK_COUNT; h++) {
		uint64_t vaddr, off;

		if (elfsyms__find(s, alloc_slot_names[h], &vaddr, &off))
			continue;
		if (fd < 0 || !reaches_plt(fd, s, vaddr, off, is_throwing_new(h)))
			orig[h] = bias + vaddr;
	}
	if (fd >= 0)
		close(fd);
	elfsyms__free(s);
	return 0;
}

static uint64_t read_word(pid_t pid, uint64_t addr, bool *ok)
{
	uint64_t v = 0;
	struct iovec local = {&v, sizeof(v)}, remote = {(void *)(uintptr_t)addr, sizeof(v)};

	*ok = process_vm_readv(pid, &local, 1, &remote, 1, 0) == (ssize_t)sizeof(v);
	return v;
}

static int add_slot(struct slot_search *ss, const struct alloc_slot *slot)
{
	struct alloc_slots *out = ss->out;

	if (out->n == ss->cap) {
		size_t cap = ss->cap ? 2 * ss->cap : 64;
		struct alloc_slot *n = realloc(out->slots, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		out->slots = n;
		ss->cap = cap;
	}
	out->slots[out->n++] = *slot;
	return 0;
}

/* One relocation: a slot when it names a hooked entry and holds its original (or
 * this module's own unbound PLT stub). */
static int consider(struct slot_search *ss, struct alloc_slot_module *m, uint32_t midx,
		    const GElf_Rela *r, const char *name)
{
	unsigned type = GELF_R_TYPE(r->r_info);
	int h;
	bool ok;

	if (type != R_X86_64_JUMP_SLOT && type != R_X86_64_GLOB_DAT && type != R_X86_64_64)
		return 0;
	if (r->r_addend != 0 || (h = hook_of(name)) < 0 || !ss->out->orig[h])
		return 0;
	uint64_t addr = m->bias + r->r_offset;
	if (addr & 7)
		return 0;
	uint64_t v = read_word(ss->pid, addr, &ok);
	const struct map_entry *at = procmaps_find(ss->maps, v);
	bool lazy = type == R_X86_64_JUMP_SLOT && at && !strcmp(at->path, m->path);
	if (!ok || (v != ss->out->orig[h] && !lazy)) {
		m->nr_foreign++;
		m->nr_in_skip += ok && v >= ss->skip_start && v < ss->skip_end;
		return 0;
	}
	m->nr_slots++;
	return add_slot(ss, &(struct alloc_slot){
				    .addr = addr,
				    .value = v,
				    .hook = (uint32_t)h,
				    .prot = prot_of(procmaps_find(ss->maps, addr)),
				    .rtype = type,
				    .module = midx,
			    });
}

/* The relocation sections against .dynsym (.rela.dyn, .rela.plt) of one module. */
static int scan_module(struct slot_search *ss, uint32_t midx, const char *open_path)
{
	struct alloc_slot_module *m = &ss->out->modules[midx];
	int fd = open(open_path, O_RDONLY | O_CLOEXEC), err = 0;
	Elf *elf;

	if (fd < 0)
		return -errno;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		if (elf)
			elf_end(elf);
		close(fd);
		return -ENOEXEC;
	}
	Elf_Scn *scn = NULL;
	while (!err && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh, symsh;
		Elf_Scn *symscn;
		Elf_Data *data, *syms;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_RELA || !sh.sh_entsize)
			continue;
		symscn = elf_getscn(elf, sh.sh_link);
		if (!symscn || !gelf_getshdr(symscn, &symsh) || symsh.sh_type != SHT_DYNSYM)
			continue;
		if (!(data = elf_getdata(scn, NULL)) || !(syms = elf_getdata(symscn, NULL)))
			continue;
		for (size_t i = 0; !err && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Rela r;
			GElf_Sym sym;
			const char *name;

			if (!gelf_getrela(data, (int)i, &r) || !GELF_R_SYM(r.r_info) ||
			    !gelf_getsym(syms, (int)GELF_R_SYM(r.r_info), &sym) ||
			    !(name = elf_strptr(elf, symsh.sh_link, sym.st_name)))
				continue;
			err = consider(ss, m, midx, &r, name);
		}
	}
	elf_end(elf);
	close(fd);
	return err;
}

static int by_hook(const void *a, const void *b)
{
	const struct alloc_slot *x = a, *y = b;

	if (x->hook != y->hook)
		return x->hook < y->hook ? -1 : 1;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int scan_modules(struct slot_search *ss, uint64_t skip_start, uint64_t skip_end)
{
	const struct procmaps *maps = ss->maps;
	struct alloc_slots *out = ss->out;

	out->modules = calloc(maps->n ? maps->n : 1, sizeof(*out->modules));
	if (!out->modules)
		return -ENOMEM;
	for (size_t i = 0; i < maps->n; i++) {
		const struct map_entry *e = &maps->entries[i];
		struct alloc_slot_module *m = &out->modules[out->nr_modules];

		if (!map_entry_is_file(e) || e->offset != 0 ||
		    (e->start < skip_end && e->end > skip_start))
			continue;
		char *open_path = map_file_path(ss->pid, e);
		m->path = strdup(e->path);
		if (!open_path || !m->path) {
			free(open_path);
			return -ENOMEM;
		}
		int err = module_bias(ss->pid, e, &m->bias);
		if (!err)
			err = scan_module(ss, (uint32_t)out->nr_modules, open_path);
		free(open_path);
		if (err == -ENOMEM)
			return err;
		if (err && err != -ENOEXEC && err != -ENOENT)
			ms_info("alloc slots: cannot read %s: %s", e->path, strerror(-err));
		out->nr_modules++;
	}
	return 0;
}

int alloc_slots_find(pid_t pid, const struct allocator *a, uint64_t skip_start,
		     uint64_t skip_end, struct alloc_slots *out)
{
	struct procmaps maps;
	struct slot_search ss = {
		.pid = pid, .skip_start = skip_start, .skip_end = skip_end, .maps = &maps, .out = out};
	int err;

	memset(out, 0, sizeof(*out));
	elf_version(EV_CURRENT);
	err = procmaps_read(pid, &maps);
	if (err)
		return err;
	err = find_originals(pid, &maps, a, out->orig);
	if (!err)
		err = scan_modules(&ss, skip_start, skip_end);
	procmaps_release(&maps);
	if (err) {
		alloc_slots_release(out);
		return err;
	}
	qsort(out->slots, out->n, sizeof(*out->slots), by_hook);
	return 0;
}

void alloc_slots_release(struct alloc_slots *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nr_modules; i++)
		free(s->modules[i].path);
	free(s->modules);
	free(s->slots);
	memset(s, 0, sizeof(*s));
}

int alloc_slots_add(struct alloc_slots *s, const struct alloc_slot *add, const uint64_t *orig,
		    size_t n)
{
	struct alloc_slot *sl = realloc(s->slots, (s->n + n + 1) * sizeof(*sl));

	if (!sl)
		return -ENOMEM;
	s->slots = sl;
	for (size_t i = 0; i < n; i++) {
		size_t at = s->n;
		/* after every slot of a hook that comes before it or is the same */
		while (at > 0 && sl[at - 1].hook > add[i].hook)
			at--;
		memmove(sl + at + 1, sl + at, (s->n - at) * sizeof(*sl));
		sl[at] = add[i];
		s->n++;
		s->orig[add[i].hook] = orig[i];
	}
	return 0;
}
