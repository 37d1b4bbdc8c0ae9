/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reading the agent image memspy maps into targets, and filling its control block. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "base/sampling.h"
#include "target/agent_image.h"

#define HOOK_SYMBOL(id, suffix, sym, fn) [MS_HOOK_##id] = "ms_hook_" #suffix,
static const char *const hook_symbols[MS_HOOK_COUNT] = {MS_AGENT_HOOKS(HOOK_SYMBOL)};
#undef HOOK_SYMBOL

#ifndef MS_PKGLIBDIR
#define MS_PKGLIBDIR "/usr/local/lib/memspy"
#endif

static char *readable(char *path)
{
	if (path && access(path, R_OK) == 0)
		return path;
	free(path);
	return NULL;
}

char *agent_image_locate(void)
{
	const char *env = getenv("MEMSPY_AGENT");
	char exe[PATH_MAX], *dir, *p = NULL;
	ssize_t n;

	if (env && *env)
		return readable(strdup(env));
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		dir = strrchr(exe, '/');
		if (dir)
			*dir = '\0';
		/* memspy at the top of the build tree, a test program in tests/ */
		for (int up = 0; up < 2; up++) {
			if (asprintf(&p, "%s%s/src/agent/memspy-agent.so", exe, up ? "/.." : "") < 0)
				p = NULL;
			if ((p = readable(p)))
				return p;
		}
	}
	p = readable(strdup(MS_PKGLIBDIR "/memspy-agent.so"));
	if (!p)
		errno = ENOENT;
	return p;
}

/* Record sym if it names one of the entry points. */
static void take_symbol(struct agent_image *img, const char *name, uint64_t value)
{
	static const struct {
		const char *name;
		size_t off;
	} named[] = {
		{"ms_agent_ctl", offsetof(struct agent_image, ctl)},
		{"ms_agent_install", offsetof(struct agent_image, install)},
		{"ms_agent_remove", offsetof(struct agent_image, remove)},
		{"ms_trap_alloc", offsetof(struct agent_image, trap_alloc)},
		{"ms_trap_free", offsetof(struct agent_image, trap_free)},
	};

	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		if (!strcmp(name, named[i].name))
			*(uint64_t *)((char *)img + named[i].off) = value;
	if (strncmp(name, "ms_hook_", 8))
		return;
	for (int h = 0; h < MS_HOOK_COUNT; h++)
		if (!strcmp(name, hook_symbols[h]))
			img->hooks[h] = value;
}

static int read_symbols(Elf *elf, struct agent_image *img)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) ||
		    (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM) || !sh.sh_entsize ||
		    !(data = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *name;

			if (gelf_getsym(data, (int)i, &sym) && sym.st_shndx != SHN_UNDEF &&
			    (name = elf_strptr(elf, sh.sh_link, sym.st_name)))
				take_symbol(img, name, sym.st_value);
		}
	}
	return 0;
}

/* The layout agent.lds makes: one R+X PT_LOAD from offset 0, one RW PT_LOAD with
 * nothing from the file. */
static int read_layout(Elf *elf, struct agent_image *img)
{
	size_t nph;
	int loads = 0;

	if (elf_getphdrnum(elf, &nph))
		return -ENOEXEC;
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (loads == 0 && ph.p_offset == 0 && ph.p_vaddr == 0 && ph.p_flags == (PF_R | PF_X))
			img->text_size = ph.p_filesz;
		else if (loads == 1 && ph.p_filesz == 0 && ph.p_flags == (PF_R | PF_W)) {
			img->data_vaddr = ph.p_vaddr;
			img->data_size = ph.p_memsz;
		} else
			return -ENOEXEC;
		loads++;
	}
	if (loads != 2)
		return -ENOEXEC;
	img->span = (img->data_vaddr + img->data_size + 4095) & ~(uint64_t)4095;
	return 0;
}

static bool complete(const struct agent_image *img)
{
	if (!img->ctl || !img->install || !img->remove || !img->trap_alloc || !img->trap_free)
		return false;
	for (int h = 0; h < MS_HOOK_COUNT; h++)
		if (!img->hooks[h])
			return false;
	/* the block must lie in the zero-filled segment */
	return img->ctl >= img->data_vaddr &&
	       img->ctl + sizeof(struct ms_agent_ctl) <= img->data_vaddr + img->data_size;
}

int agent_image_open(const char *path, struct agent_image *out)
{
	int fd, err;
	Elf *elf;

	memset(out, 0, sizeof(*out));
	elf_version(EV_CURRENT);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	err = elf && elf_kind(elf) == ELF_K_ELF ? read_layout(elf, out) : -ENOEXEC;
	if (!err)
		err = read_symbols(elf, out);
	if (elf)
		elf_end(elf);
	close(fd);
	if (!err && !complete(out))
		err = -ENOEXEC;
	/* the traps are in the text segment, which starts at file offset 0 */
	out->trap_alloc_offset = out->trap_alloc;
	out->trap_free_offset = out->trap_free;
	if (!err && !(out->path = strdup(path)))
		err = -ENOMEM;
	if (err)
		agent_image_release(out);
	return err;
}

void agent_image_release(struct agent_image *img)
{
	if (!img)
		return;
	free(img->path);
	memset(img, 0, sizeof(*img));
}

size_t agent_image_fill_ctl(const struct agent_image *img, uint64_t base,
			    const struct alloc_slots *slots, uint64_t mean, uint64_t seed,
			    struct ms_agent_ctl *ctl)
{
	size_t left_out = 0;

	memset(ctl, 0, sizeof(*ctl));
	ctl->magic = MS_AGENT_MAGIC;
	ctl->abi = MS_AGENT_ABI;
	ctl->mean = mean;
	ctl->sample_all = mean <= 1;
	/* __u64 and uint64_t are one 64-bit type under two names */
	sampling_fill_countdowns((uint64_t *)ctl->countdowns, MS_COUNTDOWN_SLOTS, mean, seed);
	memcpy(ctl->orig, slots->orig, sizeof(ctl->orig));
	for (size_t i = 0; i < slots->n; i++) {
		const struct alloc_slot *s = &slots->slots[i];

		if (ctl->nr_slots == MS_AGENT_MAX_SLOTS) {
			left_out++;
			continue;
		}
		ctl->slots[ctl->nr_slots++] = (struct ms_agent_slot){
			.addr = s->addr,
			.hook = base + img->hooks[s->hook],
			.id = s->hook,
			.prot = s->prot,
		};
	}
	return left_out;
}

/* The parts of the control block the counters live in: enabled and the CPython
 * domains' record at its head, and the agent's state from installs to the end of
 * the thread records (not the settings between: 75 KiB each tick). */
#define HEAD_FROM offsetof(struct ms_agent_ctl, enabled)
#define HEAD_TO offsetof(struct ms_agent_ctl, orig)
#define STATE_FROM offsetof(struct ms_agent_ctl, installs)
#define STATE_TO offsetof(struct ms_agent_ctl, set)

static void add_counts(struct ms_agent_counts *sum, const struct ms_agent_counts *c)
{
	sum->alloc_calls += c->alloc_calls;
	sum->alloc_bytes += c->alloc_bytes;
	sum->free_calls += c->free_calls;
	sum->sampled += c->sampled;
	for (int k = 0; k < MS_SIZE_BUCKETS; k++)
		sum->size_buckets[k] += c->size_buckets[k];
}

int agent_image_read_counts(pid_t pid, uint64_t ctl, struct agent_counts *out)
{
	size_t len = HEAD_TO - HEAD_FROM + STATE_TO - STATE_FROM;
	/* a whole block, of which only the counters' parts are read */
	struct ms_agent_ctl *c = aligned_alloc(_Alignof(struct ms_agent_ctl), sizeof(*c));
	ssize_t got;

	if (!c)
		return -ENOMEM;
	struct iovec local[2] = {{(char *)c + HEAD_FROM, HEAD_TO - HEAD_FROM},
				 {(char *)c + STATE_FROM, STATE_TO - STATE_FROM}},
		     remote[2] = {{(void *)(uintptr_t)(ctl + HEAD_FROM), HEAD_TO - HEAD_FROM},
				  {(void *)(uintptr_t)(ctl + STATE_FROM), STATE_TO - STATE_FROM}};
	got = process_vm_readv(pid, local, 2, remote, 2, 0);
	if (got != (ssize_t)len) {
		int err = got < 0 ? -errno : -EIO;
		free(c);
		return err;
	}
	memset(out, 0, sizeof(*out));
	out->enabled = c->enabled;
	out->sampled_frees = c->sampled_frees;
	out->set_full = c->set_full;
	out->threads_full = c->threads_full;
	add_counts(&out->n, &c->overflow);
	add_counts(&out->n, &c->py.n);
	add_counts(&out->py, &c->py.n);
	for (int i = 0; i < MS_AGENT_THREADS; i++) {
		if (!c->threads[i].key)
			continue;
		out->threads++;
		add_counts(&out->n, &c->threads[i].n);
	}
	free(c);
	return 0;
}
