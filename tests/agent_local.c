/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Mapping the agent into this process as the injector maps it into a target. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "agent_local.h"

#define PAGE 4096ULL
#define ROUND_UP(x) (((x) + PAGE - 1) & ~(PAGE - 1))

/* A reservation of the whole span, then the text from the file over its start and
 * the zero-filled data over its place: the two mappings the injector makes. */
static int map_image(struct agent_local *a)
{
	const struct agent_image *img = &a->img;
	int fd = open(img->path, O_RDONLY | O_CLOEXEC);
	void *base;

	if (fd < 0)
		return -errno;
	base = mmap(NULL, img->span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED ||
	    mmap(base, ROUND_UP(img->text_size), PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_FIXED,
		 fd, 0) == MAP_FAILED ||
	    mmap((char *)base + img->data_vaddr, ROUND_UP(img->data_size), PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS, -1, 0) == MAP_FAILED) {
		int err = -errno;
		close(fd);
		return err;
	}
	close(fd);
	a->base = (uint64_t)(uintptr_t)base;
	a->ctl = (struct ms_agent_ctl *)(uintptr_t)(a->base + img->ctl);
	a->install = (void (*)(struct ms_agent_ctl *))(uintptr_t)(a->base + img->install);
	a->remove = (void (*)(struct ms_agent_ctl *))(uintptr_t)(a->base + img->remove);
	return 0;
}

int agent_local_load(const char *path, uint64_t mean, struct agent_local *a)
{
	int err;

	memset(a, 0, sizeof(*a));
	if ((err = agent_image_open(path, &a->img))) {
		fprintf(stderr, "cannot read the agent %s: %s\n", path, strerror(-err));
		return err;
	}
	if ((err = map_image(a))) {
		fprintf(stderr, "cannot map the agent %s: %s\n", path, strerror(-err));
		return err;
	}
	if ((err = allocator_resolve_pid(getpid(), &a->alloc)) ||
	    (err = alloc_slots_find(getpid(), &a->alloc, a->base, a->base + a->img.span,
				    &a->slots))) {
		fprintf(stderr, "cannot find this process's allocator slots: %s\n", strerror(-err));
		return err;
	}
	agent_image_fill_ctl(&a->img, a->base, &a->slots, mean, 42, a->ctl);
	return 0;
}

/* movabs $fn, %rax; jmp *%rax over the trap's nop; ret (16 bytes apart). */
static void patch_jump(unsigned char *at, agent_trap_fn fn)
{
	uint64_t target = (uint64_t)(uintptr_t)fn;

	at[0] = 0x48;
	at[1] = 0xb8;
	memcpy(at + 2, &target, 8);
	at[10] = 0xff;
	at[11] = 0xe0;
}

int agent_local_catch_traps(struct agent_local *a, agent_trap_fn on_alloc, agent_trap_fn on_free)
{
	unsigned char *text = (unsigned char *)(uintptr_t)a->base;
	uint64_t lo = a->img.trap_alloc < a->img.trap_free ? a->img.trap_alloc : a->img.trap_free;
	uint64_t hi = (a->img.trap_alloc ^ a->img.trap_free ^ lo) + 12;

	if (a->img.trap_alloc + 12 > a->img.trap_free && a->img.trap_free + 12 > a->img.trap_alloc)
		return -ENOSPC;
	/* a private file mapping turns copy-on-write: the file stays as it is */
	uint64_t page = lo & ~(PAGE - 1), len = ROUND_UP(hi) - page;
	if (mprotect(text + page, len, PROT_READ | PROT_WRITE | PROT_EXEC))
		return -errno;
	patch_jump(text + a->img.trap_alloc, on_alloc);
	patch_jump(text + a->img.trap_free, on_free);
	if (mprotect(text + page, len, PROT_READ | PROT_EXEC))
		return -errno;
	return 0;
}

struct ms_agent_thread *agent_local_thread(struct agent_local *a)
{
	/* glibc's pthread_t on x86-64 is the thread pointer, %fs:0 */
	uint64_t tp = (uint64_t)pthread_self();

	for (int i = 0; i < MS_AGENT_THREADS; i++)
		if (a->ctl->threads[i].key == tp)
			return &a->ctl->threads[i];
	return NULL;
}

void agent_local_unload(struct agent_local *a)
{
	/* the image stays mapped: a hook may still be referenced, as in a target */
	alloc_slots_release(&a->slots);
	allocator_release(&a->alloc);
	agent_image_release(&a->img);
}
