/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of outdir: directory names, mkdir -p, atomic files. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_suites.h"
#include "output/outdir.h"

static char base[] = "/tmp/memspy-check-outdir-XXXXXX";

static void setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(base));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	ck_assert_int_eq(system(cmd), 0);
	strcpy(base, "/tmp/memspy-check-outdir-XXXXXX");
}

static size_t count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

START_TEST(test_default_name)
{
	char buf[64];
	struct tm tm = { .tm_year = 2024 - 1900, .tm_mon = 2, .tm_mday = 5, .tm_hour = 7,
			 .tm_min = 8, .tm_sec = 9, .tm_isdst = -1 };

	outdir_default_name(4242, mktime(&tm), buf, sizeof(buf));
	ck_assert_str_eq(buf, "memspy-4242-20240305-070809");
}
END_TEST

START_TEST(test_create)
{
	char path[256], file[300];
	struct stat st;
	FILE *f;

	snprintf(path, sizeof(path), "%s/a/b//c/", base);
	ck_assert_int_eq(outdir_create(path), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_int_eq(outdir_create(path), 0); /* already there: fine */
	snprintf(file, sizeof(file), "%s/a/file", base);
	f = fopen(file, "w");
	fclose(f);
	ck_assert_int_eq(outdir_create(file), -ENOTDIR);
	snprintf(file, sizeof(file), "%s/a/file/sub", base);
	ck_assert_int_eq(outdir_create(file), -ENOTDIR);
	ck_assert_int_eq(outdir_create(""), -EINVAL);
}
END_TEST

START_TEST(test_atomic_commit)
{
	struct atomic_file af;
	char path[256], text[32] = "";
	struct stat st;
	FILE *f;

	ck_assert_int_eq(atomic_file__open(&af, base, "report.txt"), 0);
	fprintf(af.f, "hello\n");
	snprintf(path, sizeof(path), "%s/report.txt", base);
	/* not there under any name until committed: an unnamed file (O_TMPFILE),
	 * so a kill now would leave nothing */
	ck_assert_int_ne(access(path, F_OK), 0);
	ck_assert_uint_eq(count_entries(base), 0);
	ck_assert_int_eq(atomic_file__commit(&af), 0);
	ck_assert_ptr_null(af.f);
	atomic_file__abort(&af); /* after commit: nothing to do, nothing removed */
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(text, sizeof(text), f));
	fclose(f);
	ck_assert_str_eq(text, "hello\n");
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0644);
	ck_assert_uint_eq(count_entries(base), 1);
}
END_TEST

/* A second commit under the same name replaces the first whole, through a hidden
 * name that does not stay. */
START_TEST(test_atomic_replace)
{
	struct atomic_file af;
	char path[256], text[32] = "";
	FILE *f;

	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(atomic_file__open(&af, base, "heap.folded"), 0);
		fprintf(af.f, i ? "second 2\n" : "first 1\n");
		ck_assert_int_eq(atomic_file__commit(&af), 0);
	}
	snprintf(path, sizeof(path), "%s/heap.folded", base);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(text, sizeof(text), f));
	fclose(f);
	ck_assert_str_eq(text, "second 2\n");
	ck_assert_uint_eq(count_entries(base), 1);
}
END_TEST

START_TEST(test_atomic_abort)
{
	struct atomic_file af, zero = { 0 };

	ck_assert_int_eq(atomic_file__open(&af, base, "heap.folded"), 0);
	fprintf(af.f, "partial");
	atomic_file__abort(&af);
	ck_assert_uint_eq(count_entries(base), 0);
	atomic_file__abort(&zero);
	atomic_file__abort(NULL);
	ck_assert_int_eq(atomic_file__commit(&zero), -EINVAL);
	ck_assert_int_eq(atomic_file__open(&af, "/nonexistent/memspy", "x"), -ENOENT);
	ck_assert_ptr_null(af.f);
	atomic_file__abort(&af);
}
END_TEST

/* "dir/name" into buf */
static const char *at(char *buf, size_t size, const char *dir, const char *name)
{
	snprintf(buf, size, "%s/%s", dir, name);
	return buf;
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static void assert_text(const char *path, const char *want)
{
	char got[64] = "";
	FILE *f = fopen(path, "r");

	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(got, sizeof(got), f));
	fclose(f);
	ck_assert_str_eq(got, want);
}

/* The output directory itself a symlink (planted at a guessable name): refused,
 * nothing made where it points. */
START_TEST(test_create_symlink_dir)
{
	char victim[256], link[256], sub[300];

	ck_assert_int_eq(mkdir(at(victim, sizeof(victim), base, "victim"), 0755), 0);
	ck_assert_int_eq(symlink(victim, at(link, sizeof(link), base, "memspy-1-x")), 0);
	ck_assert_int_eq(outdir_create(link), -ELOOP);
	ck_assert_uint_eq(count_entries(victim), 0);
	/* below it too, when another user owns the link */
	snprintf(sub, sizeof(sub), "%s/out", link);
	if (geteuid() == 0) {
		ck_assert_int_eq(lchown(link, 65534, 65534), 0);
		ck_assert_int_eq(outdir_create(sub), -ELOOP);
		ck_assert_uint_eq(count_entries(victim), 0);
		ck_assert_int_eq(lchown(link, 0, 0), 0);
	}
	/* a parent that is a symlink of memspy's own user is followed */
	ck_assert_int_eq(outdir_create(sub), 0);
	ck_assert_uint_eq(count_entries(victim), 1);
	ck_assert_ptr_nonnull(strstr(outdir_strerror(ELOOP), "symlink"));
}
END_TEST

/* A file memspy did not write under an output name: left alone, -EEXIST, no
 * temporary left; a regular file of memspy's own (an earlier run) is replaced. */
START_TEST(test_commit_foreign_file)
{
	struct atomic_file af;
	char target[256], path[256], other[256];

	write_text(at(target, sizeof(target), base, "host-file"), "keep\n");
	ck_assert_int_eq(mkdir(at(path, sizeof(path), base, "out"), 0755), 0);
	ck_assert_int_eq(symlink(target, at(path, sizeof(path), base, "out/heap.folded")), 0);
	ck_assert_int_eq(atomic_file__open(&af, at(other, sizeof(other), base, "out"), "heap.folded"), 0);
	fprintf(af.f, "a;b 1\n");
	ck_assert_int_eq(atomic_file__commit(&af), -EEXIST);
	ck_assert_uint_eq(count_entries(other), 1);
	assert_text(path, "keep\n"); /* through the link, which is still there */
	assert_text(target, "keep\n");

	/* a hard link to another file */
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(link(target, path), 0);
	ck_assert_int_eq(atomic_file__open(&af, other, "heap.folded"), 0);
	ck_assert_int_eq(atomic_file__commit(&af), -EEXIST);
	assert_text(target, "keep\n");

	/* an earlier run's file */
	ck_assert_int_eq(unlink(path), 0);
	write_text(path, "old\n");
	ck_assert_int_eq(atomic_file__open(&af, other, "heap.folded"), 0);
	fprintf(af.f, "new\n");
	ck_assert_int_eq(atomic_file__commit(&af), 0);
	assert_text(path, "new\n");
	ck_assert_uint_eq(count_entries(other), 1);
	ck_assert_ptr_nonnull(strstr(outdir_strerror(EEXIST), "did not write"));
}
END_TEST

Suite *suite_outdir(void)
{
	Suite *s = suite_create("outdir");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_default_name);
	tcase_add_test(tc, test_create);
	tcase_add_test(tc, test_atomic_commit);
	tcase_add_test(tc, test_atomic_replace);
	tcase_add_test(tc, test_atomic_abort);
	tcase_add_test(tc, test_create_symlink_dir);
	tcase_add_test(tc, test_commit_foreign_file);
	suite_add_tcase(s, tc);
	return s;
}
