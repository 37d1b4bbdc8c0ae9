/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of /proc/<pid>/maps parsing. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_suites.h"
#include "target/elfload.h"
#include "target/procmaps.h"
#include "target/procstat.h"

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

/* /usr/bin/node 20's PT_LOAD headers (readelf -lW): non-PIE, text split in two
 * with a page between, data sharing a file page with the read-only segment. */
static struct elf_segment node_segs[] = {
	{0x000000, 0x400000, 0x76e5d8, 0x1000},	  {0x76f000, 0xb6f000, 0x001e90, 0x1000},
	{0x772000, 0xb72000, 0x1a8bca0, 0x1000},  {0x2200000, 0x2600000, 0x0001f1, 0x1000},
	{0x2201000, 0x2601000, 0x3038cae, 0x1000}, {0x5239ec8, 0x563aec8, 0x0215f8, 0x1000},
};

/* Its maps: every mapping, RELRO's read-only part of the data included, has
 * bias 0; the text past the gap, which libdwfl put 0x772000 too high when it was
 * reported as a module of its own, too. */
START_TEST(bias_of_gapped_executable)
{
	const char maps[] =
	    "00400000-00b6f000 r--p 00000000 fe:00 247823 /usr/bin/node\n"
	    "00b6f000-00b71000 r-xp 0076f000 fe:00 247823 /usr/bin/node\n"
	    "00b72000-025fe000 r-xp 00772000 fe:00 247823 /usr/bin/node\n"
	    "02600000-02601000 r-xp 02200000 fe:00 247823 /usr/bin/node\n"
	    "02601000-0563a000 r--p 02201000 fe:00 247823 /usr/bin/node\n"
	    "0563a000-0563e000 r--p 05239000 fe:00 247823 /usr/bin/node\n"
	    "0563e000-0565d000 rw-p 0523d000 fe:00 247823 /usr/bin/node\n";
	struct elf_loads l = {node_segs, sizeof(node_segs) / sizeof(node_segs[0])};
	struct procmaps m;
	uint64_t bias;
	FILE *f = fmemopen((void *)maps, sizeof(maps) - 1, "r");

	ck_assert_int_eq(procmaps_parse(f, &m), 0);
	fclose(f);
	ck_assert_uint_eq(m.n, 7);
	for (size_t i = 0; i < m.n; i++) {
		const struct map_entry *e = &m.entries[i];
		ck_assert_int_eq(elf_loads_bias(&l, e->start, e->offset, &bias), 0);
		ck_assert_uint_eq(bias, 0);
		ck_assert(elf_loads_agree(&l, 0, e->start, e->offset));
	}
	ck_assert_uint_eq(elf_loads_base(&l), 0x400000);
	/* the executable mapped again by a library reading itself: another load */
	ck_assert(!elf_loads_agree(&l, 0, 0x7f0000000000ull, 0));
	ck_assert_int_eq(elf_loads_bias(&l, 0x7f0000000000ull, 0, &bias), 0);
	ck_assert_uint_eq(bias, 0x7f0000000000ull - 0x400000);
	/* past the end of the file's segments */
	ck_assert_int_eq(elf_loads_bias(&l, 0x6000000, 0x6000000, &bias), -ENOENT);
	procmaps_release(&m);
}
END_TEST

/* A shared library: segments from 0, loaded anywhere; a text segment aligned to
 * 2 MiB leaves a gap after the first mapping. */
START_TEST(bias_of_shared_library)
{
	struct elf_segment segs[] = {
		{0x000000, 0x000000, 0x000568, 0x200000},
		{0x200000, 0x200000, 0x00018d, 0x200000},
		{0x3ffdf8, 0x5ffdf8, 0x000228, 0x200000},
	};
	struct elf_loads l = {segs, 3};
	const uint64_t load = 0x7f1234400000ull;
	uint64_t bias;

	ck_assert_int_eq(elf_loads_bias(&l, load + 0x200000, 0x200000, &bias), 0);
	ck_assert_uint_eq(bias, load);
	/* the data segment's first page starts below its p_offset */
	ck_assert(elf_loads_agree(&l, load, load + 0x5ff000, 0x3ff000));
	ck_assert(!elf_loads_agree(&l, load, load + 0x600000, 0x3ff000));
	ck_assert_uint_eq(load + elf_loads_base(&l), load);
}
END_TEST

/* This test program's own mappings, read from its file: one load, one bias. */
START_TEST(bias_of_self)
{
	struct procmaps m;
	struct elf_loads l;
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	uint64_t bias = 0, first = 0;
	int seen = 0;

	ck_assert_int_gt(n, 0);
	self[n] = 0;
	int fd = open(self, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(elf_loads_read(fd, &l), 0);
	close(fd);
	ck_assert_int_eq(procmaps_read(getpid(), &m), 0);
	for (size_t i = 0; i < m.n; i++) {
		const struct map_entry *e = &m.entries[i];
		if (strcmp(e->path, self))
			continue;
		if (!seen++) {
			ck_assert_int_eq(elf_loads_bias(&l, e->start, e->offset, &bias), 0);
			first = e->start;
		}
		ck_assert(elf_loads_agree(&l, bias, e->start, e->offset));
	}
	ck_assert_int_gt(seen, 1);
	/* where libdwfl must see the module start: the first mapping */
	ck_assert_uint_eq(bias + elf_loads_base(&l), first);
	procmaps_release(&m);
	elf_loads_release(&l);
	ck_assert_int_eq(elf_loads_read(-1, &l), -ENOEXEC);
}
END_TEST

/* A start time names one process: this one's is steady, a child's is read while it
 * lives, and a pid with no process has none (the in-process agent's owner check). */
START_TEST(start_time_names_one_process)
{
	uint64_t self = procstat_start_time(getpid());
	int fds[2], status;
	char c;

	ck_assert_uint_gt(self, 0);
	ck_assert_uint_eq(procstat_start_time(getpid()), self);
	ck_assert_int_eq(pipe(fds), 0);
	pid_t child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		close(fds[1]);
		_exit(read(fds[0], &c, 1) < 0);
	}
	close(fds[0]);
	ck_assert_uint_ge(procstat_start_time(child), self);
	close(fds[1]);
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	ck_assert_uint_eq(procstat_start_time(child), 0);
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
	tc = tcase_create("load bias");
	tcase_add_test(tc, bias_of_gapped_executable);
	tcase_add_test(tc, bias_of_shared_library);
	tcase_add_test(tc, bias_of_self);
	suite_add_tcase(s, tc);
	tc = tcase_create("stat");
	tcase_add_test(tc, start_time_names_one_process);
	suite_add_tcase(s, tc);
	return s;
}
