/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Decide which allocator a process really uses and list its entry points. */
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc_names.h"
#include "target/allocator.h"
#include "target/elfsyms.h"
#include "target/procroot.h"
#include "memspy/events.h"

static bool is_libc(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	return !strncmp(base, "libc.so", 7) || !strncmp(base, "libc-", 5);
}

/* The path to open a mapped module by: the map_files link of its mapping, which is
 * the very file the target mapped even when it was deleted, replaced, or lives in
 * another mount namespace or chroot (maps prints paths as seen from our root, so
 * prefixing /proc/<pid>/root would name a different file). Without map_files (unit
 * tests), the path itself. */
static char *open_path_of(const char *map_files, const struct map_entry *e)
{
	char *out;
	if (!map_files || !*map_files)
		return strdup(e->path);
	return asprintf(&out, "%s/%" PRIx64 "-%" PRIx64, map_files, e->start, e->end) < 0 ? NULL
												: out;
}

/* Registers an instruction may not write before the probe point: the stack
 * pointer (the uretprobe finds the return address at [rsp]) and the argument
 * registers the entry program reads. */
#define REG_BIT(r) (1u << (r))
enum { X86_RDX = 2, X86_RSP = 4, X86_RSI = 6, X86_RDI = 7 };

/* Length of a ModRM operand (ModRM, SIB, displacement) starting at b, or 0 for a
 * form this decoder does not know. */
static size_t modrm_len(const unsigned char *b)
{
	unsigned mod = b[0] >> 6, rm = b[0] & 7;

	if (mod == 3)
		return 1;
	size_t n = 1;
	if (rm == 4) { /* SIB */
		n++;
		if (mod == 0 && (b[1] & 7) == 5)
			return n + 4;
	}
	if (mod == 0)
		return rm == 5 ? n + 4 : n; /* rip+disp32, or [reg] */
	return mod == 1 ? n + 1 : n + 4;
}

/*
 * Decode one instruction of a function's straight-line start that changes
 * registers and flags only: no store, no stack, no control flow. Sets *len and
 * the registers it writes in *writes; returns false for anything else (including
 * the forms this small decoder does not know), which ends the scan.
 */
static bool pure_instruction(const unsigned char *b, size_t avail, size_t *len, unsigned *writes)
{
	size_t p = 0;
	unsigned rex = 0;

	*writes = 0;
	if (avail < 12)
		return false;
	if (b[0] == 0x64 && b[1] >= 0x48 && b[1] <= 0x4f && b[2] == 0x03 && b[3] == 0x04 &&
	    b[4] == 0x25) {
		/* add reg, %fs:disp32 (a thread-local load) */
		*writes = REG_BIT(((b[3] >> 3) & 7) | ((b[1] & 4) << 1));
		*len = 9;
		return true;
	}
	if (b[p] >= 0x40 && b[p] <= 0x4f)
		rex = b[p++];
	unsigned op = b[p++], reg = ((b[p] >> 3) & 7) | ((rex & 4) << 1),
		 rm = (b[p] & 7) | ((rex & 1) << 3), mod = b[p] >> 6;
	switch (op) {
	case 0x89: /* mov r/m, reg */
	case 0x01: /* add r/m, reg */
	case 0x31: /* xor r/m, reg */
	case 0x21: /* and r/m, reg */
		if (mod != 3)
			return false; /* a store */
		*writes = REG_BIT(rm);
		*len = p + 1;
		return true;
	case 0x85: /* test */
	case 0x39: /* cmp r/m, reg */
		if (mod != 3)
			return false;
		*len = p + 1;
		return true;
	case 0x8b: /* mov reg, r/m */
	case 0x03: /* add reg, r/m */
	case 0x33: /* xor reg, r/m */
	case 0x8d: /* lea */
	case 0x3b: /* cmp reg, r/m */
	{
		size_t m = modrm_len(b + p);
		if (!m)
			return false;
		*writes = op == 0x3b ? 0 : REG_BIT(reg);
		*len = p + m;
		return true;
	}
	case 0xc1: /* shl/shr/sar r/m, imm8 */
		if (mod != 3 || (reg & 7) < 4)
			return false;
		*writes = REG_BIT(rm);
		*len = p + 2;
		return true;
	case 0x81: /* add/and/cmp r/m, imm32 */
	case 0x83: /* ... imm8 */
		if (mod != 3 || ((reg & 7) != 0 && (reg & 7) != 4 && (reg & 7) != 7))
			return false;
		*writes = (reg & 7) == 7 ? 0 : REG_BIT(rm);
		*len = p + 1 + (op == 0x81 ? 4 : 1);
		return true;
	case 0x25: /* and eax, imm32 */
	case 0x3d: /* cmp eax, imm32 */
		*writes = op == 0x25 ? REG_BIT(0) : 0;
		*len = p + 4;
		return true;
	default:
		return false;
	}
}

/* An instruction the kernel emulates rather than single-steps: a conditional or
 * plain jump, or a push of a register. */
static bool emulated_instruction(const unsigned char *b)
{
	if ((b[0] >= 0x70 && b[0] <= 0x7f) || b[0] == 0xeb || b[0] == 0xe9)
		return true;
	if (b[0] == 0x0f && b[1] >= 0x80 && b[1] <= 0x8f)
		return true;
	if (b[0] >= 0x50 && b[0] <= 0x57)
		return true;
	return b[0] == 0x41 && b[1] >= 0x50 && b[1] <= 0x57;
}

/*
 * Where to put the entry probe of a function whose code starts at file offset off.
 * A probe on an instruction the kernel cannot emulate is single-stepped out of
 * line: two traps instead of one, measured here at about 12 us per hit against
 * 0.6 us. Allocators often open with a few register-only instructions (glibc's
 * free tests its argument, jemalloc's malloc compares the size, its free computes
 * a table index) before a jump or a push, which the kernel emulates. Every call
 * runs that straight-line start, and it touches neither the stack nor the
 * argument registers, so a probe on the first emulated instruction sees the same
 * call, arguments and return address at half the price. Anything the small
 * decoder does not know keeps the probe on the first instruction.
 * A release function that opens with "test %rdi,%rdi; je" (glibc's free) is
 * probed past the jump: free(NULL) is nothing to memspy, and glibc's own qsort
 * calls it for every sort. Returns the offset to probe.
 */
static uint64_t probe_offset(int fd, uint64_t off, unsigned fn)
{
	unsigned char b[96];
	unsigned keep = REG_BIT(X86_RSP) | REG_BIT(X86_RDI);
	size_t at = 0;

	if (pread(fd, b, sizeof(b), (off_t)off) != (ssize_t)sizeof(b))
		return off;
	if (fn == MS_FN_FREE && b[0] == 0x48 && b[1] == 0x85 && b[2] == 0xff) {
		if (b[3] == 0x74)
			return off + 3 + 2; /* je rel8 */
		if (b[3] == 0x0f && b[4] == 0x84)
			return off + 3 + 6; /* je rel32 */
	}
	if (fn != MS_FN_FREE)
		keep |= REG_BIT(X86_RSI) | REG_BIT(X86_RDX);
	for (int i = 0; i < 16 && at + 16 < sizeof(b); i++) {
		size_t len;
		unsigned writes;
		if (emulated_instruction(b + at))
			return off + at;
		if (!pure_instruction(b + at, sizeof(b) - at, &len, &writes) || (writes & keep))
			return off;
		at += len;
	}
	return off;
}

/* A release function whose whole body is a jump through the PLT hands the block to
 * another exported function (jemalloc's operator delete jumps to free): that one is
 * probed, so probing this too would count every release twice. */
static bool forwards_through_plt(int fd, struct elfsyms *s, uint64_t vaddr, uint64_t off)
{
	unsigned char b[5];
	int32_t rel;

	if (pread(fd, b, sizeof(b), (off_t)off) != (ssize_t)sizeof(b) || b[0] != 0xe9)
		return false;
	memcpy(&rel, b + 1, sizeof(rel));
	const char *sec = elfsyms__section_of(s, vaddr + 5 + (int64_t)rel);
	return !strncmp(sec, ".plt", 4);
}

/* List the entry points module defines, one per distinct address. */
static int collect_entries(const char *open_path, struct allocator *out)
{
	struct elfsyms *s = elfsyms__open(open_path);
	size_t max = 0;

	if (!s)
		return -errno;
	for (const struct alloc_name *a = alloc_names; a->name; a++)
		max += a->probed;
	out->entries = calloc(max, sizeof(*out->entries));
	if (!out->entries) {
		elfsyms__free(s);
		return -ENOMEM;
	}
	int fd = open(open_path, O_RDONLY | O_CLOEXEC);
	for (const struct alloc_name *a = alloc_names; a->name; a++) {
		uint64_t vaddr, off;
		if (!a->probed || elfsyms__find(s, a->name, &vaddr, &off))
			continue;
		bool dup = false;
		for (size_t i = 0; i < out->n; i++)
			dup |= out->entries[i].vaddr == vaddr;
		if (dup)
			continue; /* glibc aliases: aligned_alloc and memalign are one address */
		if (fd >= 0 && a->fn == MS_FN_FREE && forwards_through_plt(fd, s, vaddr, off))
			continue; /* jemalloc's operator delete is "jmp free@plt" */
		out->entries[out->n++] = (struct alloc_entry){
			.symbol = a->name,
			.fn = a->fn,
			.vaddr = vaddr,
			.file_offset = fd >= 0 ? probe_offset(fd, off, a->fn) : off,
		};
	}
	if (fd >= 0)
		close(fd);
	elfsyms__free(s);
	return 0;
}

/* Does the module define malloc (exported, or anywhere for the executable)? */
static bool defines_malloc(const char *open_path, bool exported_only)
{
	struct elfsyms *s = elfsyms__open(open_path);
	uint64_t v, o;
	bool yes;

	if (!s)
		return false;
	yes = exported_only ? elfsyms__exports(s, "malloc") : elfsyms__find(s, "malloc", &v, &o) == 0;
	elfsyms__free(s);
	return yes;
}

static bool preload_names(const char *preload, const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (!preload)
		return false;
	char *copy = strdup(preload), *save = NULL;
	bool hit = false;
	for (char *tok = strtok_r(copy, ": ", &save); tok && !hit; tok = strtok_r(NULL, ": ", &save)) {
		const char *tb = strrchr(tok, '/');
		hit = !strcmp(tok, path) || !strcmp(tb ? tb + 1 : tok, base);
	}
	free(copy);
	return hit;
}

/* A runtime's own heap, which no malloc probe sees (the executable's mapping at
 * offset 0 is the file to read). 0 or -ENOMEM. */
static int find_runtime(const struct procmaps *maps, const char *exe, const char *map_files,
			struct allocator *out)
{
	char *open_path = NULL;

	for (size_t i = 0; exe && !open_path && i < maps->n; i++) {
		const struct map_entry *e = &maps->entries[i];
		if (!map_entry_is_file(e) || e->offset != 0 || strcmp(e->path, exe))
			continue;
		open_path = open_path_of(map_files, e);
		if (!open_path)
			return -ENOMEM;
	}
	out->runtime = runtime_heap_find(maps, open_path);
	free(open_path);
	return 0;
}

int allocator_resolve(const struct procmaps *maps, const char *exe, const char *preload,
		      const char *map_files, struct allocator *out)
{
	/* Candidates in the dynamic linker's symbol search order, as far as maps show it. */
	enum { BY_EXE, BY_PRELOAD, BY_INTERPOSER, BY_LIBC, NR_RANKS };
	static const char *const why[NR_RANKS] = {
		"defined in the executable", "LD_PRELOAD", "shared library that interposes malloc",
		"the C library"};
	const struct map_entry *best[NR_RANKS] = {0};
	int err;

	memset(out, 0, sizeof(*out));
	err = find_runtime(maps, exe, map_files, out);
	if (err)
		return err;
	for (size_t i = 0; i < maps->n; i++) {
		const struct map_entry *e = &maps->entries[i];
		if (!map_entry_is_file(e) || e->offset != 0)
			continue;
		int rank;
		if (exe && !strcmp(e->path, exe))
			rank = BY_EXE;
		else if (preload_names(preload, e->path))
			rank = BY_PRELOAD;
		else if (is_libc(e->path))
			rank = BY_LIBC;
		else
			rank = BY_INTERPOSER;
		if (best[rank])
			continue;
		char *open_path = open_path_of(map_files, e);
		if (!open_path)
			return -ENOMEM;
		/* An executable's allocator need not be exported; libraries must export it
		 * to interpose. */
		if (defines_malloc(open_path, rank != BY_EXE))
			best[rank] = e;
		free(open_path);
	}
	for (int r = 0; r < NR_RANKS; r++) {
		if (!best[r])
			continue;
		out->module = strdup(best[r]->path);
		out->open_path = open_path_of(map_files, best[r]);
		out->why = why[r];
		if (!out->module || !out->open_path) {
			allocator_release(out);
			return -ENOMEM;
		}
		err = collect_entries(out->open_path, out);
		if (err)
			allocator_release(out);
		return err;
	}
	return -ENOENT;
}

/* LD_PRELOAD as the process started: /proc/<pid>/environ. */
static char *read_preload(pid_t pid)
{
	char path[64], buf[1 << 16];
	snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return NULL;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	for (size_t i = 0; i < n; i += strlen(buf + i) + 1)
		if (!strncmp(buf + i, "LD_PRELOAD=", 11))
			return strdup(buf + i + 11);
	return NULL;
}

int allocator_resolve_pid(pid_t pid, struct allocator *out)
{
	struct procmaps maps;
	char link[64], exe[PATH_MAX], map_files[64];
	ssize_t n;
	int err;

	err = procmaps_read(pid, &maps);
	if (err)
		return err;
	snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
	n = readlink(link, exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	procroot_strip_deleted(exe, exe, sizeof(exe));
	snprintf(map_files, sizeof(map_files), "/proc/%d/map_files", (int)pid);
	char *preload = read_preload(pid);
	err = allocator_resolve(&maps, exe[0] ? exe : NULL, preload, map_files, out);
	free(preload);
	procmaps_release(&maps);
	return err;
}

void allocator_release(struct allocator *a)
{
	if (!a)
		return;
	free(a->module);
	free(a->open_path);
	free(a->entries);
	memset(a, 0, sizeof(*a));
}
