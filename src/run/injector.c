/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The injector in-process mode uses: src/inject's ptrace sessions. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "inject/image.h"
#include "inject/inject.h"
#include "run/inprocess.h"

static void *begin(pid_t pid, char *why, size_t len)
{
	/* test-only: borrow a thread of this name alone, so that the chaos suite
	 * has memspy die in each state a thread can be borrowed in */
	const char *only = getenv("MEMSPY_TEST_INJECT_THREAD");
	struct inject_opts o = {.thread = only && *only ? only : NULL};

	return inject_begin(pid, &o, why, len);
}

static int map_image(void *s, const char *path, uint64_t *base)
{
	struct inject_image img;
	int err = inject_map_image(s, path, &img);

	if (!err)
		*base = img.base;
	inject_image_release(&img);
	return err;
}

static int find_image(pid_t pid, const char *path, uint64_t *base)
{
	struct inject_image img;
	int err = inject_find_image(pid, path, &img);

	if (!err) {
		*base = img.base;
		inject_image_release(&img);
	}
	return err;
}

static int call(void *s, uint64_t fn, uint64_t arg)
{
	return inject_call(s, fn, arg, 0);
}

static void end(void *s)
{
	inject_end(s, NULL);
}

static const struct inprocess_injector ptrace_injector = {
	.begin = begin,
	.map_image = map_image,
	.find_image = find_image,
	.call = call,
	.end = end,
};

const struct inprocess_injector *run_injector(void)
{
	return &ptrace_injector;
}
