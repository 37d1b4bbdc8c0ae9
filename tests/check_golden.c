/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Golden outputs: every deterministic output rendered from fixed inputs, compared byte for byte.
 *
 * Each test renders one output (a whole flame graph, diff or timeline SVG, a folded
 * file, a section of the text report) from inputs fixed in this file or in
 * tests/data/flamegraph, and compares it with tests/data/golden/NAME. Nothing here
 * depends on the clock, the pid or the machine, so any difference is a change of
 * behaviour; the failure names the golden file and the first differing byte, line
 * and column.
 *
 * After an intended change of output, regenerate the files and review the diff:
 *
 *	MS_UPDATE_GOLDEN=1 CK_RUN_SUITE=golden ./tests/check_memspy
 *	git diff tests/data/golden
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_suites.h"
#include "profile/cpu_profile.h"
#include "output/diff.h"
#include "output/flamegraph.h"
#include "profile/leak.h"
#include "profile/profile.h"
#include "output/report.h"
#include "output/report_alloc.h"
#include "output/report_cpu.h"
#include "output/report_rss.h"
#include "profile/stacktab.h"
#include "output/timeline.h"

#define FLAME  MS_TEST_DATA "/flamegraph"
#define GOLDEN MS_TEST_DATA "/golden"
#define SEC    1000000000ull

/* An output being rendered into memory. */
struct capture {
	FILE *f;
	char *buf;
	size_t len;
};

static FILE *capture__open(struct capture *c)
{
	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
	ck_assert_ptr_nonnull(c->f);
	return c->f;
}

static void capture__close(struct capture *c)
{
	ck_assert_int_eq(fclose(c->f), 0);
	c->f = NULL;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct capture c;
	char chunk[8192];
	size_t n;

	if (!f)
		return NULL;
	capture__open(&c);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, n, c.f);
	fclose(f);
	capture__close(&c);
	*len = c.len;
	return c.buf;
}

static bool updating(void)
{
	const char *v = getenv("MS_UPDATE_GOLDEN");

	return v && !strcmp(v, "1");
}

static void write_golden(const char *path, const char *got, size_t len)
{
	FILE *f;

	ck_assert_msg(!mkdir(GOLDEN, 0755) || errno == EEXIST, "cannot create %s: %s", GOLDEN,
		      strerror(errno));
	f = fopen(path, "wb");
	ck_assert_msg(f != NULL, "cannot write %s: %s", path, strerror(errno));
	ck_assert_uint_eq(fwrite(got, 1, len, f), len);
	ck_assert_msg(!fclose(f), "cannot write %s: %s", path, strerror(errno));
}

/* The line of s holding offset at, up to 60 bytes, for a failure message. */
static void line_at(const char *s, size_t len, size_t at, char *buf, size_t size)
{
	size_t start = at, end = at;

	while (start > 0 && s[start - 1] != '\n')
		start--;
	while (end < len && s[end] != '\n' && end - start < 60)
		end++;
	snprintf(buf, size, "%.*s", (int)(end - start), s + start);
}

/* Compare got with tests/data/golden/NAME, or write it there under MS_UPDATE_GOLDEN=1. */
static void check_golden(const char *name, const char *got, size_t len)
{
	char path[512], want_line[64], got_line[64];
	size_t want_len, at = 0, line = 1, col = 1;
	char *want;

	snprintf(path, sizeof(path), "%s/%s", GOLDEN, name);
	if (updating()) {
		write_golden(path, got, len);
		return;
	}
	want = slurp(path, &want_len);
	ck_assert_msg(want != NULL, "cannot read %s: %s (MS_UPDATE_GOLDEN=1 writes it)", path,
		      strerror(errno));
	while (at < len && at < want_len && got[at] == want[at]) {
		if (got[at] == '\n') {
			line++;
			col = 0;
		}
		at++;
		col++;
	}
	if (at < len || at < want_len) {
		line_at(want, want_len, at, want_line, sizeof(want_line));
		line_at(got, len, at, got_line, sizeof(got_line));
		ck_abort_msg("%s differs at byte %zu (line %zu, column %zu; golden %zu bytes, "
			     "got %zu):\n  golden: %s\n  got:    %s",
			     path, at, line, col, want_len, len, want_line, got_line);
	}
	free(want);
}

static void check_capture(const char *name, struct capture *c)
{
	capture__close(c);
	check_golden(name, c->buf, c->len);
	free(c->buf);
}

/* Intern a stack given root first. */
static uint32_t intern(struct stacktab *t, const char *const *names, size_t n, bool truncated)
{
	uint32_t frames[16], id;

	ck_assert_uint_le(n, 16);
	for (size_t i = 0; i < n; i++)
		frames[i] = stacktab__frame(t, names[i]);
	ck_assert_int_eq(stacktab__intern(t, frames, n, truncated, &id), 0);
	return id;
}

#define INTERN(t, names, truncated) intern(t, names, sizeof(names) / sizeof(names[0]), truncated)

/* ---- flame graphs: flamegraph_render_file, as attach draws its SVGs */

static const struct {
	const char *golden;
	const char *folded;
	struct flame_options o;
} flame_cases[] = {
    {"flame-basic-mem.svg",
     "basic.folded",
     {.title = "Heap (golden)",
      .subtitle = "pid 4242 (leaky): live bytes by stack",
      .colors = MS_FLAME_MEM}},
    {"flame-basic-cpu.svg",
     "basic.folded",
     {.title = "CPU (golden)",
      .subtitle = "pid 4242 (leaky): on-CPU samples at 99 Hz",
      .colors = MS_FLAME_CPU}},
    {"flame-basic-inverted.svg",
     "basic.folded",
     {.title = "Heap, inverted",
      .subtitle = "icicle, 800 px",
      .colors = MS_FLAME_MEM,
      .inverted = true,
      .width = 800}},
    {"flame-pyspy-mem.svg",
     "pyspy.folded",
     {.title = "Python heap (golden)", .subtitle = "py-spy style frames", .colors = MS_FLAME_MEM}},
    {"flame-pyspy-cpu.svg",
     "pyspy.folded",
     {.title = "Python CPU (golden)",
      .subtitle = "py-spy style frames, 600 px",
      .colors = MS_FLAME_CPU,
      .width = 600}},
    {"flame-perf-cpu.svg",
     "perf.folded",
     {.title = "perf (golden)",
      .subtitle = "kernel, inlined and JIT frames",
      .colors = MS_FLAME_CPU,
      .min_share = 0.01}},
    {"flame-escape-mem.svg",
     "escape.folded",
     {.title = "<escape> & \"quotes\"",
      .subtitle = "names that need XML escaping",
      .colors = MS_FLAME_MEM}},
};

START_TEST(test_flame_svg)
{
	char path[512];
	struct capture c;

	snprintf(path, sizeof(path), "%s/%s", FLAME, flame_cases[_i].folded);
	ck_assert_int_eq(flamegraph_render_file(path, capture__open(&c), &flame_cases[_i].o), 0);
	check_capture(flame_cases[_i].golden, &c);
}
END_TEST

/* The image of an empty profile (allow_empty), default title and width. */
START_TEST(test_flame_empty_svg)
{
	struct flame_tree *t = flame_tree__new();
	struct flame_options o = {.subtitle = "nothing was sampled", .allow_empty = true};
	struct capture c;

	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(flame_tree__write_svg(t, capture__open(&c), &o), 0);
	check_capture("flame-empty.svg", &c);
	flame_tree__free(t);
}
END_TEST

/* ---- differential flame graph of a.folded -> b.folded, and its folded change */

START_TEST(test_diff_svg)
{
	struct flame_tree *t = diff_read_files(FLAME "/a.folded", FLAME "/b.folded", false, NULL);
	struct flame_options o = {
	    .title = "Diff (golden)", .subtitle = "a.folded -> b.folded", .colors = MS_FLAME_MEM};
	struct capture c;

	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(flame_tree__write_svg(t, capture__open(&c), &o), 0);
	check_capture("diff-mem.svg", &c);
	o = (struct flame_options){.colors = MS_FLAME_CPU};
	ck_assert_int_eq(flame_tree__write_svg(t, capture__open(&c), &o), 0);
	check_capture("diff-cpu.svg", &c);
	flame_tree__free(t);
}
END_TEST

START_TEST(test_diff_folded)
{
	struct flame_tree *t = diff_read_files(FLAME "/a.folded", FLAME "/b.folded", true, NULL);
	struct capture c;

	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(diff_write_folded(t, capture__open(&c)), 0);
	check_capture("diff.folded", &c);
	flame_tree__free(t);
}
END_TEST

/* ---- timeline.svg */

static void check_timeline(const char *name, const char *title, const struct timeline_series *s,
			   size_t n)
{
	struct capture c;

	ck_assert_int_eq(timeline_write_svg(capture__open(&c), title, s, n), 0);
	check_capture(name, &c);
}

/* RSS, the heap and a leak suspect that appears late, over a minute. */
START_TEST(test_timeline_three_series)
{
	double rss[61], heap[61], leak[61];

	for (int i = 0; i <= 60; i++) {
		rss[i] = 50e6 + i * 1e6;
		heap[i] = 20e6 + i * 0.8e6;
		leak[i] = i < 10 ? NAN : (i - 10) * 0.5e6;
	}
	struct timeline_series s[] = {
	    {"RSS", rss, 61, 0, 1},
	    {"live heap (estimated)", heap, 61, 0, 1},
	    {"main;handle<T>;cache_put & \"friends\";malloc", leak, 61, 0, 1},
	};
	check_timeline("timeline-three.svg", "memory of pid 4242 (leaky)", s, 3);
}
END_TEST

/* Gaps, lone points, a late start, a series without data; the default title. */
START_TEST(test_timeline_gaps)
{
	double v[] = {1024, NAN, 2048, 4096, NAN, NAN, 512};
	double w[] = {300, 700, 900};
	struct timeline_series s[] = {
	    {"suspect", v, 7, 10, 2},
	    {"late", w, 3, 14.5, 0.5},
	    {"never seen", NULL, 0, 0, 1},
	};
	check_timeline("timeline-gaps.svg", NULL, s, 3);
}
END_TEST

/* Two hours at one point a minute: ticks in minutes, GiB. */
START_TEST(test_timeline_long)
{
	double v[121];

	for (size_t i = 0; i <= 120; i++)
		v[i] = 3.0 * 1024 * 1024 * 1024 * (double)i / 120.0 + (i % 7) * 1e6;
	struct timeline_series s = {"RSS", v, 121, 0, 60};
	check_timeline("timeline-long.svg", "long", &s, 1);
}
END_TEST

START_TEST(test_timeline_empty)
{
	check_timeline("timeline-empty.svg", "empty", NULL, 0);
}
END_TEST

/* ---- the heap report (report_write) */

static void check_report(const char *name, const struct report_input *in)
{
	struct capture c;

	FILE *f = capture__open(&c);

	report_write(f, in);
	report_alloc_write(f, in);
	check_capture(name, &c);
}

/* An exact run of 20 s: a C leak through a chain of functions, a Python site leaking
 * more slowly, a busy site, a freed one and a truncated stack; module-level Python
 * containers growing, one written by the Python suspect. */
START_TEST(test_report_heap_exact)
{
	struct stacktab *t = stacktab__new();
	struct profile *p = profile__new(1);
	static const char *const leak[] = {
	    "_start", "__libc_start_call_main", "main", "leak_a", "leak_b", "leak_c", "leak_d",
	    "malloc"};
	static const char *const busy[] = {"_start", "__libc_start_call_main", "main", "busy",
					   "malloc"};
	static const char *const py[] = {"_start",
					 "main",
					 "_PyEval_EvalFrameDefault",
					 "handle (app.py:12)",
					 "store (cache.py:40)",
					 "PyDict_SetItem",
					 "PyMem_Malloc",
					 "malloc"};
	static const char *const freed[] = {"_start", "main", "parse", "xmalloc", "malloc"};
	static const char *const cut[] = {"worker", "grow_buffer", "realloc"};
	struct container_growth growth[3] = {
	    {"cache.entries", "store (cache.py:40)", "dict", 12, 212, 10.0, 150.0, 19.0, 190000.0,
	     19.0},
	    {"app.pending", "", "list", 3, 98, 5.0, 100.0, 19.0, 95000.0, 19.0},
	    {"app.seen", "handler (app.py:77)", "set", 0, 66, 3.5, 64.0, 18.0, 66000.0, 18.0},
	};
	uint32_t leak_id = INTERN(t, leak, false), busy_id = INTERN(t, busy, false);
	uint32_t py_id = INTERN(t, py, false), freed_id = INTERN(t, freed, false);
	uint32_t cut_id = INTERN(t, cut, true);
	struct leak_suspect sus[8];
	struct report_input in = {0};

	ck_assert_int_eq(profile__alloc(p, 0x700000, 3000, cut_id, SEC / 2), 0);
	for (uint64_t s = 0; s < 20; s++) {
		for (uint64_t k = 0; k < 4; k++)
			profile__alloc(p, 0x100000 + s * 64 + k * 16, 13107, leak_id,
				       s * SEC + k * SEC / 4);
		profile__alloc(p, 0x500000 + s * 32, 2000, py_id, s * SEC + SEC / 3);
		profile__alloc(p, 0x900000 + s % 2, 1000, busy_id, s * SEC);
		profile__free_block(p, 0x900000 + (s + 1) % 2, s * SEC);
		profile__alloc(p, 0xa00000, 777, freed_id, s * SEC + 1);
		profile__free_block(p, 0xa00000, s * SEC + 2);
		profile__tick(p, s * SEC + SEC - 1);
	}
	in.pid = 4242;
	in.comm = "leaky";
	in.allocator = "/usr/lib/x86_64-linux-gnu/libc.so.6";
	in.allocator_why = "malloc resolves there";
	in.end_reason = "Ctrl-C";
	in.duration_s = 20.0;
	in.now_ns = 20 * SEC;
	in.stacks = t;
	in.profile = p;
	in.nr_suspects = leak_rank(p, work_of(p), 0, sus, 8);
	in.suspects = sus;
	in.work = work_of(p);
	in.growth = growth;
	in.nr_growth = 3;
	in.totals = (struct heap_totals){.alloc_calls = 123,
					 .alloc_bytes = 20 * (4 * 13107 + 2000 + 1000 + 777) + 3000,
					 .free_calls = 39,
					 .lost_allocs = 0,
					 .unknown_frees = 1,
					 .truncated = 1};
	in.top_n = 4;
	ck_assert_uint_eq(in.nr_suspects, 2);
	check_report("report-heap-exact.txt", &in);
	profile__free(p);
	stacktab__free(t);
}
END_TEST

/* A sampled run over an hour with every counter of trouble set. */
START_TEST(test_report_heap_sampled)
{
	struct stacktab *t = stacktab__new();
	struct profile *p = profile__new(512 * 1024);
	static const char *const grow[] = {"main", "serve", "grow", "malloc"};
	static const char *const steady[] = {"main", "serve", "Cache::put",
					     "operator new(unsigned long)", "malloc"};
	static const char *const cut[] = {"[unknown]", "g_malloc0", "calloc"};
	uint32_t grow_id = INTERN(t, grow, false), steady_id = INTERN(t, steady, false);
	uint32_t cut_id = INTERN(t, cut, true);
	struct leak_suspect sus[4];
	struct report_input in = {0};

	for (uint64_t s = 0; s < 60; s++) {
		profile__alloc(p, 0x10000 + s * 0x1000, 64 * 1024, grow_id, s * 60 * SEC);
		profile__alloc(p, 0x800000 + s % 3, 256 * 1024, steady_id, s * 60 * SEC + SEC);
		profile__free_block(p, 0x800000 + (s + 1) % 3, s * 60 * SEC + SEC);
		profile__tick(p, s * 60 * SEC + 30 * SEC);
	}
	profile__alloc(p, 0x900000, 4096, cut_id, 100 * SEC);
	in.pid = 31337;
	in.comm = "redis-server";
	in.allocator = "/usr/bin/redis-server";
	in.allocator_why = "jemalloc is linked in statically";
	in.end_reason = "duration reached";
	in.duration_s = 3725.0;
	in.now_ns = 3725 * SEC;
	in.stacks = t;
	in.profile = p;
	in.nr_suspects = leak_rank(p, work_of(p), 0, sus, 4);
	in.suspects = sus;
	in.work = work_of(p);
	in.totals = (struct heap_totals){.alloc_calls = 987654,
					 .alloc_bytes = 123456789,
					 .free_calls = 876543,
					 .lost_allocs = 12,
					 .lost_frees = 7,
					 .unseen_calls = 3,
					 .map_full = 4,
					 .truncated = 5,
					 .unwind_failed = 6};
	check_report("report-heap-sampled.txt", &in);
	profile__free(p);
	stacktab__free(t);
}
END_TEST

/* Nothing recorded: no command name, no allocator, no end reason. */
START_TEST(test_report_heap_empty)
{
	struct stacktab *t = stacktab__new();
	struct profile *p = profile__new(1);
	struct report_input in = {.pid = 7, .duration_s = 0.5, .stacks = t, .profile = p};

	check_report("report-heap-empty.txt", &in);
	profile__free(p);
	stacktab__free(t);
}
END_TEST

/* ---- the CPU report section (report_cpu_write) */

/* Functions with distinct (self, total) pairs, so no ranking depends on a tie. */
static struct cpu_profile *cpu_fixture(struct stacktab *t)
{
	static const char *const lex[] = {"_start", "main", "parse", "lex"};
	static const char *const parse[] = {"_start", "main", "parse"};
	static const char *const draw[] = {"_start", "main", "render", "draw_text"};
	static const char *const sys[] = {"_start", "main", "compute", "do_syscall_64_[k]"};
	static const char *const compute[] = {"_start", "main", "compute"};
	static const char *const mainonly[] = {"_start", "main"};
	static const char *const cut[] = {"[truncated]", "hash_mix"};
	struct cpu_profile *c = cpu_profile__new();

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(cpu_profile__add(c, INTERN(t, lex, false), 50), 0);
	ck_assert_int_eq(cpu_profile__add(c, INTERN(t, parse, false), 9), 0);
	ck_assert_int_eq(cpu_profile__add(c, INTERN(t, draw, false), 30), 0);
	ck_assert_int_eq(cpu_profile__add(c, INTERN(t, sys, false), 4), 0);
	ck_assert_int_eq(cpu_profile__add(c, INTERN(t, compute, false), 16), 0);
	ck_assert_int_eq(cpu_profile__add(c, INTERN(t, mainonly, false), 3), 0);
	ck_assert_int_eq(cpu_profile__add(c, INTERN(t, cut, true), 2), 0);
	return c;
}

START_TEST(test_report_cpu)
{
	struct stacktab *t = stacktab__new();
	struct cpu_profile *c = cpu_fixture(t);
	struct cpu_report_input in = {.profile = c,
				      .stacks = t,
				      .freq_hz = 99,
				      .duration_s = 20,
				      .taken = 130,
				      .lost = 3,
				      .truncated = 2,
				      .truncated_jit = 1,
				      .no_user = 4,
				      .in_probes = 7,
				      .top_n = 5};
	struct capture c1;

	report_cpu_write(capture__open(&c1), &in);
	check_capture("report-cpu.txt", &c1);
	in = (struct cpu_report_input){.profile = c, .stacks = t, .freq_hz = 999, .top_n = 20};
	report_cpu_write(capture__open(&c1), &in);
	check_capture("report-cpu-all.txt", &c1);
	cpu_profile__free(c);
	stacktab__free(t);
}
END_TEST

START_TEST(test_report_cpu_empty)
{
	struct stacktab *t = stacktab__new();
	struct cpu_profile *c = cpu_profile__new();
	struct cpu_report_input in = {.profile = c, .stacks = t, .freq_hz = 0, .top_n = 10};
	struct capture c1;

	report_cpu_write(capture__open(&c1), &in);
	check_capture("report-cpu-empty.txt", &c1);
	cpu_profile__free(c);
	stacktab__free(t);
}
END_TEST

/* ---- RSS growth: the "== rss ==" section, rss.folded and rss.svg */

/* Bytes of new pages still mapped per stack, all different; one stack given back. */
static struct cpu_profile *rss_fixture(struct stacktab *t)
{
	static const char *const s1[] = {"main", "load_table", "memset"};
	static const char *const s2[] = {"main",
					 "_PyEval_EvalFrameDefault",
					 "build (app.py:30)",
					 "list_resize",
					 "PyMem_Realloc",
					 "realloc"};
	static const char *const s3[] = {"main", "read_input", "xmalloc", "malloc"};
	static const char *const s4[] = {"main", "arena_new", "mmap"};
	static const char *const s5[] = {"main", "log_line", "fwrite"};
	static const char *const s6[] = {"main", "tmp_buffer", "malloc"};
	static const char *const s7[] = {"main", "stack_probe"};
	struct cpu_profile *c = cpu_profile__new();
	uint32_t gone;

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(cpu_profile__add(c, INTERN(t, s1, false), 300 * 4096), 0);
	ck_assert_int_eq(cpu_profile__add(c, INTERN(t, s2, false), 500 * 4096), 0);
	ck_assert_int_eq(cpu_profile__add(c, INTERN(t, s3, false), 20 * 4096), 0);
	ck_assert_int_eq(cpu_profile__add(c, INTERN(t, s4, false), 64 * 4096), 0);
	ck_assert_int_eq(cpu_profile__add(c, INTERN(t, s5, false), 2 * 4096), 0);
	ck_assert_int_eq(cpu_profile__add(c, gone = INTERN(t, s6, false), 40 * 4096), 0);
	ck_assert_int_eq(cpu_profile__add(c, INTERN(t, s7, true), 1 * 4096), 0);
	cpu_profile__remove(c, gone, 40 * 4096);
	return c;
}

START_TEST(test_report_rss)
{
	struct stacktab *t = stacktab__new();
	struct cpu_profile *c = rss_fixture(t);
	uint64_t counters[MS_RSS_COUNT] = {
	    [MS_RSS_FAULTS] = 927,	 [MS_RSS_MERGED] = 2,
	    [MS_RSS_ALL_FAULTS] = 5000, [MS_RSS_NEW_PAGES] = 4100,
	};
	struct capture c1;

	report_rss_write(capture__open(&c1), t, c, 40 * 4096, counters,
			 &(struct rss_tracing){.period_min = 1, .period_max = 8}, 12 << 20, 20 << 20);
	check_capture("report-rss.txt", &c1);
	/* a fault storm traced in windows: counts estimated, and the windows said */
	report_rss_write(capture__open(&c1), t, c, 40 * 4096, counters,
			 &(struct rss_tracing){.period_min = 1, .period_max = 256, .window_scale = 4,
					       .windows_above = 16384, .windowed_s = 7.94},
			 12 << 20, 20 << 20);
	check_capture("report-rss-windows.txt", &c1);
	/* sampled faults only (no count of all faults), one period, nothing lost */
	memset(counters, 0, sizeof(counters));
	counters[MS_RSS_FAULTS] = 927;
	/* RssAnon not read: no line */
	report_rss_write(capture__open(&c1), t, c, 0, counters,
			 &(struct rss_tracing){.period_min = 4, .period_max = 4}, -1, -1);
	check_capture("report-rss-sampled.txt", &c1);
	cpu_profile__free(c);
	stacktab__free(t);
}
END_TEST

START_TEST(test_report_rss_empty)
{
	struct stacktab *t = stacktab__new();
	struct cpu_profile *c = cpu_profile__new();
	uint64_t counters[MS_RSS_COUNT] = {0};
	struct capture c1;

	report_rss_write(capture__open(&c1), t, c, 0, counters,
			 &(struct rss_tracing){.period_min = 1, .period_max = 1}, 0, 0);
	check_capture("report-rss-empty.txt", &c1);
	cpu_profile__free(c);
	stacktab__free(t);
}
END_TEST

static void check_file(const char *dir, const char *file, const char *golden)
{
	char path[512];
	size_t len;
	char *got;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	got = slurp(path, &len);
	ck_assert_msg(got != NULL, "cannot read %s: %s", path, strerror(errno));
	check_golden(golden, got, len);
	free(got);
	ck_assert_int_eq(unlink(path), 0);
}

/* What a run with --rss writes to its output directory. */
START_TEST(test_rss_profile_files)
{
	struct stacktab *t = stacktab__new();
	struct cpu_profile *c = rss_fixture(t);
	char dir[] = "/tmp/memspy-golden-XXXXXX";

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(report_rss_write_profile(dir, t, c, 4242, "leaky",
						  &(struct rss_tracing){.period_min = 1, .period_max = 8}), 0);
	check_file(dir, "rss.folded", "rss.folded");
	check_file(dir, "rss.svg", "rss.svg");
	ck_assert_int_eq(rmdir(dir), 0);
	cpu_profile__free(c);
	stacktab__free(t);
}
END_TEST

Suite *suite_golden(void)
{
	Suite *s = suite_create("golden");
	TCase *tc = tcase_create("outputs");

	tcase_add_loop_test(tc, test_flame_svg, 0, sizeof(flame_cases) / sizeof(flame_cases[0]));
	tcase_add_test(tc, test_flame_empty_svg);
	tcase_add_test(tc, test_diff_svg);
	tcase_add_test(tc, test_diff_folded);
	tcase_add_test(tc, test_timeline_three_series);
	tcase_add_test(tc, test_timeline_gaps);
	tcase_add_test(tc, test_timeline_long);
	tcase_add_test(tc, test_timeline_empty);
	tcase_add_test(tc, test_report_heap_exact);
	tcase_add_test(tc, test_report_heap_sampled);
	tcase_add_test(tc, test_report_heap_empty);
	tcase_add_test(tc, test_report_cpu);
	tcase_add_test(tc, test_report_cpu_empty);
	tcase_add_test(tc, test_report_rss);
	tcase_add_test(tc, test_report_rss_empty);
	tcase_add_test(tc, test_rss_profile_files);
	suite_add_tcase(s, tc);
	return s;
}
