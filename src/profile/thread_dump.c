/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The threads and stacks memspy dump read, as plain data. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "profile/thread_dump.h"

struct thread_dump *thread_dump__new(pid_t pid)
{
	struct thread_dump *d = calloc(1, sizeof(*d));

	if (d) {
		d->pid = pid;
		d->stopped_ms = -1;
	}
	return d;
}

static void free_frames(struct dump_thread *t)
{
	for (size_t i = 0; i < t->nr_frames; i++) {
		free(t->frames[i].function);
		free(t->frames[i].file);
		free(t->frames[i].module);
	}
	free(t->frames);
}

void thread_dump__free(struct thread_dump *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->nr_threads; i++)
		free_frames(&d->threads[i]);
	free(d->threads);
	free(d);
}

struct dump_thread *thread_dump__add_thread(struct thread_dump *d, pid_t tid)
{
	struct dump_thread *t = realloc(d->threads, (d->nr_threads + 1) * sizeof(*t));

	if (!t)
		return NULL;
	d->threads = t;
	t = &d->threads[d->nr_threads++];
	memset(t, 0, sizeof(*t));
	t->tid = tid;
	t->syscall = -1;
	t->gil = MS_DUMP_GIL_NONE;
	return t;
}

static char *dup_or_null(const char *s, bool *failed)
{
	char *c = s ? strdup(s) : NULL;

	if (s && !c)
		*failed = true;
	return c;
}

int dump_thread__add_frame(struct dump_thread *t, const char *function, const char *file,
			   uint32_t line, const char *module, bool python, bool inlined)
{
	struct dump_frame *f = realloc(t->frames, (t->nr_frames + 1) * sizeof(*f));
	bool failed = false;

	if (!f)
		return -ENOMEM;
	t->frames = f;
	f = &t->frames[t->nr_frames];
	f->function = dup_or_null(function ? function : "[unknown]", &failed);
	f->file = dup_or_null(file, &failed);
	f->module = dup_or_null(module, &failed);
	f->line = line;
	f->python = python;
	f->inlined = inlined;
	if (failed) {
		free(f->function);
		free(f->file);
		free(f->module);
		return -ENOMEM;
	}
	t->nr_frames++;
	return 0;
}

void dump_thread__reverse(struct dump_thread *t)
{
	for (size_t i = 0, j = t->nr_frames; i + 1 < j; i++, j--) {
		struct dump_frame f = t->frames[i];

		t->frames[i] = t->frames[j - 1];
		t->frames[j - 1] = f;
	}
}

static int by_tid(const void *a, const void *b, void *pid)
{
	const struct dump_thread *x = a, *y = b;
	pid_t main = *(const pid_t *)pid;

	if ((x->tid == main) != (y->tid == main))
		return x->tid == main ? -1 : 1;
	return (x->tid > y->tid) - (x->tid < y->tid);
}

void thread_dump__sort(struct thread_dump *d)
{
	qsort_r(d->threads, d->nr_threads, sizeof(*d->threads), by_tid, &d->pid);
}
