/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of folded: the line format, merging, sorting, escaping, against a golden file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_suites.h"
#include "output/folded.h"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long len;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)len + 1);
	if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static uint32_t intern(struct stacktab *t, const char *const *names, size_t n, bool trunc)
{
	uint32_t frames[16], id;

	for (size_t i = 0; i < n; i++)
		frames[i] = stacktab__frame(t, names[i]);
	ck_assert_int_eq(stacktab__intern(t, frames, n, trunc, &id), 0);
	return id;
}

static char *write_to_string(const struct stacktab *t, const uint32_t *ids,
			     const uint64_t *values, size_t n, const char *prefix)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(folded_write(f, t, ids, values, n, prefix), 0);
	fclose(f);
	return out;
}

START_TEST(test_golden)
{
	struct stacktab *t = stacktab__new();
	static const char *const leak[] = { "_start", "__libc_start_call_main", "main",
					    "leak_a", "leak_b", "leak_c", "leak_d" };
	static const char *const busy[] = { "_start", "__libc_start_call_main", "main", "busy" };
	static const char *const odd[] = { "_start", "main", "  odd;name\twith\x01junk  ",
					   "operator new(unsigned long)" };
	static const char *const semi_a[] = { "_start", "a;b" };
	static const char *const semi_b[] = { "_start", "a:b" };
	static const char *const part[] = { "worker", "leak_d" };
	static const char *const blank[] = { "_start", " \t " };
	uint32_t ids[9];
	uint64_t values[9] = { 1048576, 4096, 100, 7, 3, 0, 512, 9, 2 };
	char *out, *golden, path[512];

	ids[0] = intern(t, leak, 7, false);
	ids[1] = intern(t, busy, 4, false);
	ids[2] = intern(t, odd, 4, false);
	ids[3] = intern(t, semi_a, 2, false);
	ids[4] = intern(t, semi_b, 2, false); /* same line once escaped: merged */
	ids[5] = intern(t, busy, 3, false);   /* zero: left out */
	ids[6] = intern(t, part, 2, true);    /* truncated: marked at the root */
	ids[7] = intern(t, NULL, 0, false);   /* no frames at all */
	ids[8] = intern(t, blank, 2, false);
	out = write_to_string(t, ids, values, 9, NULL);
	snprintf(path, sizeof(path), "%s/folded/heap.folded", MS_TEST_DATA);
	golden = slurp(path);
	ck_assert_msg(golden != NULL, "cannot read %s", path);
	ck_assert_str_eq(out, golden);
	free(out);
	free(golden);
	stacktab__free(t);
}
END_TEST

START_TEST(test_prefix_and_merge)
{
	struct stacktab *t = stacktab__new();
	static const char *const a[] = { "main", "f" };
	uint32_t ids[2];
	uint64_t values[2] = { 5, 6 };
	char *out;

	ids[0] = intern(t, a, 2, false);
	ids[1] = ids[0];
	out = write_to_string(t, ids, values, 2, "pid 42;x");
	ck_assert_str_eq(out, "pid 42:x;main;f 11\n");
	free(out);
	out = write_to_string(t, ids, values, 0, NULL);
	ck_assert_str_eq(out, "");
	free(out);
	stacktab__free(t);
}
END_TEST

START_TEST(test_escape)
{
	char buf[16];

	folded_escape_frame("  a;b\n c ", buf, sizeof(buf));
	ck_assert_str_eq(buf, "a:b c");
	folded_escape_frame("0123456789abcdefghij", buf, 8);
	ck_assert_str_eq(buf, "0123456");
	/* "é" is two bytes: never cut in half */
	folded_escape_frame("abcde\xc3\xa9", buf, 7);
	ck_assert_str_eq(buf, "abcde");
	folded_escape_frame("abcd\xc3\xa9", buf, 7);
	ck_assert_str_eq(buf, "abcd\xc3\xa9");
}
END_TEST

Suite *suite_folded(void)
{
	Suite *s = suite_create("folded");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_golden);
	tcase_add_test(tc, test_prefix_and_merge);
	tcase_add_test(tc, test_escape);
	suite_add_tcase(s, tc);
	return s;
}
