/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of report: site titles, byte formatting and the report's sections. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_suites.h"
#include "output/report.h"
#include "output/report_rss.h"
#include "output/report_verdict.h"
#include "probes/rss_probes.h"
#include "profile/site_name.h"

#define SEC 1000000000ull

static uint32_t intern(struct stacktab *t, const char *const *names, size_t n)
{
	uint32_t frames[16], id;

	for (size_t i = 0; i < n; i++)
		frames[i] = stacktab__frame(t, names[i]);
	ck_assert_int_eq(stacktab__intern(t, frames, n, false, &id), 0);
	return id;
}

static const char *title(struct stacktab *t, const char *const *names, size_t n)
{
	return stacktab__frame_name(t, site_name_frame(t, intern(t, names, n)));
}

START_TEST(test_titles)
{
	struct stacktab *t = stacktab__new();
	static const char *const plain[] = { "_start", "main", "leak_d", "malloc" };
	static const char *const redis[] = { "main", "processCommand", "createStringObject",
					     "zmalloc_usable", "ztrymalloc_usable_internal",
					     "malloc" };
	static const char *const cpp[] = { "main", "Cache::put", "operator new(unsigned long)",
					   "malloc" };
	static const char *const mangled[] = { "main", "_ZN5Cache3putEv", "_Znwm" };
	static const char *const python[] = { "main", "list_resize", "PyMem_Realloc",
					      "_PyMem_RawRealloc", "realloc" };
	static const char *const pyobj[] = { "main", "PyTuple_New", "_PyObject_GC_NewVar",
					     "_PyObject_GC_Alloc", "_PyObject_Malloc" };
	static const char *const glib[] = { "main", "g_hash_table_new", "g_malloc0", "calloc" };
	static const char *const clone[] = { "main", "load", "xmalloc.part.0", "malloc@plt" };
	static const char *const jemalloc[] = { "main", "put", "[libjemalloc.so.2+0x1234]" };
	static const char *const all_alloc[] = { "malloc", "zmalloc" };
	static const char *const no_match[] = { "main", "mallocate_things" };
	/* a stripped PostgreSQL: AllocSetAlloc is static, so only palloc's name says
	 * the unnamed frame under it is the allocator's */
	static const char *const postgres[] = { "main", "PostgresMain", "subquery_planner",
						"MemoryContextAllocZeroAligned",
						"[postgres+0x5c785f]" };
	/* an unnamed frame with no allocator above it may well be the program's */
	static const char *const stripped[] = { "main", "handle", "[server+0x1234]" };
	static const char *const node[] = {
		"Builtins_CallApiCallback", "node::Buffer::CreateUnsafeArrayBuffer()",
		"v8::ArrayBuffer::NewBackingStoreForNodeLTS(v8::Isolate*, unsigned long)",
		"v8::internal::BackingStore::Allocate(v8::internal::Isolate*, unsigned long)",
		"node::NodeArrayBufferAllocator::AllocateUninitialized(unsigned long)",
		"malloc" };
	static const char *const ngx[] = { "main", "ngx_http_init_request", "ngx_pcalloc",
					   "ngx_palloc_small", "[nginx+0x99]" };
	uint32_t id;

	ck_assert_str_eq(title(t, plain, 4), "leak_d");
	ck_assert_str_eq(title(t, redis, 6), "createStringObject");
	ck_assert_str_eq(title(t, cpp, 4), "Cache::put");
	ck_assert_str_eq(title(t, mangled, 3), "_ZN5Cache3putEv");
	ck_assert_str_eq(title(t, python, 5), "list_resize");
	ck_assert_str_eq(title(t, pyobj, 5), "PyTuple_New");
	ck_assert_str_eq(title(t, glib, 4), "g_hash_table_new");
	ck_assert_str_eq(title(t, clone, 4), "load");
	ck_assert_str_eq(title(t, jemalloc, 3), "put");
	ck_assert_str_eq(title(t, postgres, 5), "subquery_planner");
	ck_assert_str_eq(title(t, stripped, 3), "[server+0x1234]");
	ck_assert_str_eq(title(t, ngx, 5), "ngx_http_init_request");
	ck_assert_str_eq(title(t, node, 6), "node::Buffer::CreateUnsafeArrayBuffer()");
	ck_assert_str_eq(title(t, all_alloc, 2), "zmalloc"); /* the leaf */
	ck_assert_str_eq(title(t, no_match, 2), "mallocate_things");
	ck_assert_str_eq(site_name(t, intern(t, cpp, 4)), "Cache::put");
	id = intern(t, NULL, 0);
	ck_assert_uint_eq(site_name_frame(t, id), UINT32_MAX);
	ck_assert_str_eq(site_name(t, id), "[no frames]");
	stacktab__free(t);
}
END_TEST

/* Sites listed together that share a name are told apart by where their stacks
 * first differ; unique names and stacks alike up to truncation stay plain. */
START_TEST(test_titles_shared)
{
	struct stacktab *t = stacktab__new();
	static const char *const steady[] = { "main", "run_steady", "leak_steady", "malloc" };
	static const char *const burst[] = { "main", "run_burst", "leak_steady", "malloc" };
	static const char *const other[] = { "main", "run_steady", "cache_put", "malloc" };
	static const char *const cut[] = { "run_steady", "leak_steady", "malloc" };
	static const char *const viacalloc[] = { "main", "run_steady", "leak_steady", "calloc" };
	static const char *const py_tuple[] = { "main", "run (app.py:3)", "leak (app.py:9)",
						 "PyTuple_New", "_PyObject_Malloc" };
	static const char *const py_list[] = { "main", "run (app.py:3)", "leak (app.py:9)",
						"list_resize", "PyMem_Realloc" };
	uint32_t frames[3], ids[4];
	char titles[4][MS_SITE_TITLE_MAX];

	ids[0] = intern(t, steady, 4);
	ids[1] = intern(t, burst, 4);
	ids[2] = intern(t, other, 4);
	site_titles(t, ids, 3, titles);
	ck_assert_str_eq(titles[0], "leak_steady (via run_steady)");
	ck_assert_str_eq(titles[1], "leak_steady (via run_burst)");
	ck_assert_str_eq(titles[2], "cache_put");
	/* alone in its list, a site keeps its name */
	site_titles(t, ids + 1, 1, titles);
	ck_assert_str_eq(titles[0], "leak_steady");
	/* the same callers up to where unwinding stopped: one site for a reader */
	for (size_t i = 0; i < 3; i++)
		frames[i] = stacktab__frame(t, cut[i]);
	ck_assert_int_eq(stacktab__intern(t, frames, 3, true, &ids[1]), 0);
	site_titles(t, ids, 2, titles);
	ck_assert_str_eq(titles[0], "leak_steady");
	ck_assert_str_eq(titles[1], "leak_steady");
	ck_assert(site_same_stack(t, ids[0], ids[1]));
	ck_assert(!site_same_stack(t, ids[0], intern(t, burst, 4)));
	/* callers alike: the callee tells them apart */
	ids[1] = intern(t, viacalloc, 4);
	site_titles(t, ids, 2, titles);
	ck_assert_str_eq(titles[0], "leak_steady (calling malloc)");
	ck_assert_str_eq(titles[1], "leak_steady (calling calloc)");
	ids[0] = intern(t, py_tuple, 5);
	ids[1] = intern(t, py_list, 5);
	site_titles(t, ids, 2, titles);
	ck_assert_str_eq(titles[0], "leak (app.py:9) (calling PyTuple_New)");
	ck_assert_str_eq(titles[1], "leak (app.py:9) (calling list_resize)");
	stacktab__free(t);
}
END_TEST

START_TEST(test_format_bytes)
{
	char buf[32];

	report_format_bytes(0, buf, sizeof(buf));
	ck_assert_str_eq(buf, "0 B");
	report_format_bytes(1023, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1023 B");
	report_format_bytes(1024, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1.0 KiB");
	report_format_bytes(100000, buf, sizeof(buf));
	ck_assert_str_eq(buf, "97.7 KiB");
	report_format_bytes(1048575, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1.0 MiB");
	report_format_bytes(1.5 * 1024 * 1024 * 1024, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1.5 GiB");
	report_format_bytes(-2048, buf, sizeof(buf));
	ck_assert_str_eq(buf, "-2.0 KiB");
}
END_TEST

static char *render(struct report_input *in)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	ck_assert_ptr_nonnull(f);
	report_write(f, in);
	fclose(f);
	/* MEMSPY_SHOW_REPORT=1 ./tests/check_memspy shows what the report looks like */
	if (getenv("MEMSPY_SHOW_REPORT"))
		fputs(out, stderr);
	return out;
}

/* An exact run: a leak through a chain of functions, a busy site, a freed one. */
/* Two leaking sites that share a leaf, and a truncated copy of one: the top list
 * and the suspects tell the first two apart by caller and sum the third in. */
START_TEST(test_report_shared_titles)
{
	struct stacktab *t = stacktab__new();
	struct profile *p = profile__new(1);
	static const char *const steady[] = { "main", "run_steady", "leak_steady", "malloc" };
	static const char *const burst[] = { "main", "run_burst", "leak_steady", "malloc" };
	uint32_t a = intern(t, steady, 4), b = intern(t, burst, 4), c, frames[3];
	struct leak_suspect sus[4];
	struct report_input in = { 0 };
	char *out;

	for (size_t i = 0; i < 3; i++)
		frames[i] = stacktab__frame(t, steady[i + 1]);
	ck_assert_int_eq(stacktab__intern(t, frames, 3, true, &c), 0);
	for (uint64_t s = 0; s < 20; s++) {
		profile__alloc(p, 0x100000 + s * 64, 4096, a, s * SEC);
		profile__alloc(p, 0x200000 + s * 64, 2048, b, s * SEC);
		profile__alloc(p, 0x300000 + s * 64, 16, c, s * SEC);
		profile__tick(p, s * SEC + SEC - 1);
	}
	in.comm = "leaky";
	in.stacks = t;
	in.profile = p;
	in.work = work_of(p);
	in.nr_suspects = leak_rank(p, in.work, 0, sus, 4);
	in.suspects = sus;
	ck_assert_uint_eq(in.nr_suspects, 3);
	out = render(&in);
	ck_assert_ptr_nonnull(strstr(out, "#1  leak_steady (via run_steady)\n    (2 stacks alike "
					  "but where unwinding stopped, summed)\n    live 82240 B"));
	ck_assert_ptr_nonnull(strstr(out, "#2  leak_steady (via run_burst)\n"));
	ck_assert_ptr_nonnull(strstr(out, "== leak suspects ==\n#1 leak_steady (via run_steady)  "));
	ck_assert_ptr_nonnull(strstr(out, "#2 leak_steady (via run_burst)  "));
	ck_assert_ptr_nonnull(strstr(out, "(2 stacks alike but where unwinding stopped, summed)\n"
					  "      (stack of site #1 above)"));
	ck_assert_ptr_null(strstr(out, "#3 "));
	free(out);
	profile__free(p);
	stacktab__free(t);
}
END_TEST

START_TEST(test_exact_report)
{
	struct stacktab *t = stacktab__new();
	struct profile *p = profile__new(1);
	static const char *const leak[] = { "_start", "__libc_start_call_main", "main",
					    "leak_a", "leak_b", "leak_c", "leak_d", "malloc" };
	static const char *const busy[] = { "_start", "__libc_start_call_main", "main", "busy",
					    "malloc" };
	uint32_t leak_id = intern(t, leak, 8), busy_id = intern(t, busy, 5);
	struct leak_suspect sus[4];
	struct report_input in = { 0 };
	char *out;

	for (uint64_t s = 0; s < 20; s++) {
		for (uint64_t k = 0; k < 4; k++)
			profile__alloc(p, 0x100000 + s * 64 + k * 16, 13107, leak_id,
				       s * SEC + k * SEC / 4);
		profile__alloc(p, 0x900000 + s % 2, 1000, busy_id, s * SEC);
		profile__free_block(p, 0x900000 + (s + 1) % 2, s * SEC);
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
	in.nr_suspects = leak_rank(p, work_of(p), 0, sus, 4);
	in.suspects = sus;
	in.work = work_of(p);
	in.totals.alloc_calls = 100;
	in.totals.alloc_bytes = 20 * 4 * 13107 + 20 * 1000;
	in.totals.free_calls = 19;
	in.totals.unknown_frees = 1;
	ck_assert_uint_eq(in.nr_suspects, 1);
	out = render(&in);

	ck_assert_ptr_nonnull(strstr(out, "pid 4242 (leaky)"));
	ck_assert_ptr_nonnull(strstr(out, "libc.so.6 (malloc resolves there)"));
	ck_assert_ptr_nonnull(strstr(out, "every allocation (exact)"));
	ck_assert_ptr_nonnull(strstr(out, "ended by Ctrl-C"));
	ck_assert_ptr_nonnull(strstr(out, "== totals =="));
	ck_assert_ptr_nonnull(strstr(out, "100 calls, 1068560 B (1.0 MiB) (exact)"));
	ck_assert_ptr_nonnull(strstr(out, "not tracked"));
	ck_assert_ptr_nonnull(strstr(out, "less than a minute"));
	ck_assert_ptr_nonnull(strstr(out, "== top allocation sites by live bytes =="));
	ck_assert_ptr_nonnull(strstr(out, "#1  leak_d\n    live 1048560 B (1.0 MiB) in 80 blocks, "
					  "oldest 20.0 s old\n      malloc\n      leak_d\n      leak_c\n"));
	ck_assert_ptr_nonnull(strstr(out, "#2  busy\n    live 1000 B in 1 block, oldest 1.0 s old"));
	ck_assert_ptr_nonnull(strstr(out, "      main\n      __libc_start_call_main\n      _start\n"));
	ck_assert_ptr_nonnull(strstr(out, "== leak suspects ==\n#1 leak_d  +1004.8 MiB per GiB "
					  "allocated, +51.2 KiB/s of load\n      grew 972.8 KiB "
					  "over 19.0 s (19.0 s of load), rose in 100% of load "
					  "intervals, kept all of it\n"));
	ck_assert_ptr_nonnull(strstr(out, "(stack of site #1 above)"));
	/* sections in order */
	ck_assert(strstr(out, "== totals ==") < strstr(out, "== top allocation"));
	ck_assert(strstr(out, "== top allocation") < strstr(out, "== leak suspects =="));
	free(out);

	/* no suspects, a long run, sampled */
	in.nr_suspects = 0;
	in.duration_s = 125;
	out = render(&in);
	ck_assert_ptr_nonnull(strstr(out, "none found"));
	ck_assert_ptr_null(strstr(out, "less than a minute"));
	ck_assert_ptr_nonnull(strstr(out, "2 min 05 s"));
	free(out);

	profile__free(p);
	stacktab__free(t);
}
END_TEST

START_TEST(test_sampled_report)
{
	struct stacktab *t = stacktab__new();
	struct profile *p = profile__new(512 * 1024);
	static const char *const leak[] = { "main", "grow", "malloc" };
	uint32_t id = intern(t, leak, 3);
	struct report_input in = { 0 };
	char *out;

	profile__alloc(p, 0x1000, 4096, id, 0);
	in.pid = 1;
	in.stacks = t;
	in.profile = p;
	in.duration_s = 5;
	out = render(&in);
	ck_assert_ptr_nonnull(strstr(out, "one sample per 512.0 KiB"));
	ck_assert_ptr_nonnull(strstr(out, "live ~514.0 KiB in ~129 blocks (1 sample)"));
	ck_assert_ptr_nonnull(strstr(out, "unknown frees     not counted when sampling"));
	ck_assert_ptr_nonnull(strstr(out, "allocator  unknown"));
	ck_assert_ptr_nonnull(strstr(out, "none found"));
	free(out);
	profile__free(p);
	stacktab__free(t);
}
END_TEST

/* What memspy cannot see is said in the report, not only on stderr: a runtime's
 * own heap (pointing at the new pages) and Python frames that are off. */
START_TEST(test_unseen_report)
{
	struct stacktab *t = stacktab__new();
	struct profile *p = profile__new(512 * 1024);
	struct report_input in = { 0 };
	char *out;

	in.stacks = t;
	in.profile = p;
	in.unseen = (struct unseen_heap){ "the Go heap", "the Go runtime", "cgo code" };
	in.rss = true;
	in.python_off = "CPython 3.12.5 (/x), whose frames memspy cannot read (why)";
	out = render(&in);
	ck_assert_ptr_nonnull(strstr(out, "  not seen   the Go heap, which the Go runtime manages "
					  "itself:\n             these probes see only C "
					  "allocations (cgo code);"));
	ck_assert_ptr_nonnull(strstr(out, "(== rss ==, rss.folded)"));
	ck_assert_ptr_nonnull(strstr(out, "among C allocations only: the Go heap is not seen"));
	ck_assert_ptr_nonnull(strstr(out, "  python     frames off: CPython 3.12.5 (/x), whose "
					  "frames memspy cannot read (why)\n"));
	free(out);
	in.rss = false;
	in.python_off = "";
	out = render(&in);
	ck_assert_ptr_nonnull(strstr(out, "run without --no-rss"));
	ck_assert_ptr_null(strstr(out, "python "));
	free(out);
	in.unseen.heap = NULL;
	out = render(&in);
	ck_assert_ptr_null(strstr(out, "not seen"));
	free(out);
	profile__free(p);
	stacktab__free(t);
}
END_TEST

/* Page-fault sampling follows the fault rate: every fault when rare, about
 * MS_RSS_SAMPLES_PER_S samples a second in a storm, bounded. */
START_TEST(test_rss_period)
{
	ck_assert_uint_eq(rss_period_for(0), 1);
	ck_assert_uint_eq(rss_period_for(MS_RSS_SAMPLES_PER_S), 1);
	ck_assert_uint_eq(rss_period_for(MS_RSS_SAMPLES_PER_S + 1), 2);
	ck_assert_uint_eq(rss_period_for(7000), 128);
	ck_assert_uint_le(7000.0 / rss_period_for(7000), MS_RSS_SAMPLES_PER_S);
	ck_assert_uint_eq(rss_period_for(1e12), MS_RSS_MAX_PERIOD);
}
END_TEST

/* rss's top list: stacks that share a title are one entry, summed. */
START_TEST(test_rss_titles_merged)
{
	struct stacktab *t = stacktab__new();
	struct cpu_profile *c = cpu_profile__new();
	static const char *const callers[] = {"a (app.py:10)", "b (app.py:20)", "c (app.py:25)"};
	static const char *const other[] = {"main", "load (app.py:40)", "malloc"};
	uint64_t counters[MS_RSS_COUNT] = {0};
	char *out = NULL;
	size_t len;
	FILE *f = open_memstream(&out, &len);

	for (size_t i = 0; i < 3; i++) {
		const char *names[] = {"main", callers[i], "<listcomp> (app.py:33)", "malloc"};

		ck_assert_int_eq(cpu_profile__add(c, intern(t, names, 4), 100 * 4096), 0);
	}
	ck_assert_int_eq(cpu_profile__add(c, intern(t, other, 3), 200 * 4096), 0);
	report_rss_write(f, t, c, 0, counters, &(struct rss_tracing){.period_min = 1, .period_max = 1},
			 -1, -1);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(out, "  #1 <listcomp> (app.py:33)  ~1.2 MiB (60%) in 3 stacks\n"
					  "  #2 load (app.py:40)  ~800.0 KiB (40%)\n"));
	ck_assert_ptr_null(strstr(out, "#3"));
	free(out);
	cpu_profile__free(c);
	stacktab__free(t);
}
END_TEST

static char *verdict(const struct verdict_input *in)
{
	char *out = NULL;
	size_t len;
	FILE *f = open_memstream(&out, &len);

	report_verdict_write(f, in);
	fclose(f);
	return out;
}

/* The verdict: the likeliest leak per unit of work, or why there is none. */
START_TEST(test_verdict)
{
	struct stacktab *t = stacktab__new();
	static const char *const leak[] = {"main", "leak (app.py:32)", "malloc"};
	struct series alloc = {.n = 3, .interval_ns = 1000000000ull};
	struct leak_work w;
	struct leak_suspect s = {.stack_id = intern(t, leak, 3), .slope = 4 << 20,
				 .per_gib = 400 << 20, .growth = 50 << 20, .peak = 50 << 20};
	struct verdict_input in = {.stacks = t, .work = &w, .suspects = &s, .nr_suspects = 1,
				   .rss_start = -1, .rss_end = -1,
				   .load_status = "exited with status 0"};
	char *out;

	alloc.points = (double[]){0, 1e8, 2e8};
	leak_work_init(&w, &alloc);
	w.no_work = false;
	out = verdict(&in);
	if (getenv("MEMSPY_SHOW_REPORT"))
		fputs(out, stderr);
	ck_assert_ptr_nonnull(strstr(out, "== verdict ==\n  leak (app.py:32) grew by 50.0 MiB, "
					  "400.0 MiB per GiB the process allocated\n  (4.0 MiB per "
					  "second of load), and kept all of it: look there first"));
	ck_assert_ptr_nonnull(strstr(out, "The\n  load command exited with status 0."));
	free(out);
	w.no_work = true;
	out = verdict(&in);
	ck_assert_ptr_nonnull(strstr(out, "No verdict on leaks: the process hardly worked"));
	free(out);
	w.no_work = false;
	in.nr_suspects = 0;
	out = verdict(&in);
	ck_assert_ptr_nonnull(strstr(out, "No leak found: over 2 s of load"));
	free(out);
	/* no heap suspect: the RSS suspect, judged against the new pages faulted in */
	s.released = 10 << 20;
	s.peak = 60 << 20;
	in.rss_work = &w;
	in.rss_suspects = &s;
	in.nr_rss_suspects = 1;
	w.faults = true;
	out = verdict(&in);
	ck_assert_ptr_nonnull(strstr(out, "No heap site grew with the work, but RSS did: the new "
					  "pages of leak\n  (app.py:32) grew by 50.0 MiB, 400.0 MiB "
					  "per GiB of new pages the process\n  faulted in (4.0 MiB per "
					  "second of load), and kept 83% of their peak: look\n  there "
					  "first (the first RSS suspect in == rss =="));
	free(out);
	/* and when the allocator saw no work */
	w.faults = false;
	in.work = &(struct leak_work){.no_work = true};
	out = verdict(&in);
	ck_assert_ptr_nonnull(strstr(out, "The process hardly allocated through its allocator, "
					  "but its RSS grew"));
	ck_assert_ptr_null(strstr(out, "faulted in"));
	free(out);
	stacktab__free(t);
}
END_TEST

/* The RSS suspects at the end of "== rss ==": per GiB of work, per second of load,
 * what was given back, the stack; and what they were judged against. */
START_TEST(test_rss_suspects)
{
	struct stacktab *t = stacktab__new();
	static const char *const leak[] = {"main", "keep (app.py:9)", "PyTuple_New"};
	struct series faulted = {.n = 3, .interval_ns = 1000000000ull,
				 .points = (double[]){0, 1e8, 2e8}};
	struct leak_work w;
	struct leak_suspect s = {.stack_id = intern(t, leak, 3), .slope = 4 << 20,
				 .per_gib = 400 << 20, .growth = 50 << 20, .peak = 60 << 20,
				 .released = 10 << 20, .span_s = 30, .load_s = 20, .intervals = 20,
				 .rises = 18, .falls = 1};
	struct rss_suspects_input in = {.stacks = t, .work = &w, .suspects = &s, .nr_suspects = 1,
					.work_why = "the heap was not tracked (--no-heap)"};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	leak_work_init_faults(&w, &faulted);
	w.no_work = false;
	report_rss_write_suspects(f, &in);
	in.nr_suspects = 0;
	report_rss_write_suspects(f, &in);
	w.no_work = true;
	report_rss_write_suspects(f, &in);
	fclose(f);
	if (getenv("MEMSPY_SHOW_REPORT"))
		fputs(buf, stderr);
	ck_assert_ptr_nonnull(strstr(buf, "judged against the new pages faulted in, since\n  the heap "
					  "was not tracked (--no-heap): 2 s of load at 9.5 MiB/s or "
					  "more\n"
					  "  #1 keep (app.py:9)  +400.0 MiB per GiB of new pages, "
					  "+4.0 MiB/s of load\n      grew 50.0 MiB over 30.0 s (20.0 s "
					  "of load), rose in 90% of load intervals, released 10.0 MiB "
					  "(17%) since its peak\n      PyTuple_New\n      keep (app.py:9)\n"));
	ck_assert_ptr_nonnull(strstr(buf, "  none: no stack's new pages grew with the work"));
	ck_assert_ptr_nonnull(strstr(buf, "  suspects          none judged: the process hardly "
					  "worked (190.7 MiB of new pages faulted in)\n"));
	free(buf);
	stacktab__free(t);
}
END_TEST

Suite *suite_report(void)
{
	Suite *s = suite_create("report");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_titles);
	tcase_add_test(tc, test_titles_shared);
	tcase_add_test(tc, test_report_shared_titles);
	tcase_add_test(tc, test_format_bytes);
	tcase_add_test(tc, test_rss_period);
	tcase_add_test(tc, test_exact_report);
	tcase_add_test(tc, test_sampled_report);
	tcase_add_test(tc, test_unseen_report);
	tcase_add_test(tc, test_rss_titles_merged);
	tcase_add_test(tc, test_verdict);
	tcase_add_test(tc, test_rss_suspects);
	suite_add_tcase(s, tc);
	return s;
}
