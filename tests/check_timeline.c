/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of timeline: axes, units, legend, gaps and well-formed XML. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_suites.h"
#include "output/timeline.h"

static char *chart(const char *title, const struct timeline_series *s, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	ck_assert_int_eq(timeline_write_svg(m, title, s, n), 0);
	fclose(m);
	return buf;
}

/* In check_flamegraph.c. */
void check_xml(const char *svg);

static size_t count(const char *s, const char *what)
{
	size_t n = 0;
	for (; (s = strstr(s, what)); s++)
		n++;
	return n;
}

START_TEST(test_three_series)
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
	char *svg = chart("memory of pid 42", s, 3);
	check_xml(svg);
	ck_assert_ptr_nonnull(strstr(svg, ">memory of pid 42</text>"));
	/* 110 MB peak: MiB ticks, 20 MiB apart, up to 120 MiB */
	ck_assert_ptr_nonnull(strstr(svg, ">bytes (MiB)</text>"));
	ck_assert_ptr_nonnull(strstr(svg, ">120 MiB</text>"));
	ck_assert_ptr_nonnull(strstr(svg, ">0s</text>"));
	ck_assert_ptr_nonnull(strstr(svg, ">60s</text>"));
	ck_assert_ptr_nonnull(strstr(svg, "time since the start of the run"));
	/* legend: escaped labels with last and peak values */
	ck_assert_ptr_nonnull(strstr(svg, ">RSS: last 104.90 MiB, peak 104.90 MiB</text>"));
	ck_assert_ptr_nonnull(strstr(svg, "main;handle&lt;T&gt;;cache_put &amp; &quot;friends&quot;"
					  ";malloc: last 23.84 MiB"));
	/* one marker per point, one line per series (the leak one starts late) */
	ck_assert_uint_eq(count(svg, "<circle"), 61 + 61 + 51);
	ck_assert_uint_eq(count(svg, "<polyline"), 3);
	/* the RSS line starts at the left of the plot and ends at its right */
	ck_assert_ptr_nonnull(strstr(svg, "stroke-width=\"2.5\" points=\"90.0,"));
	ck_assert_ptr_nonnull(strstr(svg, "1170.0,"));
	free(svg);
}
END_TEST

START_TEST(test_gaps_and_lone_points)
{
	double v[] = {1024, NAN, 2048, 4096, NAN, NAN, 512};
	struct timeline_series s = {"suspect", v, 7, 10, 2};
	char *svg = chart(NULL, &s, 1);
	check_xml(svg);
	ck_assert_ptr_nonnull(strstr(svg, ">Memory over time</text>"));
	ck_assert_uint_eq(count(svg, "<polyline"), 3);
	/* lone points stay visible without a line */
	ck_assert_uint_eq(count(svg, "style=\"fill-opacity:1\""), 2);
	ck_assert_ptr_nonnull(strstr(svg, "<title>suspect: 4.00 KiB at 16s</title>"));
	ck_assert_ptr_nonnull(strstr(svg, ">bytes (KiB)</text>"));
	free(svg);
}
END_TEST

START_TEST(test_no_data)
{
	char *svg = chart("empty", NULL, 0);
	check_xml(svg);
	ck_assert_ptr_nonnull(strstr(svg, "No data was recorded."));
	free(svg);

	struct timeline_series s[] = {{"RSS", NULL, 0, 0, 1}};
	svg = chart("empty", s, 1);
	check_xml(svg);
	ck_assert_ptr_nonnull(strstr(svg, ">RSS: no data</text>"));
	free(svg);

	FILE *null = fopen("/dev/null", "w");
	ck_assert_int_eq(timeline_write_svg(null, "x", NULL, 2), -EINVAL);
	fclose(null);
}
END_TEST

START_TEST(test_long_run_ticks)
{
	/* two hours, one point a second: ticks in minutes, no markers, GiB */
	size_t n = 7200;
	double *v = malloc(n * sizeof(*v));
	for (size_t i = 0; i < n; i++)
		v[i] = 3.0 * 1024 * 1024 * 1024 * (double)i / (double)n;
	struct timeline_series s = {"RSS", v, n, 0, 1};
	char *svg = chart("long", &s, 1);
	check_xml(svg);
	ck_assert_ptr_nonnull(strstr(svg, ">bytes (GiB)</text>"));
	ck_assert_ptr_nonnull(strstr(svg, ">15m</text>"));
	ck_assert_uint_eq(count(svg, "<circle"), 0);
	free(svg);
	free(v);
}
END_TEST

Suite *suite_timeline(void)
{
	Suite *s = suite_create("timeline");
	TCase *tc = tcase_create("svg");
	tcase_add_test(tc, test_three_series);
	tcase_add_test(tc, test_gaps_and_lone_points);
	tcase_add_test(tc, test_no_data);
	tcase_add_test(tc, test_long_run_ticks);
	suite_add_tcase(s, tc);
	return s;
}
