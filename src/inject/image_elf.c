// SPDX-License-Identifier: GPL-2.0-or-later
/* Checks an injectable image file and reads its symbols (image_elf.h). */
#include "inject/image_elf.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAGE	     4096ull
#define PAGE_UP(x)   (((x) + PAGE - 1) & ~(PAGE - 1))
#define PAGE_DOWN(x) ((x) & ~(PAGE - 1))

static int bad(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -ENOEXEC;
}

static bool in_file(const struct image_elf *e, uint64_t off, uint64_t size)
{
	return off <= e->size && size <= e->size - off;
}

static void find_build_id(struct image_elf *e, const Elf64_Phdr *ph)
{
	uint64_t off = ph->p_offset, end = ph->p_offset + ph->p_filesz;

	while (off + sizeof(Elf64_Nhdr) <= end) {
		const Elf64_Nhdr *n = (const Elf64_Nhdr *)(e->bytes + off);
		uint64_t name = off + sizeof(*n), desc = name + ((n->n_namesz + 3) & ~3u);
		uint64_t next = desc + ((n->n_descsz + 3) & ~3u);

		if (next > end)
			return;
		if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 &&
		    !memcmp(e->bytes + name, "GNU", 4)) {
			e->build_id = e->bytes + desc;
			e->build_id_len = n->n_descsz;
			e->note_vaddr = ph->p_vaddr + (off - ph->p_offset);
			e->note_size = next - off;
			return;
		}
		off = next;
	}
}

/* Nothing the dynamic section asks of a loader may be needed. */
static int check_dynamic(const struct image_elf *e, const Elf64_Phdr *ph, char *why, size_t len)
{
	const Elf64_Dyn *d = (const Elf64_Dyn *)(e->bytes + ph->p_offset);
	size_t n = ph->p_filesz / sizeof(*d);

	for (size_t i = 0; i < n && d[i].d_tag != DT_NULL; i++) {
		switch (d[i].d_tag) {
		case DT_RELASZ:
		case DT_RELSZ:
		case DT_PLTRELSZ:
		case DT_RELRSZ:
			if (d[i].d_un.d_val)
				return bad(why, len, "has dynamic relocations");
			break;
		case DT_NEEDED:
		case DT_INIT:
		case DT_FINI:
		case DT_INIT_ARRAY:
		case DT_PREINIT_ARRAY:
		case DT_TEXTREL:
			return bad(why, len,
				   "asks a loader for libraries, initializers or text relocations");
		}
	}
	return 0;
}

static int check_loads(struct image_elf *e, const Elf64_Phdr *text, const Elf64_Phdr *rw, char *why,
		       size_t len)
{
	if (!text)
		return bad(why, len, "has no PT_LOAD");
	if (text->p_offset != 0 || text->p_vaddr != 0 || text->p_flags != (PF_R | PF_X))
		return bad(why, len, "first PT_LOAD is not R+X from file offset 0 at address 0");
	if (text->p_memsz != text->p_filesz || !in_file(e, 0, text->p_filesz))
		return bad(why, len, "first PT_LOAD is not wholly from the file");
	e->text_size = PAGE_UP(text->p_memsz);
	e->align = text->p_align > PAGE ? text->p_align : PAGE;
	e->span = e->text_size;
	if (!rw)
		return 0;
	if (rw->p_filesz != 0 || rw->p_flags != (PF_R | PF_W))
		return bad(why, len, "second PT_LOAD is not RW with nothing from the file");
	e->rw_start = PAGE_DOWN(rw->p_vaddr);
	e->rw_size = PAGE_UP(rw->p_vaddr + rw->p_memsz) - e->rw_start;
	if (e->rw_start < e->text_size)
		return bad(why, len, "RW PT_LOAD shares a page with the R+X one");
	e->span = e->rw_start + e->rw_size;
	return 0;
}

int image_elf_parse(uint8_t *bytes, size_t size, struct image_elf *e, char *why, size_t len)
{
	const Elf64_Ehdr *h = (const Elf64_Ehdr *)bytes;
	const Elf64_Phdr *ph, *text = NULL, *rw = NULL;
	int err = 0;

	*e = (struct image_elf){.bytes = bytes, .size = size};
	if (size < sizeof(*h) || memcmp(h->e_ident, ELFMAG, SELFMAG) ||
	    h->e_ident[EI_CLASS] != ELFCLASS64 || h->e_ident[EI_DATA] != ELFDATA2LSB ||
	    h->e_machine != EM_X86_64 || h->e_type != ET_DYN)
		return bad(why, len, "not an ELF64 x86-64 shared object");
	if (h->e_phentsize != sizeof(*ph) ||
	    !in_file(e, h->e_phoff, (uint64_t)h->e_phnum * sizeof(*ph)))
		return bad(why, len, "program headers out of the file");
	ph = (const Elf64_Phdr *)(bytes + h->e_phoff);
	for (unsigned i = 0; i < h->e_phnum && !err; i++) {
		const Elf64_Phdr *p = &ph[i];

		if (p->p_type != PT_LOAD && p->p_type != PT_TLS && p->p_type != PT_INTERP &&
		    !in_file(e, p->p_offset, p->p_filesz))
			err = bad(why, len, "segment out of the file");
		else if (p->p_type == PT_LOAD && rw)
			err = bad(why, len, "more than two PT_LOAD segments");
		else if (p->p_type == PT_LOAD)
			*(text ? &rw : &text) = p;
		else if (p->p_type == PT_TLS || p->p_type == PT_INTERP)
			err = bad(why, len, "has thread-local storage or an interpreter");
		else if (p->p_type == PT_DYNAMIC)
			err = check_dynamic(e, p, why, len);
		else if (p->p_type == PT_NOTE && !e->build_id)
			find_build_id(e, p);
	}
	return err ? err : check_loads(e, text, rw, why, len);
}

int image_elf_load(const char *path, struct image_elf *e, char *why, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	uint8_t *buf = NULL;
	ssize_t got = -1;
	int err;

	if (fd < 0 || fstat(fd, &st)) {
		err = -errno;
		snprintf(why, len, "cannot open %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return err;
	}
	if (st.st_size > 0 && (buf = malloc((size_t)st.st_size)))
		got = pread(fd, buf, (size_t)st.st_size, 0);
	close(fd);
	if (got != st.st_size) {
		free(buf);
		snprintf(why, len, "cannot read %s", path);
		return -EIO;
	}
	err = image_elf_parse(buf, (size_t)st.st_size, e, why, len);
	if (err)
		free(buf);
	return err;
}

static uint64_t lookup(const struct image_elf *e, unsigned type, const char *name)
{
	const Elf64_Ehdr *h = (const Elf64_Ehdr *)e->bytes;
	const Elf64_Shdr *sh = (const Elf64_Shdr *)(e->bytes + h->e_shoff);

	if (h->e_shentsize != sizeof(*sh) ||
	    !in_file(e, h->e_shoff, (uint64_t)h->e_shnum * sizeof(*sh)))
		return 0;
	for (unsigned i = 0; i < h->e_shnum; i++) {
		const Elf64_Shdr *s = &sh[i], *str;

		if (s->sh_type != type || s->sh_link >= h->e_shnum ||
		    !in_file(e, s->sh_offset, s->sh_size))
			continue;
		str = &sh[s->sh_link];
		if (!in_file(e, str->sh_offset, str->sh_size))
			continue;
		for (uint64_t k = 0; k < s->sh_size / sizeof(Elf64_Sym); k++) {
			const Elf64_Sym *sym = (const Elf64_Sym *)(e->bytes + s->sh_offset) + k;

			if (sym->st_shndx == SHN_UNDEF || sym->st_name >= str->sh_size)
				continue;
			if (!strncmp((const char *)e->bytes + str->sh_offset + sym->st_name, name,
				     str->sh_size - sym->st_name))
				return sym->st_value;
		}
	}
	return 0;
}

uint64_t image_elf_symbol(const struct image_elf *e, const char *name)
{
	uint64_t v = lookup(e, SHT_SYMTAB, name);

	return v ? v : lookup(e, SHT_DYNSYM, name);
}

void image_elf_release(struct image_elf *e)
{
	if (e) {
		free(e->bytes);
		e->bytes = NULL;
	}
}
