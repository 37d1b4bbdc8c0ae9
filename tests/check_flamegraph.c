/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of flamegraph and diff: parsing, merging, layout against golden files, widths, XML. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check_suites.h"
#include "output/assets.h"
#include "output/diff.h"
#include "output/flame_palette.h"
#include "output/flamegraph.h"
#include "output/svg.h"

#define DATA MS_TEST_DATA "/flamegraph"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)))
		fwrite(chunk, 1, n, m);
	fclose(m);
	fclose(f);
	return buf;
}

/* Read len bytes of folded text into a tree; returns flame_tree__read's result. */
static int read_mem(struct flame_tree *t, const char *text, size_t len, bool to_base, char *err,
		    size_t errsize)
{
	FILE *f = fmemopen((void *)text, len, "r");
	ck_assert_ptr_nonnull(f);
	int ret = flame_tree__read(t, f, "input", to_base, err, errsize);
	fclose(f);
	return ret;
}

static int read_text(struct flame_tree *t, const char *text, bool to_base, char *err,
		     size_t errsize)
{
	return read_mem(t, text, strlen(text), to_base, err, errsize);
}

static struct flame_tree *tree_of(const char *text)
{
	char err[256] = "";
	struct flame_tree *t = flame_tree__new();
	ck_assert_ptr_nonnull(t);
	int ret = read_text(t, text, false, err, sizeof(err));
	ck_assert_msg(ret == 0, "read failed: %d %s", ret, err);
	return t;
}

static char *svg_of(const struct flame_tree *t, const struct flame_options *o)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	ck_assert_int_eq(flame_tree__write_svg(t, m, o), 0);
	fclose(m);
	return buf;
}

static char *svg_of_file(const char *path, const struct flame_options *o)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	ck_assert_int_eq(flamegraph_render_file(path, m, o), 0);
	fclose(m);
	return buf;
}

/* The frame lines of an SVG: the layout, without the script. */
static char *frames_of(const char *svg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	for (const char *p = svg; (p = strstr(p, "<g class=\"f\"")); p++) {
		const char *end = strchr(p, '\n');
		fwrite(p, 1, end ? (size_t)(end - p + 1) : strlen(p), m);
	}
	fclose(m);
	return buf;
}

/* xmllint accepts svg as XML; check_timeline.c uses it too. */
void check_xml(const char *svg)
{
	char path[] = "/tmp/memspy-check-XXXXXX.svg";
	int fd = mkstemps(path, 4);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, svg, strlen(svg)), (ssize_t)strlen(svg));
	close(fd);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "xmllint --noout %s", path);
	int status = system(cmd);
	ck_assert_msg(status == 0, "xmllint rejects %s (status %d; is libxml2-utils installed?)",
		      path, status);
	unlink(path);
}

/* Compare the frame lines with tests/data/flamegraph/NAME.golden; MS_UPDATE_GOLDEN=1
 * rewrites the golden file instead. */
static void check_golden(const char *svg, const char *name)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s.golden", DATA, name);
	char *frames = frames_of(svg);
	if (getenv("MS_UPDATE_GOLDEN")) {
		FILE *f = fopen(path, "w");
		ck_assert_ptr_nonnull(f);
		fputs(frames, f);
		fclose(f);
	}
	char *want = slurp(path);
	ck_assert_msg(want != NULL, "cannot read %s", path);
	ck_assert_msg(!strcmp(frames, want), "layout differs from %s:\n%s", path, frames);
	free(want);
	free(frames);
}

static char *stacks_of(const struct flame_tree *t);

START_TEST(test_merge_and_totals)
{
	struct flame_tree *t = tree_of("a;b;c 1\n"
				       "a;b 2\n"
				       "a;b;c 3\n"
				       "a;x 4\n"
				       "\n"
				       "# a comment\n"
				       "a;b;d 0\n"
				       "  q;r\t5  \r\n");
	ck_assert_uint_eq(flame_tree__total(t, false), 15);
	ck_assert_uint_eq(flame_tree__total(t, true), 0);
	/* root, a, b, c, x, q, r: the zero line adds no frame */
	ck_assert_uint_eq(flame_tree__nr_nodes(t), 7);
	char *s = stacks_of(t);
	ck_assert_str_eq(s, "a;b 2/0\na;b;c 4/0\na;x 4/0\nq;r 5/0\n");
	free(s);
	flame_tree__free(t);
}
END_TEST

static int collect(void *arg, const char *stack, uint64_t value, uint64_t base)
{
	fprintf(arg, "%s %llu/%llu\n", stack, (unsigned long long)value, (unsigned long long)base);
	return 0;
}

static char *stacks_of(const struct flame_tree *t)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	ck_assert_int_eq(flame_tree__foreach_stack(t, collect, m), 0);
	fclose(m);
	return buf;
}

/* The prefix cache must not confuse frames that share bytes but not boundaries. */
START_TEST(test_prefix_reuse)
{
	struct flame_tree *t = tree_of("ab;c 1\n"
				       "a;bc 2\n"
				       "ab;cd 4\n"
				       "ab;c;d 8\n"
				       "ab;c 16\n"
				       "ab 32\n"
				       "ab;;x 64\n");
	char *s = stacks_of(t);
	ck_assert_str_eq(s, "a;bc 2/0\nab 32/0\nab;[unknown];x 64/0\nab;c 17/0\n"
			    "ab;c;d 8/0\nab;cd 4/0\n");
	free(s);
	flame_tree__free(t);
}
END_TEST

START_TEST(test_fraction_rounds)
{
	struct flame_tree *t = tree_of("a 1.6\nb 2.4\nc 3.\n");
	ck_assert_uint_eq(flame_tree__total(t, false), 2 + 2 + 3);
	flame_tree__free(t);
}
END_TEST

#define check_error(text, want) check_error_n(text, sizeof(text) - 1, want)

static void check_error_n(const char *text, size_t len, const char *want)
{
	char err[256] = "";
	struct flame_tree *t = flame_tree__new();
	int ret = read_mem(t, text, len, false, err, sizeof(err));
	ck_assert_int_eq(ret, -EINVAL);
	ck_assert_msg(strstr(err, want) != NULL, "error '%s' does not contain '%s'", err, want);
	flame_tree__free(t);
}

START_TEST(test_malformed)
{
	check_error("a;b 1\n\n# c\na;b;c\n", "input:4: missing sample count");
	check_error("a;b 1\na;b x12\n", "input:2: missing sample count");
	check_error("a;b -5\n", "input:1: negative sample count");
	check_error("a;b 99999999999999999999999\n", "input:1: sample count too large");
	check_error("a 1\n   12\n", "input:2: missing sample count");
	check_error("a\0b 1\n", "input:1: not text (NUL byte)");

	char err[256] = "";
	struct flame_tree *t = flame_tree__new();
	ck_assert_int_eq(read_text(t, "a 18446744073709551615\nb 1\n", false, err, sizeof(err)),
			 -EOVERFLOW);
	ck_assert_ptr_nonnull(strstr(err, "input:2: total of sample counts too large"));
	flame_tree__free(t);
}
END_TEST

START_TEST(test_empty)
{
	struct flame_tree *t = tree_of("# nothing\n\nmain 0\n");
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	ck_assert_int_eq(flame_tree__write_svg(t, m, NULL), -ENODATA);
	fclose(m);
	free(buf);
	struct flame_options o = {.allow_empty = true};
	char *svg = svg_of(t, &o);
	ck_assert_ptr_nonnull(strstr(svg, "No samples were recorded."));
	check_xml(svg);
	free(svg);
	flame_tree__free(t);
}
END_TEST

START_TEST(test_render_file_errors)
{
	char path[] = "/tmp/memspy-check-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	const char bad[] = "a;b 1\nbroken line\n";
	ck_assert_int_eq(write(fd, bad, sizeof(bad) - 1), (ssize_t)sizeof(bad) - 1);
	close(fd);
	FILE *null = fopen("/dev/null", "w");
	ck_assert_int_eq(flamegraph_render_file(path, null, NULL), -EINVAL);
	unlink(path);
	ck_assert_int_eq(flamegraph_render_file(path, null, NULL), -ENOENT);
	fclose(null);
}
END_TEST

START_TEST(test_frame_kinds)
{
	ck_assert_int_eq(flamegraph_frame_kind("do_syscall_64_[k]"), MS_FRAME_KERNEL);
	ck_assert_int_eq(flamegraph_frame_kind("sdsMakeRoomFor_[i]"), MS_FRAME_INLINED);
	ck_assert_int_eq(flamegraph_frame_kind("Interpreter_[j]"), MS_FRAME_JIT);
	ck_assert_int_eq(flamegraph_frame_kind("index (app.py:15)"), MS_FRAME_PYTHON);
	ck_assert_int_eq(flamegraph_frame_kind("f (/usr/lib/python3/x.py)"), MS_FRAME_PYTHON);
	ck_assert_int_eq(flamegraph_frame_kind("<module> (gunicorn:8)"), MS_FRAME_PYTHON);
	ck_assert_int_eq(flamegraph_frame_kind("loads_[py]"), MS_FRAME_PYTHON);
	ck_assert_int_eq(flamegraph_frame_kind("operator new(unsigned long)"), MS_FRAME_NATIVE);
	ck_assert_int_eq(flamegraph_frame_kind("malloc"), MS_FRAME_NATIVE);
	ck_assert_int_eq(flamegraph_frame_kind("[unknown] (libfoo.so)"), MS_FRAME_NATIVE);
	ck_assert_int_eq(flamegraph_frame_kind("_[k]"), MS_FRAME_NATIVE);
}
END_TEST

#define STR_(x) #x
#define STR(x)	STR_(x)

/* The viewer cuts labels on zoom as flamegraph.c cuts them when drawing. */
START_TEST(test_viewer_font)
{
	ck_assert_ptr_nonnull(
	    strstr(flamegraph_js,
		   "\nvar fontw = " STR(MS_FLAME_FONT_SIZE) " * " STR(MS_FLAME_FONT_WIDTH) ";\n"));
	ck_assert_ptr_nonnull(strstr(flamegraph_css, "font-size: " STR(MS_FLAME_FONT_SIZE) "px"));
	ck_assert_ptr_null(strstr(flamegraph_js, "SPDX"));
}
END_TEST

START_TEST(test_format_value)
{
	char buf[64];
	flamegraph_format_value(buf, sizeof(buf), 100, MS_FLAME_MEM, false);
	ck_assert_str_eq(buf, "100 B");
	flamegraph_format_value(buf, sizeof(buf), 1536, MS_FLAME_MEM, false);
	ck_assert_str_eq(buf, "1.50 KiB");
	flamegraph_format_value(buf, sizeof(buf), 3.5 * 1024 * 1024 * 1024, MS_FLAME_MEM, false);
	ck_assert_str_eq(buf, "3.50 GiB");
	flamegraph_format_value(buf, sizeof(buf), -2 * 1048576.0, MS_FLAME_MEM, true);
	ck_assert_str_eq(buf, "-2.00 MiB");
	flamegraph_format_value(buf, sizeof(buf), 512, MS_FLAME_MEM, true);
	ck_assert_str_eq(buf, "+512 B");
	flamegraph_format_value(buf, sizeof(buf), 1, MS_FLAME_CPU, false);
	ck_assert_str_eq(buf, "1 sample");
	flamegraph_format_value(buf, sizeof(buf), 1234, MS_FLAME_CPU, false);
	ck_assert_str_eq(buf, "1234 samples");
}
END_TEST

static char *xml_of(const char *s, size_t max)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	svg_write_text(m, s, max);
	fclose(m);
	return buf;
}

START_TEST(test_escape)
{
	static const struct {
		const char *in;
		size_t max;
		const char *out;
	} cases[] = {
	    {"a<b>&\"c'd", 0, "a&lt;b&gt;&amp;&quot;c&apos;d"},
	    {"ünïcödé_函数", 0, "ünïcödé_函数"},
	    {"emoji \xf0\x9f\x94\xa5", 0, "emoji \xf0\x9f\x94\xa5"},
	    {"bad\xff\xfe", 0, "bad\xef\xbf\xbd\xef\xbf\xbd"},
	    {"cut \xe5\x87", 0, "cut \xef\xbf\xbd\xef\xbf\xbd"},
	    {"overlong \xc0\xaf", 0, "overlong \xef\xbf\xbd\xef\xbf\xbd"},
	    {"ctl\x01\x1f", 0, "ctl\xef\xbf\xbd\xef\xbf\xbd"},
	    {"tab\tok", 0, "tab\tok"},
	    {"abcdefgh", 5, "abc.."},
	    {"abcde", 5, "abcde"},
	    {"éééééé", 4, "éé.."},
	    {"<<<<<<", 4, "&lt;&lt;.."},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = xml_of(cases[i].in, cases[i].max);
		ck_assert_msg(!strcmp(got, cases[i].out), "case %zu: got '%s', want '%s'", i, got,
			      cases[i].out);
		free(got);
	}
}
END_TEST

START_TEST(test_escape_in_svg)
{
	struct flame_options o = {.title = "<script>alert('x')</script> & \"more\""};
	char *svg = svg_of_file(DATA "/escape.folded", &o);
	check_xml(svg);
	ck_assert_ptr_nonnull(strstr(svg, "&lt;script&gt;alert(&apos;x&apos;)&lt;/script&gt; &amp; "
					  "&quot;more&quot;"));
	ck_assert_ptr_nonnull(strstr(svg, "<title>a&lt;b&gt;&amp;&quot;c&apos;d&quot;&#10;"));
	ck_assert_ptr_nonnull(strstr(svg, "<title>ünïcödé_函数&#10;"));
	ck_assert_ptr_nonnull(strstr(svg, "<title>bad\xef\xbf\xbd\xef\xbf\xbdutf8&#10;"));
	ck_assert_ptr_null(strstr(svg, "<script>alert"));
	check_golden(svg, "escape");
	free(svg);
}
END_TEST

START_TEST(test_golden_layouts)
{
	static const struct {
		const char *name;
		struct flame_options o;
	} cases[] = {
	    {"basic", {.title = "basic"}},
	    {"basic-inverted", {.inverted = true, .width = 800}},
	    {"perf", {.colors = MS_FLAME_CPU}},
	    {"pyspy", {.colors = MS_FLAME_CPU, .width = 600}},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[512], input[64];
		snprintf(input, sizeof(input), "%s", cases[i].name);
		char *dash = strchr(input, '-');
		if (dash)
			*dash = '\0';
		snprintf(path, sizeof(path), "%s/%s.folded", DATA, input);
		char *svg = svg_of_file(path, &cases[i].o);
		check_xml(svg);
		check_golden(svg, cases[i].name);
		free(svg);
	}
}
END_TEST

START_TEST(test_tooltips_and_colors)
{
	char *svg = svg_of_file(DATA "/basic.folded", NULL);
	/* 4096 twice + 8192 + 65536 + 2048 + 1024 + 512 = 85504 bytes */
	ck_assert_ptr_nonnull(strstr(svg, "<title>all&#10;83.50 KiB, 100.00%</title>"));
	ck_assert_ptr_nonnull(strstr(svg, "<title>cache_put&#10;64.00 KiB, 76.65%</title>"));
	ck_assert_ptr_nonnull(strstr(svg, "<title>do_syscall_64&#10;1.00 KiB, 1.20%, kernel"));
	ck_assert_ptr_nonnull(strstr(svg, "<title>inline_me&#10;512 B, 0.60%, inlined"));
	ck_assert_ptr_nonnull(strstr(svg, "data-units=\"bytes\""));
	free(svg);

	struct flame_options o = {.colors = MS_FLAME_CPU};
	svg = svg_of_file(DATA "/perf.folded", &o);
	ck_assert_ptr_nonnull(strstr(svg, "<title>swapper&#10;30 samples, 33.33%</title>"));
	ck_assert_ptr_nonnull(strstr(svg, "data-units=\"samples\""));
	free(svg);
}
END_TEST

/* Pull one numeric attribute out of a frame line. */
static double attr(const char *line, const char *name)
{
	char key[32];
	snprintf(key, sizeof(key), " %s=\"", name);
	const char *p = strstr(line, key);
	ck_assert_msg(p != NULL, "no %s in %.80s", name, line);
	return strtod(p + strlen(key), NULL);
}

START_TEST(test_widths_are_shares)
{
	/* 40 callers of malloc with known values, one with a callee, and 30 frames each
	 * under 0.1% (about 24.5k) that must be merged into one box. */
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	uint64_t total = 0;
	for (int i = 0; i < 40; i++) {
		uint64_t v = 100000 + 997 * (uint64_t)i * (uint64_t)i;
		fprintf(m, "main;caller_%02d;malloc %llu\n", i, (unsigned long long)v);
		total += v;
	}
	fprintf(m, "main;caller_07;helper;malloc 50000\n");
	total += 50000;
	for (int i = 0; i < 30; i++) {
		fprintf(m, "main;tiny_%02d 1000\n", i);
		total += 1000;
	}
	fclose(m);
	struct flame_tree *t = tree_of(text);
	ck_assert_uint_eq(flame_tree__total(t, false), total);
	const unsigned int width = 1000;
	struct flame_options o = {.width = width};
	char *svg = svg_of(t, &o);
	check_xml(svg);
	double fullw = width - 2 * 10;
	size_t frames = 0, merged = 0;
	double right_edge = 0;
	for (char *p = svg; (p = strstr(p, "<g class=\"f\"")); p++) {
		char *end = strchr(p, '\n');
		*end = '\0';
		double v = attr(p, "data-v"), s = attr(p, "data-s");
		double x = attr(p, "x"), w = attr(p, "width");
		ck_assert_msg(fabs(w - v / (double)total * fullw) <= 1.0,
			      "width %g for value %g: %s", w, v, p);
		ck_assert_msg(fabs(x - (10 + s / (double)total * fullw)) <= 1.0, "x %g: %s", x, p);
		if (strstr(p, "data-n=\"merged\"")) {
			merged++;
			ck_assert_double_eq(v, 30 * 1000);
			ck_assert_ptr_nonnull(strstr(p, "[30 frames under 0.1%]"));
		}
		if (attr(p, "data-d") == 2 && x + w > right_edge)
			right_edge = x + w;
		frames++;
		*end = '\n';
	}
	/* root, main, 40 callers + 40 mallocs, helper + malloc, one merged box */
	ck_assert_uint_eq(frames, 2 + 80 + 2 + 1);
	ck_assert_uint_eq(merged, 1);
	ck_assert_double_le(fabs(right_edge - (10 + fullw)), 1.0);
	free(svg);
	free(text);
	flame_tree__free(t);
}
END_TEST

START_TEST(test_truncated_names_fit)
{
	struct flame_tree *t = tree_of("main;a_rather_long_function_name_that_cannot_fit 10\n"
				       "main;short 990\n");
	struct flame_options o = {.width = 400};
	char *svg = svg_of(t, &o);
	/* 1% of 380 px is 3.8 px: no room for text at all */
	ck_assert_ptr_nonnull(strstr(svg, "<title>a_rather_long_function_name_that_cannot_fit"));
	ck_assert_ptr_null(strstr(svg, ">a_rather_long_function_name_that_cannot_fit</text>"));
	free(svg);
	flame_tree__free(t);

	t = tree_of("main;a_rather_long_function_name_that_cannot_fit 300\nmain;short 700\n");
	svg = svg_of(t, &o);
	/* 114 px hold (114 - 6) / 7.08 = 15 characters: 13 and ".." */
	ck_assert_ptr_nonnull(strstr(svg, ">a_rather_long..</text>"));
	free(svg);
	flame_tree__free(t);
}
END_TEST

START_TEST(test_deep_stack)
{
	/* 100000 frames in one line: walks must not recurse */
	size_t n = 100000;
	char *text = malloc(n * 4 + 16);
	char *p = text;
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%sf%zu", i ? ";" : "", i % 10);
	strcpy(p, " 7\n");
	struct flame_tree *t = tree_of(text);
	ck_assert_uint_eq(flame_tree__nr_nodes(t), n + 1);
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	ck_assert_int_eq(flame_tree__write_svg(t, m, NULL), 0);
	ck_assert_int_eq(flame_tree__foreach_stack(t, collect, m), 0);
	fclose(m);
	free(buf);
	free(text);
	flame_tree__free(t);
}
END_TEST

/* A profile far wider than the limit stays bounded, and what is drawn is unchanged. */
START_TEST(test_bounded_memory)
{
	struct flame_tree *exact = flame_tree__new(), *bounded = flame_tree__new();
	flame_tree__set_limit(exact, 0);
	flame_tree__set_limit(bounded, 20000);
	char line[128];
	unsigned int seed = 1;
	for (int i = 0; i < 200000; i++) {
		seed = seed * 1103515245 + 12345;
		int n = snprintf(line, sizeof(line), "main;hot_%u;f%u;g%u", (seed >> 8) % 7,
				 (seed >> 12) % 300, seed % 1000 + (unsigned int)i % 2);
		uint64_t v = i % 100 == 0 ? 100000 : 1 + seed % 50;
		ck_assert_int_eq(flame_tree__add(exact, line, (size_t)n, v, false), 0);
		ck_assert_int_eq(flame_tree__add(bounded, line, (size_t)n, v, false), 0);
	}
	ck_assert(flame_tree__compacted(bounded));
	ck_assert(!flame_tree__compacted(exact));
	ck_assert_uint_le(flame_tree__nr_nodes(bounded), 20000 + 1);
	ck_assert_uint_gt(flame_tree__nr_nodes(exact), 100000);
	ck_assert_uint_eq(flame_tree__total(exact, false), flame_tree__total(bounded, false));
	char *a = svg_of(exact, NULL), *b = svg_of(bounded, NULL);
	char *fa = frames_of(a), *fb = frames_of(b);
	/* Boxes over 0.1% are identical; only the merged boxes may differ. */
	size_t na = 0, nb = 0;
	for (char *p = fa; (p = strstr(p, "\n")); p++)
		na++;
	for (char *p = fb; (p = strstr(p, "\n")); p++)
		nb++;
	ck_assert_uint_eq(na, nb);
	for (char *p = fa, *q = fb; *p; p = strchr(p, '\n') + 1, q = strchr(q, '\n') + 1) {
		size_t lp = (size_t)(strchr(p, '\n') - p), lq = (size_t)(strchr(q, '\n') - q);
		if (strstr(p, "data-n=\"merged\"") && strstr(q, "data-n=\"merged\""))
			continue;
		ck_assert_msg(lp == lq && !memcmp(p, q, lp), "%.*s\n!=\n%.*s", (int)lp, p, (int)lq,
			      q);
	}
	free(fa);
	free(fb);
	free(a);
	free(b);
	flame_tree__free(exact);
	flame_tree__free(bounded);
}
END_TEST

/* A million lines (100k distinct stacks, repeated) read and drawn in seconds. */
START_TEST(test_million_lines)
{
	FILE *f = tmpfile();
	ck_assert_ptr_nonnull(f);
	for (int i = 0; i < 1000000; i++)
		fprintf(f, "start;main;loop_%d;work_%d;step_%d;alloc_%d;malloc %d\n", i % 7,
			(i / 7) % 13, (i / 91) % 11, (i / 1001) % 100, 1 + i % 97);
	rewind(f);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct flame_tree *t = flame_tree__new();
	char err[256];
	ck_assert_int_eq(flame_tree__read(t, f, "big", false, err, sizeof(err)), 0);
	FILE *null = fopen("/dev/null", "w");
	ck_assert_int_eq(flame_tree__write_svg(t, null, NULL), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	ck_assert_msg(secs < 10, "a million lines took %.1f s", secs);
	ck_assert_uint_le(flame_tree__nr_nodes(t), 3 + 7 * (1 + 13 * (1 + 11 * (1 + 100 * 2))));
	fclose(null);
	fclose(f);
	flame_tree__free(t);
}
END_TEST

/* ------------------------------------------------------------------ diff */

/* a.folded (before) and b.folded (after), read for a diff. */
static struct flame_tree *diff_ab(bool exact)
{
	struct flame_tree *t = diff_read_files(DATA "/a.folded", DATA "/b.folded", exact, NULL);
	ck_assert_ptr_nonnull(t);
	return t;
}

START_TEST(test_diff_folded)
{
	struct flame_tree *t = diff_ab(true);
	ck_assert_uint_eq(flame_tree__total(t, true), 5500);
	ck_assert_uint_eq(flame_tree__total(t, false), 12250);
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	ck_assert_int_eq(diff_write_folded(t, m), 0);
	fclose(m);
	ck_assert_str_eq(buf, "main;cache_put;malloc 8000\n"
			      "main;new_path;malloc 250\n"
			      "main;old_path;malloc -500\n"
			      "main;parse;malloc -1000\n");
	free(buf);
	flame_tree__free(t);

	errno = 0;
	ck_assert_ptr_null(diff_read_files(DATA "/a.folded", "/nonexistent/b.folded", true, NULL));
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

START_TEST(test_diff_svg)
{
	struct flame_tree *t = diff_ab(false);
	char *svg = svg_of(t, NULL);
	check_xml(svg);
	check_golden(svg, "diff");
	ck_assert_ptr_nonnull(strstr(svg, "Differential Flame Graph"));
	/* cache_put grew most: deepest red; parse shrank: blue; old_path is not drawn */
	ck_assert_ptr_nonnull(strstr(svg, "<title>cache_put&#10;8.79 KiB, 73.47%&#10;was 1000 B, "
					  "change +7.81 KiB (+800.0%)</title><rect"));
	ck_assert_ptr_nonnull(strstr(svg, "fill=\"rgb(255,10,10)\""));
	ck_assert_ptr_nonnull(strstr(svg, "change -1000 B (-25.0%)"));
	ck_assert_ptr_nonnull(strstr(svg, "change +250 B (new)"));
	ck_assert_ptr_null(strstr(svg, "<title>old_path"));
	free(svg);
	flame_tree__free(t);
}
END_TEST

START_TEST(test_diff_palette)
{
	char buf[32];
	flame_palette_diff(100, 100, 50, buf, sizeof(buf));
	ck_assert_str_eq(buf, "rgb(250,250,250)");
	flame_palette_diff(150, 100, 50, buf, sizeof(buf));
	ck_assert_str_eq(buf, "rgb(255,10,10)");
	flame_palette_diff(50, 100, 50, buf, sizeof(buf));
	ck_assert_str_eq(buf, "rgb(10,10,255)");
	int r, g, b;
	flame_palette_diff(101, 100, 100, buf, sizeof(buf));
	ck_assert_int_eq(sscanf(buf, "rgb(%d,%d,%d)", &r, &g, &b), 3);
	ck_assert_int_eq(r, 255);
	ck_assert_int_gt(g, 150); /* a small change is pale */
	ck_assert_int_eq(g, b);
}
END_TEST

Suite *suite_flamegraph(void)
{
	Suite *s = suite_create("flamegraph");
	TCase *tc = tcase_create("parse");
	tcase_add_test(tc, test_merge_and_totals);
	tcase_add_test(tc, test_prefix_reuse);
	tcase_add_test(tc, test_fraction_rounds);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_render_file_errors);
	tcase_add_test(tc, test_deep_stack);
	suite_add_tcase(s, tc);

	tc = tcase_create("svg");
	tcase_add_test(tc, test_frame_kinds);
	tcase_add_test(tc, test_format_value);
	tcase_add_test(tc, test_viewer_font);
	tcase_add_test(tc, test_escape);
	tcase_add_test(tc, test_escape_in_svg);
	tcase_add_test(tc, test_golden_layouts);
	tcase_add_test(tc, test_tooltips_and_colors);
	tcase_add_test(tc, test_widths_are_shares);
	tcase_add_test(tc, test_truncated_names_fit);
	suite_add_tcase(s, tc);

	tc = tcase_create("diff");
	tcase_add_test(tc, test_diff_folded);
	tcase_add_test(tc, test_diff_svg);
	tcase_add_test(tc, test_diff_palette);
	suite_add_tcase(s, tc);

	tc = tcase_create("large");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_bounded_memory);
	tcase_add_test(tc, test_million_lines);
	suite_add_tcase(s, tc);
	return s;
}
