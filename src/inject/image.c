// SPDX-License-Identifier: GPL-2.0-or-later
/* Maps an image into a target through an injection session, or finds one
 * mapped earlier (image.h). */
#include "inject/image.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/memfd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "base/log.h"
#include "inject/die_at.h"
#include "inject/image_elf.h"
#include "inject/inject.h"
#include "target/procmaps.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

/* Run one call in the target; a kernel error comes back as -errno in *ret. */
static int call(struct inject *in, long nr, long a0, long a1, long a2, long a3, long a4, long a5,
		long *ret)
{
	const long args[6] = {a0, a1, a2, a3, a4, a5};
	int err = inject_syscall(in, nr, args, ret);

	if (err)
		ms_err("injection into pid %d broke: %s", inject_pid(in), strerror(-err));
	return err;
}

static bool failed(long ret)
{
	return (unsigned long)ret > -4096ul;
}

static int fail(struct inject *in, const char *what, long ret)
{
	ms_err("cannot map the agent into pid %d: %s: %s", inject_pid(in), what,
	       strerror((int)-ret));
	return (int)ret;
}

/* A memfd in the target holding the file: its descriptor number, or -errno. */
static int make_memfd(struct inject *in, const struct image_elf *e, long *fd)
{
	const char name[] = INJECT_MEMFD_NAME;
	struct iovec local = {(void *)name, sizeof(name)},
		     remote = {(void *)inject_scratch(in), sizeof(name)};
	unsigned flags = MFD_CLOEXEC | MFD_ALLOW_SEALING;
	char path[64];
	int err, w;

	if (process_vm_writev(inject_pid(in), &local, 1, &remote, 1, 0) != sizeof(name))
		return fail(in, "writing the memfd name", -errno);
	/* MFD_EXEC: a kernel with vm.memfd_noexec=1 makes memfds without it
	 * non-executable; older kernels reject the flag */
	if ((err = call(in, SYS_memfd_create, (long)inject_scratch(in), flags | MFD_EXEC, 0, 0, 0,
			0, fd)))
		return err;
	if (*fd == -EINVAL &&
	    (err = call(in, SYS_memfd_create, (long)inject_scratch(in), flags, 0, 0, 0, 0, fd)))
		return err;
	if (failed(*fd))
		return fail(in, "memfd_create", *fd);
	/* through the target's descriptor: no file on disk, any mount namespace */
	snprintf(path, sizeof(path), "/proc/%d/fd/%ld", inject_pid(in), *fd);
	w = open(path, O_WRONLY | O_CLOEXEC);
	if (w < 0)
		return fail(in, "opening its memfd", -errno);
	err = pwrite(w, e->bytes, e->size, 0) == (ssize_t)e->size ? 0 : -EIO;
	close(w);
	return err ? fail(in, "filling its memfd", err) : 0;
}

/* Reserve the span, aligned as the file asks: the reservation's address. */
static int reserve(struct inject *in, const struct image_elf *e, uint64_t *base)
{
	uint64_t extra = e->align - 4096, start;
	long r;
	int err;

	if ((err = call(in, SYS_mmap, 0, (long)(e->span + extra), PROT_NONE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0, &r)))
		return err;
	if (failed(r))
		return fail(in, "reserving its span", r);
	start = (uint64_t)r;
	*base = (start + e->align - 1) & ~(e->align - 1);
	if (*base > start &&
	    ((err = call(in, SYS_munmap, (long)start, (long)(*base - start), 0, 0, 0, 0, &r))))
		return err;
	if (*base + e->span < start + e->span + extra &&
	    (err = call(in, SYS_munmap, (long)(*base + e->span),
			(long)(start + e->span + extra - *base - e->span), 0, 0, 0, 0, &r)))
		return err;
	return 0;
}

static int map_segments(struct inject *in, const struct image_elf *e, uint64_t base, long fd)
{
	long r;
	int err;

	if ((err = call(in, SYS_mmap, (long)base, (long)e->text_size, PROT_READ | PROT_EXEC,
			MAP_PRIVATE | MAP_FIXED, fd, 0, &r)))
		return err;
	if (failed(r) || (uint64_t)r != base)
		return fail(in, "mapping its code", failed(r) ? r : -EFAULT);
	if (!e->rw_size)
		return 0;
	if ((err =
		 call(in, SYS_mmap, (long)(base + e->rw_start), (long)e->rw_size,
		      PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS, -1, 0, &r)))
		return err;
	if (failed(r) || (uint64_t)r != base + e->rw_start)
		return fail(in, "mapping its data", failed(r) ? r : -EFAULT);
	return 0;
}

static void fill(struct inject_image *out, struct image_elf *e, uint64_t base)
{
	out->base = base;
	out->span = e->span;
	out->rw = e->rw_size ? base + e->rw_start : 0;
	out->rw_size = e->rw_size;
	out->build_id_len =
	    e->build_id_len < sizeof(out->build_id) ? e->build_id_len : sizeof(out->build_id);
	memcpy(out->build_id, e->build_id, out->build_id_len);
	out->elf = e;
}

static struct image_elf *load(const char *path)
{
	struct image_elf *e = calloc(1, sizeof(*e));
	char why[256];
	int err;

	if (!e)
		return NULL;
	err = image_elf_load(path, e, why, sizeof(why));
	if (err) {
		ms_err("cannot use %s as an agent image: %s", path, why);
		free(e);
		errno = -err;
		return NULL;
	}
	return e;
}

int inject_image_open(const char *path, struct inject_image *out)
{
	struct image_elf *e = load(path);

	*out = (struct inject_image){0};
	if (!e)
		return -errno;
	fill(out, e, 0);
	out->rw = 0;
	return 0;
}

int inject_map_image(struct inject *in, const char *path, struct inject_image *out)
{
	struct image_elf *e = load(path);
	uint64_t base = 0;
	long fd = -1, r;
	int err;

	*out = (struct inject_image){0};
	if (!e)
		return -errno;
	err = make_memfd(in, e, &fd);
	if (!err) {
		const long seals = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL;

		/* no one changes the code behind the mapping later; not fatal */
		err = call(in, SYS_fcntl, fd, F_ADD_SEALS, seals, 0, 0, 0, &r);
	}
	if (!err)
		err = reserve(in, e, &base);
	if (!err)
		err = map_segments(in, e, base, fd);
	if (fd >= 0 && !failed(fd))
		call(in, SYS_close, fd, 0, 0, 0, 0, 0, &r);
	if (err) {
		if (base)
			call(in, SYS_munmap, (long)base, (long)e->span, 0, 0, 0, 0, &r);
		image_elf_release(e);
		free(e);
		return err;
	}
	inject_die_at(INJECT_DIE_mapped);
	fill(out, e, base);
	return 0;
}

static bool build_id_at(pid_t pid, const struct image_elf *e, uint64_t start)
{
	uint8_t *note = malloc(e->note_size);
	struct iovec local = {note, e->note_size},
		     remote = {(void *)(start + e->note_vaddr), e->note_size};
	bool same;

	if (!note)
		return false;
	same = process_vm_readv(pid, &local, 1, &remote, 1, 0) == (ssize_t)e->note_size &&
	       !memcmp(note, e->bytes + e->note_vaddr, e->note_size);
	free(note);
	return same;
}

int inject_find_image(pid_t pid, const char *path, struct inject_image *out)
{
	struct image_elf *e = load(path);
	struct procmaps maps;
	int err = -ENOENT;

	*out = (struct inject_image){0};
	if (!e)
		return -errno;
	if (!e->build_id || procmaps_read(pid, &maps)) {
		err = e->build_id ? -ESRCH : -ENOENT;
		image_elf_release(e);
		free(e);
		return err;
	}
	for (size_t i = 0; i < maps.n && err; i++) {
		const struct map_entry *m = &maps.entries[i];
		const struct map_entry *rw =
		    e->rw_size ? procmaps_find(&maps, m->start + e->rw_start) : NULL;

		if (strcmp(m->path, "/memfd:" INJECT_MEMFD_NAME) || strcmp(m->perms, "r-xp") ||
		    m->offset || m->end - m->start != e->text_size ||
		    (e->rw_size && (!rw || strcmp(rw->perms, "rw-p"))))
			continue;
		if (build_id_at(pid, e, m->start)) {
			fill(out, e, m->start);
			err = 0;
		}
	}
	procmaps_release(&maps);
	if (err) {
		image_elf_release(e);
		free(e);
	}
	return err;
}

uint64_t inject_image_symbol(const struct inject_image *img, const char *name)
{
	uint64_t v = img->elf ? image_elf_symbol(img->elf, name) : 0;

	return v ? img->base + v : 0;
}

void inject_image_release(struct inject_image *img)
{
	if (img && img->elf) {
		image_elf_release(img->elf);
		free(img->elf);
		img->elf = NULL;
	}
}
