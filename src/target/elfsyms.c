/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Find defined symbols in an ELF file: functions (and their file offsets), data
 * objects. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "target/elfsyms.h"

struct elfsyms {
	int fd;
	Elf *elf;
	Elf_Scn *symtab; /* NULL when stripped */
	Elf_Scn *dynsym;
};

struct elfsyms *elfsyms__open(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	return fd < 0 ? NULL : elfsyms__open_fd(fd);
}

struct elfsyms *elfsyms__open_fd(int fd)
{
	struct elfsyms *s = calloc(1, sizeof(*s));
	int err = ENOMEM;

	if (!s) {
		close(fd);
		goto fail;
	}
	elf_version(EV_CURRENT);
	s->fd = fd;
	s->elf = elf_begin(s->fd, ELF_C_READ_MMAP, NULL);
	if (!s->elf || elf_kind(s->elf) != ELF_K_ELF) {
		err = ENOEXEC;
		goto fail;
	}
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(s->elf, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_SYMTAB)
			s->symtab = scn;
		else if (sh.sh_type == SHT_DYNSYM)
			s->dynsym = scn;
	}
	return s;
fail:
	elfsyms__free(s);
	errno = err;
	return NULL;
}

void elfsyms__free(struct elfsyms *s)
{
	if (!s)
		return;
	if (s->elf)
		elf_end(s->elf);
	if (s->fd > 0)
		close(s->fd);
	free(s);
}

/* "malloc@@GLIBC_2.2.5" and "malloc" name the same function; .symtab may carry the
 * version in the name. */
static bool name_matches(const char *sym, const char *want)
{
	size_t n = strlen(want);
	return !strncmp(sym, want, n) && (sym[n] == '\0' || sym[n] == '@');
}

static int find_in(struct elfsyms *s, Elf_Scn *scn, const char *name, int type, GElf_Sym *out)
{
	GElf_Shdr sh;
	Elf_Data *data;
	bool found = false;

	if (!scn || !gelf_getshdr(scn, &sh) || !(data = elf_getdata(scn, NULL)) || !sh.sh_entsize)
		return -ENOENT;
	size_t n = sh.sh_size / sh.sh_entsize;
	for (size_t i = 0; i < n; i++) {
		GElf_Sym sym;
		if (!gelf_getsym(data, (int)i, &sym))
			break;
		/* An IFUNC's address is its resolver, not the function: not probeable. */
		if (sym.st_shndx == SHN_UNDEF || sym.st_value == 0 ||
		    GELF_ST_TYPE(sym.st_info) != type)
			continue;
		const char *sn = elf_strptr(s->elf, sh.sh_link, sym.st_name);
		if (!sn || !name_matches(sn, name))
			continue;
		*out = sym;
		found = true;
		/* Keep looking only while we have a weak or local candidate. */
		if (GELF_ST_BIND(sym.st_info) == STB_GLOBAL)
			break;
	}
	return found ? 0 : -ENOENT;
}

size_t elfsyms__functions(struct elfsyms *s, uint64_t *vaddrs, size_t max)
{
	Elf_Scn *scn = s->symtab ? s->symtab : s->dynsym;
	GElf_Shdr sh;
	Elf_Data *data;
	size_t k = 0;

	if (!scn || !gelf_getshdr(scn, &sh) || !(data = elf_getdata(scn, NULL)) || !sh.sh_entsize)
		return 0;
	for (size_t i = 0; i < sh.sh_size / sh.sh_entsize && k < max; i++) {
		GElf_Sym sym;
		if (!gelf_getsym(data, (int)i, &sym))
			break;
		if (sym.st_shndx != SHN_UNDEF && sym.st_value && sym.st_size &&
		    GELF_ST_TYPE(sym.st_info) == STT_FUNC)
			vaddrs[k++] = sym.st_value;
	}
	return k;
}

static int vaddr_to_offset(struct elfsyms *s, uint64_t vaddr, uint64_t *off)
{
	size_t nph;

	if (elf_getphdrnum(s->elf, &nph))
		return -ENOEXEC;
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(s->elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (vaddr >= ph.p_vaddr && vaddr < ph.p_vaddr + ph.p_filesz) {
			*off = vaddr - ph.p_vaddr + ph.p_offset;
			return 0;
		}
	}
	return -ENOENT;
}

int elfsyms__find(struct elfsyms *s, const char *name, uint64_t *vaddr, uint64_t *file_offset)
{
	GElf_Sym sym;

	if (find_in(s, s->dynsym, name, STT_FUNC, &sym) &&
	    find_in(s, s->symtab, name, STT_FUNC, &sym))
		return -ENOENT;
	*vaddr = sym.st_value;
	return vaddr_to_offset(s, sym.st_value, file_offset);
}

int elfsyms__find_object(struct elfsyms *s, const char *name, uint64_t *vaddr, uint64_t *size)
{
	GElf_Sym sym;

	if (find_in(s, s->dynsym, name, STT_OBJECT, &sym) &&
	    find_in(s, s->symtab, name, STT_OBJECT, &sym))
		return -ENOENT;
	*vaddr = sym.st_value;
	*size = sym.st_size;
	return 0;
}

bool elfsyms__exports(struct elfsyms *s, const char *name)
{
	GElf_Sym sym;
	return find_in(s, s->dynsym, name, STT_FUNC, &sym) == 0;
}

bool elfsyms__exports_prefix(struct elfsyms *s, const char *prefix)
{
	size_t len = strlen(prefix);
	GElf_Shdr sh;
	Elf_Data *data;

	if (!s->dynsym || !gelf_getshdr(s->dynsym, &sh) ||
	    !(data = elf_getdata(s->dynsym, NULL)) || !sh.sh_entsize)
		return false;
	for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
		GElf_Sym sym;
		if (!gelf_getsym(data, (int)i, &sym))
			break;
		if (sym.st_shndx == SHN_UNDEF || GELF_ST_TYPE(sym.st_info) != STT_FUNC)
			continue;
		const char *sn = elf_strptr(s->elf, sh.sh_link, sym.st_name);
		if (sn && !strncmp(sn, prefix, len))
			return true;
	}
	return false;
}

bool elfsyms__has_section(struct elfsyms *s, const char *name)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;

	if (elf_getshdrstrndx(s->elf, &shstrndx))
		return false;
	while ((scn = elf_nextscn(s->elf, scn))) {
		GElf_Shdr sh;
		const char *sn;
		if (gelf_getshdr(scn, &sh) && (sn = elf_strptr(s->elf, shstrndx, sh.sh_name)) &&
		    !strcmp(sn, name))
			return true;
	}
	return false;
}

const char *elfsyms__section_of(struct elfsyms *s, uint64_t vaddr)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;

	if (elf_getshdrstrndx(s->elf, &shstrndx))
		return "";
	while ((scn = elf_nextscn(s->elf, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || !(sh.sh_flags & SHF_ALLOC))
			continue;
		if (vaddr >= sh.sh_addr && vaddr < sh.sh_addr + sh.sh_size) {
			const char *name = elf_strptr(s->elf, shstrndx, sh.sh_name);
			return name ? name : "";
		}
	}
	return "";
}
