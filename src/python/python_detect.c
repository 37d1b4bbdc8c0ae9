/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Find the CPython interpreter in a process: version, _PyRuntime, the evaluator's
 * address ranges, and the structure offsets of the versions memspy can read. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "target/procmaps.h"
#include "target/procroot.h"
#include "python/python_detect.h"

void python_version_str(uint32_t v, char *buf, size_t size)
{
	snprintf(buf, size, "%u.%u.%u", v >> 24, (v >> 16) & 0xff, (v >> 8) & 0xff);
}

static size_t fde_index(const uint64_t *starts, size_t n, uint64_t a)
{
	size_t lo = 0, hi = n; /* first start > a */

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (starts[mid] <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo - 1; /* caller checks a >= starts[0] */
}

int python_find_cold(const uint8_t *code, size_t len, uint64_t addr, const uint64_t *starts,
		     size_t n, uint64_t text_end, uint64_t *start, uint64_t *end)
{
	uint32_t *votes;
	size_t best = SIZE_MAX;

	if (!n || !len)
		return -ENOENT;
	votes = calloc(n, sizeof(*votes));
	if (!votes)
		return -ENOMEM;
	/* No decoder: every byte that could start a jmp rel32 (e9) or jcc rel32
	 * (0f 8x) votes for the function its target falls in. Real jumps into the
	 * cold part number in the hundreds; stray bytes scatter over the text. */
	for (size_t i = 0; i + 5 <= len; i++) {
		size_t ilen;
		int32_t rel;

		if (code[i] == 0xe9)
			ilen = 5;
		else if (code[i] == 0x0f && i + 6 <= len && (code[i + 1] & 0xf0) == 0x80)
			ilen = 6;
		else
			continue;
		memcpy(&rel, code + i + ilen - 4, 4);
		uint64_t t = addr + i + ilen + (int64_t)rel;
		if ((t >= addr && t < addr + len) || t < starts[0] || t >= text_end)
			continue;
		votes[fde_index(starts, n, t)]++;
	}
	for (size_t i = 0; i < n; i++)
		if (starts[i] != addr && votes[i] >= 8 && (best == SIZE_MAX || votes[i] > votes[best]))
			best = i;
	free(votes);
	if (best == SIZE_MAX)
		return -ENOENT;
	*start = starts[best];
	*end = best + 1 < n ? starts[best + 1] : text_end;
	if (*end > text_end)
		*end = text_end;
	return 0;
}

struct elf_file {
	int fd;
	Elf *elf;
	GElf_Ehdr eh;
};

static bool find_sym(struct elf_file *f, const char *name, GElf_Sym *out)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(f->elf, scn))) {
		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_DYNSYM && sh.sh_type != SHT_SYMTAB))
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		size_t n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
		for (size_t i = 0; d && i < n; i++) {
			GElf_Sym s;
			const char *nm;
			if (!gelf_getsym(d, (int)i, &s) || s.st_shndx == SHN_UNDEF)
				continue;
			nm = elf_strptr(f->elf, sh.sh_link, s.st_name);
			if (nm && !strcmp(nm, name)) {
				*out = s;
				return true;
			}
		}
	}
	return false;
}

static Elf_Scn *find_section(struct elf_file *f, const char *name, GElf_Shdr *sh)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (elf_getshdrstrndx(f->elf, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(f->elf, scn))) {
		const char *nm;
		if (!gelf_getshdr(scn, sh))
			continue;
		nm = elf_strptr(f->elf, shstrndx, sh->sh_name);
		if (nm && !strcmp(nm, name))
			return scn;
	}
	return NULL;
}

/* Read size bytes at link-time address vaddr from the file. */
static int read_vaddr(struct elf_file *f, uint64_t vaddr, void *buf, size_t size)
{
	size_t n;

	if (elf_getphdrnum(f->elf, &n))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(f->elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (vaddr >= ph.p_vaddr && vaddr + size <= ph.p_vaddr + ph.p_filesz) {
			ssize_t r = pread(f->fd, buf, size, (off_t)(ph.p_offset + vaddr - ph.p_vaddr));
			return r == (ssize_t)size ? 0 : -EIO;
		}
	}
	return -ENOENT;
}

/* The sorted function starts of .eh_frame_hdr's search table (the encodings GCC
 * and binutils emit: udata4 count, datarel sdata4 table). */
static uint64_t *fde_starts(struct elf_file *f, size_t *n)
{
	GElf_Shdr sh;
	Elf_Scn *scn = find_section(f, ".eh_frame_hdr", &sh);
	Elf_Data *d = scn ? elf_getdata(scn, NULL) : NULL;
	const uint8_t *p;
	uint32_t count;
	uint64_t *out;

	if (!d || d->d_size < 12)
		return NULL;
	p = d->d_buf;
	if (p[0] != 1 || (p[1] & 0x0f) != 0x0b || (p[2] & 0x0f) != 0x03 || p[3] != 0x3b)
		return NULL;
	memcpy(&count, p + 8, 4);
	if (12 + (size_t)count * 8 > d->d_size || !count)
		return NULL;
	out = malloc(count * sizeof(*out));
	if (!out)
		return NULL;
	for (uint32_t i = 0; i < count; i++) {
		int32_t rel;
		memcpy(&rel, p + 12 + (size_t)i * 8, 4);
		out[i] = sh.sh_addr + (int64_t)rel;
	}
	*n = count;
	return out;
}

static void find_eval(struct elf_file *f, uint64_t bias, struct python_info *info)
{
	GElf_Sym s;
	GElf_Shdr sh;
	size_t n = 0;
	uint64_t *starts, cs, ce;
	uint8_t *code;

	if (!find_sym(f, "_PyEval_EvalFrameDefault", &s) || !s.st_size)
		return;
	info->eval_start = s.st_value + bias;
	info->eval_end = s.st_value + s.st_size + bias;
	if (!find_section(f, ".text", &sh) || !(starts = fde_starts(f, &n)))
		return;
	code = malloc(s.st_size);
	if (code && !read_vaddr(f, s.st_value, code, s.st_size) &&
	    !python_find_cold(code, s.st_size, s.st_value, starts, n, sh.sh_addr + sh.sh_size, &cs,
			      &ce)) {
		info->cold_start = cs + bias;
		info->cold_end = ce + bias;
	}
	free(code);
	free(starts);
}

/* The load bias of a module: where its first mapping (file offset 0) sits, minus
 * the link-time address of its first PT_LOAD. */
static uint64_t load_bias(struct elf_file *f, const struct procmaps *m, const char *path)
{
	size_t n;

	if (f->eh.e_type != ET_DYN || elf_getphdrnum(f->elf, &n))
		return 0;
	for (size_t i = 0; i < m->n; i++) {
		const struct map_entry *e = &m->entries[i];
		if (e->offset || strcmp(e->path, path))
			continue;
		for (size_t j = 0; j < n; j++) {
			GElf_Phdr ph;
			if (gelf_getphdr(f->elf, (int)j, &ph) && ph.p_type == PT_LOAD)
				return e->start - (ph.p_vaddr & ~(uint64_t)0xfff);
		}
	}
	return 0;
}

/* Read size bytes at addr of pid, never writing to it. */
static int read_target(pid_t pid, uint64_t addr, void *buf, size_t size)
{
	char path[64];
	ssize_t r;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = pread(fd, buf, size, (off_t)addr);
	close(fd);
	return r == (ssize_t)size ? 0 : -EIO;
}

/* The offsets for info->version at info->off.runtime: 3.13 publishes them at the
 * start of _PyRuntime, read from the running target (the same bytes as the file's,
 * but the process is what memspy will read frames of). runtime_size: the
 * _PyRuntime symbol's size. Returns 0 or python_layout_for's error; -EIO when the
 * target's memory cannot be read. */
static int layout_of(pid_t pid, uint64_t runtime_size, struct python_info *info)
{
	size_t len = python_layout_debug_size(info->version);
	uint64_t runtime = info->off.runtime;
	uint8_t debug[1024];
	int err;

	if (!info->version)
		return -ENOTSUP;
	if (len > sizeof(debug))
		return -ENOTSUP;
	if (len && read_target(pid, runtime, debug, len))
		return -EIO;
	err = python_layout_for(info->version, len ? debug : NULL, len, runtime_size, &info->off,
				&info->code);
	info->off.runtime = runtime; /* python_layout_for leaves it out */
	return err;
}

static bool looks_like_python(const char *path)
{
	const char *b = strrchr(path, '/');

	b = b ? b + 1 : path;
	return !strncmp(b, "python", 6) || !strncmp(b, "libpython", 9);
}

int python_detect(pid_t pid, struct python_info *info)
{
	struct procmaps m = {0};
	int err = procmaps_read(pid, &m);

	memset(info, 0, sizeof(*info));
	if (err)
		return err;
	elf_version(EV_CURRENT);
	err = -ENOENT;
	for (size_t i = 0; i < m.n && err == -ENOENT; i++) {
		const struct map_entry *e = &m.entries[i];
		struct elf_file f = {.fd = -1};
		GElf_Sym rt, ver, ga;

		if (!map_entry_is_file(e) || e->offset || !looks_like_python(e->path))
			continue;
		if (i > 0 && !strcmp(m.entries[i - 1].path, e->path))
			continue;
		/* the very file mapped, else its path in the target's root: it may
		 * live in another mount namespace */
		f.fd = procroot_open_mapping(pid, e->start, e->end);
		if (f.fd < 0)
			f.fd = procroot_open(pid, e->path);
		if (f.fd < 0)
			continue;
		f.elf = elf_begin(f.fd, ELF_C_READ, NULL);
		if (f.elf && gelf_getehdr(f.elf, &f.eh) && find_sym(&f, "_PyRuntime", &rt)) {
			uint64_t bias = load_bias(&f, &m, e->path);
			uint32_t v = 0;

			snprintf(info->module, sizeof(info->module), "%s", e->path);
			if (find_sym(&f, "Py_Version", &ver) && !read_vaddr(&f, ver.st_value, &v, 4))
				info->version = v;
			info->off.runtime = rt.st_value + bias;
			info->why = layout_of(pid, rt.st_size, info);
			/* with frames off too: the evaluator's frames are named as one */
			find_eval(&f, bias, info);
			if (find_sym(&f, "PyMem_GetAllocator", &ga))
				info->get_allocator = ga.st_value + bias;
			/* without the evaluator's range nothing can be merged */
			if (!info->why && !info->eval_start)
				info->why = -ENOENT;
			info->supported = !info->why;
			if (!info->supported)
				info->off.runtime = 0;
			err = 0;
		}
		if (f.elf)
			elf_end(f.elf);
		close(f.fd);
	}
	procmaps_release(&m);
	return err;
}
