/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of allocator resolution, on real libraries of this machine. */
#include <dlfcn.h>
#include <limits.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "target/allocator.h"
#include "check_suites.h"
#include "target/elfsyms.h"
#include "target/runtime_heap.h"
#include "memspy/events.h"

static const char *libc_path(void)
{
	static char path[PATH_MAX];
	Dl_info info;
	ck_assert(dladdr((void *)&malloc, &info));
	ck_assert(realpath(info.dli_fname, path));
	return path;
}

static const char *jemalloc_path(void)
{
	static const char *const candidates[] = {"/usr/lib/x86_64-linux-gnu/libjemalloc.so.2",
						 "/lib/x86_64-linux-gnu/libjemalloc.so.2", NULL};
	for (int i = 0; candidates[i]; i++)
		if (access(candidates[i], R_OK) == 0)
			return candidates[i];
	return NULL;
}

static void add_map(struct procmaps *m, const char *path, uint64_t start)
{
	m->entries = realloc(m->entries, (m->n + 1) * sizeof(*m->entries));
	struct map_entry *e = &m->entries[m->n++];
	memset(e, 0, sizeof(*e));
	e->start = start;
	e->end = start + 0x1000;
	e->inode = 1;
	strcpy(e->perms, "r--p");
	e->path = strdup(path);
}

static const struct alloc_entry *entry(const struct allocator *a, const char *sym)
{
	for (size_t i = 0; i < a->n; i++)
		if (!strcmp(a->entries[i].symbol, sym))
			return &a->entries[i];
	return NULL;
}

START_TEST(finds_symbols_and_offsets)
{
	struct elfsyms *s = elfsyms__open(libc_path());
	uint64_t v, off;
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(elfsyms__find(s, "malloc", &v, &off), 0);
	ck_assert_uint_ne(v, 0);
	/* libc's text: file offset and vaddr agree in the first segments */
	ck_assert_uint_eq(off, v);
	ck_assert(elfsyms__exports(s, "malloc"));
	ck_assert_int_eq(elfsyms__find(s, "no_such_function_here", &v, &off), -2);
	elfsyms__free(s);
	ck_assert_ptr_null(elfsyms__open("/nonexistent/lib.so"));
	ck_assert_ptr_null(elfsyms__open("/proc/self/status")); /* not ELF */
}
END_TEST

START_TEST(libc_when_nothing_interposes)
{
	struct procmaps m = {0};
	struct allocator a;
	char exe[PATH_MAX];
	ck_assert(realpath("/proc/self/exe", exe));
	add_map(&m, exe, 0x400000);
	add_map(&m, libc_path(), 0x7f0000000000ULL);
	ck_assert_int_eq(allocator_resolve(&m, exe, NULL, NULL, &a), 0);
	ck_assert_str_eq(a.module, libc_path());
	ck_assert_str_eq(a.why, "the C library");
	ck_assert_ptr_nonnull(entry(&a, "malloc"));
	ck_assert_ptr_nonnull(entry(&a, "free"));
	ck_assert_ptr_nonnull(entry(&a, "calloc"));
	ck_assert_ptr_nonnull(entry(&a, "realloc"));
	ck_assert_ptr_nonnull(entry(&a, "posix_memalign"));
	/* one probe per address: glibc's aliases collapse */
	for (size_t i = 0; i < a.n; i++)
		for (size_t j = i + 1; j < a.n; j++)
			ck_assert_uint_ne(a.entries[i].vaddr, a.entries[j].vaddr);
	ck_assert(entry(&a, "aligned_alloc") == NULL || entry(&a, "memalign") == NULL ||
		  entry(&a, "aligned_alloc")->vaddr != entry(&a, "memalign")->vaddr);
	ck_assert_uint_eq(entry(&a, "malloc")->fn, MS_FN_MALLOC);
	allocator_release(&a);
	procmaps_release(&m);
}
END_TEST

START_TEST(interposer_beats_libc)
{
	const char *je = jemalloc_path();
	struct procmaps m = {0};
	struct allocator a;
	if (!je)
		return; /* libjemalloc2 not installed: nothing to check */
	add_map(&m, libc_path(), 0x7f0000000000ULL);
	add_map(&m, je, 0x7f1000000000ULL);
	ck_assert_int_eq(allocator_resolve(&m, "/usr/bin/none", NULL, NULL, &a), 0);
	ck_assert_str_eq(a.module, je);
	ck_assert_str_eq(a.why, "shared library that interposes malloc");
	ck_assert_ptr_nonnull(entry(&a, "mallocx"));
	ck_assert_uint_eq(entry(&a, "sdallocx")->fn, MS_FN_FREE);
	ck_assert_uint_eq(entry(&a, "_ZnwmRKSt9nothrow_t")->fn, MS_FN_NEW);
	/* throwing operator new is never probed: see alloc_names */
	ck_assert_ptr_null(entry(&a, "_Znwm"));
	allocator_release(&a);
	procmaps_release(&m);
}
END_TEST

START_TEST(preload_beats_interposer)
{
	const char *je = jemalloc_path();
	struct procmaps m = {0};
	struct allocator a;
	add_map(&m, libc_path(), 0x7f0000000000ULL);
	if (je)
		add_map(&m, je, 0x7f1000000000ULL);
	/* LD_PRELOAD naming libc itself still ranks it first */
	ck_assert_int_eq(allocator_resolve(&m, NULL, "/x/libfoo.so:libc.so.6", NULL, &a), 0);
	ck_assert_str_eq(a.module, libc_path());
	ck_assert_str_eq(a.why, "LD_PRELOAD");
	allocator_release(&a);
	procmaps_release(&m);
}
END_TEST

START_TEST(none_found)
{
	struct procmaps m = {0};
	struct allocator a;
	char exe[PATH_MAX];
	ck_assert(realpath("/proc/self/exe", exe));
	add_map(&m, exe, 0x400000);
	ck_assert_int_eq(allocator_resolve(&m, exe, NULL, NULL, &a), -2);
	procmaps_release(&m);
}
END_TEST

/* Runtimes with heaps of their own: by the library that carries them, never for a
 * plain C program (this one), and told even when no allocator is found. */
START_TEST(runtime_heaps)
{
	struct procmaps m = {0};
	struct allocator a;
	char exe[PATH_MAX];

	ck_assert(realpath("/proc/self/exe", exe));
	add_map(&m, exe, 0x400000);
	ck_assert_int_eq(allocator_resolve(&m, exe, NULL, NULL, &a), -2);
	ck_assert_ptr_null(a.runtime);
	add_map(&m, "/usr/lib/jvm/java-17-openjdk-amd64/lib/server/libjvm.so", 0x7f0000000000ULL);
	ck_assert_int_eq(allocator_resolve(&m, exe, NULL, NULL, &a), -2);
	ck_assert_ptr_nonnull(a.runtime);
	ck_assert_str_eq(a.runtime->heap, "the Java heap");
	free(m.entries[1].path);
	m.entries[1].path = strdup("/usr/lib/x86_64-linux-gnu/libnode.so.108");
	ck_assert_ptr_nonnull(runtime_heap_find(&m, exe));
	ck_assert_str_eq(runtime_heap_find(&m, exe)->manager, "V8");
	m.entries[1].path[strlen(m.entries[1].path) - 4] = 'X'; /* libnodeX: another library */
	ck_assert_ptr_null(runtime_heap_find(&m, NULL));
	procmaps_release(&m);
	ck_assert_int_eq(allocator_resolve_pid(getpid(), &a), 0);
	ck_assert_ptr_null(a.runtime);
	allocator_release(&a);
}
END_TEST

START_TEST(resolves_self)
{
	struct allocator a;
	ck_assert_int_eq(allocator_resolve_pid(getpid(), &a), 0);
	ck_assert_ptr_nonnull(entry(&a, "malloc"));
	ck_assert(strstr(a.open_path, "/map_files/") != NULL);
	allocator_release(&a);
}
END_TEST

Suite *suite_allocator(void)
{
	Suite *s = suite_create("allocator");
	TCase *tc = tcase_create("resolve");
	tcase_add_test(tc, finds_symbols_and_offsets);
	tcase_add_test(tc, libc_when_nothing_interposes);
	tcase_add_test(tc, interposer_beats_libc);
	tcase_add_test(tc, preload_beats_interposer);
	tcase_add_test(tc, none_found);
	tcase_add_test(tc, runtime_heaps);
	tcase_add_test(tc, resolves_self);
	suite_add_tcase(s, tc);
	return s;
}
