/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of /proc/<pid>/maps parsing. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check_suites.h"
#include "target/procmaps.h"

START_TEST(parses_every_field)
{
	struct procmaps m;
	FILE *f = fopen(MS_TEST_DATA "/procmaps/maps.txt", "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(procmaps_parse(f, &m), 0);
	fclose(f);
	ck_assert_uint_eq(m.n, 9);
	const struct map_entry *e = &m.entries[5];
	ck_assert_uint_eq(e->start, 0x7f3a2e04e000ULL);
	ck_assert_uint_eq(e->end, 0x7f3a2e1a3000ULL);
	ck_assert_uint_eq(e->offset, 0x26000);
	ck_assert_str_eq(e->perms, "r-xp");
	ck_assert_uint_eq(e->dev_major, 0xfe);
	ck_assert_uint_eq(e->dev_minor, 1);
	ck_assert_uint_eq(e->inode, 1050103);
	ck_assert_str_eq(e->path, "/usr/lib/x86_64-linux-gnu/libc.so.6");
	ck_assert(map_entry_is_file(e));
	ck_assert_str_eq(m.entries[3].path, "");
	ck_assert(!map_entry_is_file(&m.entries[3]));
	ck_assert(!map_entry_is_file(&m.entries[2]));
	/* a path with a space, deleted on disk */
	ck_assert_str_eq(m.entries[6].path, "/tmp/old lib.so");
	ck_assert(m.entries[6].deleted);
	ck_assert(!m.entries[5].deleted);
	procmaps_release(&m);
}
END_TEST

START_TEST(finds_by_address)
{
	struct procmaps m;
	FILE *f = fopen(MS_TEST_DATA "/procmaps/maps.txt", "r");
	ck_assert_int_eq(procmaps_parse(f, &m), 0);
	fclose(f);
	const struct map_entry *e = procmaps_find(&m, 0x7f3a2e04e123ULL);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->perms, "r-xp");
	ck_assert_ptr_null(procmaps_find(&m, 0x1000));
	/* in the gap between libc and the next mapping */
	ck_assert_ptr_null(procmaps_find(&m, 0x7f3a2e1a3000ULL + 0x1000));
	ck_assert_str_eq(procmaps_find(&m, 0x7ffd7a1e2ff8ULL)->path, "[stack]");
	/* end is exclusive */
	ck_assert_ptr_null(procmaps_find(&m, 0x7ffd7a1e3000ULL));
	procmaps_release(&m);
}
END_TEST

START_TEST(rejects_malformed)
{
	struct procmaps m;
	const char *bad = "55d0c0a00000 r--p 00000000 fe:01 1311130 /usr/bin/x\n";
	FILE *f = fmemopen((void *)bad, strlen(bad), "r");
	ck_assert_int_eq(procmaps_parse(f, &m), -22);
	ck_assert_uint_eq(m.n, 0);
	fclose(f);
}
END_TEST

START_TEST(reads_self)
{
	struct procmaps m;
	ck_assert_int_eq(procmaps_read(getpid(), &m), 0);
	ck_assert_ptr_nonnull(procmaps_find(&m, (uint64_t)(uintptr_t)&procmaps_parse));
	procmaps_release(&m);
	ck_assert_int_eq(procmaps_read(999999999, &m), -2);
}
END_TEST

Suite *suite_procmaps(void)
{
	Suite *s = suite_create("procmaps");
	TCase *tc = tcase_create("parse");
	tcase_add_test(tc, parses_every_field);
	tcase_add_test(tc, finds_by_address);
	tcase_add_test(tc, rejects_malformed);
	tcase_add_test(tc, reads_self);
	suite_add_tcase(s, tc);
	return s;
}
