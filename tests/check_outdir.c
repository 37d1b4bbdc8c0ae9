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
	suite_add_tcase(s, tc);
	return s;
}
