/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Peak, most calls and allocation sizes: what the heap went through, not only
 * where it ended. */
#include <stdlib.h>

#include "output/report_alloc.h"
#include "profile/site_name.h"

#define MS_ALLOC_TOP 5
#define MS_HIST_BAR 40

/* "~1.5 MiB" when estimated, "1.5 MiB" when exact, to be right-aligned. */
static void format_est_bytes(double bytes, bool exact, char *buf, size_t size)
{
	char b[32];

	report_format_bytes(bytes, b, sizeof(b));
	snprintf(buf, size, "%s%s", exact ? "" : "~", b);
}

static void format_est_count(double n, bool exact, char *buf, size_t size)
{
	snprintf(buf, size, "%s%.0f", exact ? "" : "~", n);
}

enum rank_by { BY_PEAK, BY_CALLS, BY_TEMPORARY };

static double rank_key(const struct site_stats *st, enum rank_by by)
{
	switch (by) {
	case BY_PEAK:
		return st->peak_bytes;
	case BY_CALLS:
		return st->alloc_count;
	default:
		return st->temp_count;
	}
}

/* Sites ranked by one figure, largest first. */
struct ranked {
	const struct site_stats *st;
	double key;
};

static int cmp_ranked(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;

	if (x->key != y->key)
		return x->key > y->key ? -1 : 1;
	return x->st->stack_id < y->st->stack_id ? -1 : x->st->stack_id > y->st->stack_id;
}

/* The top sites by one figure, titled; returns how many were written, 0 when
 * none or out of memory. */
static size_t rank_sites(const struct report_input *in, enum rank_by by, struct ranked *top,
			 size_t max, char (*titles)[MS_SITE_TITLE_MAX])
{
	size_t n, k = 0;
	const struct site_stats *sites = profile__sites(in->profile, &n);
	struct ranked *all = calloc(n ? n : 1, sizeof(*all));
	uint32_t ids[MS_ALLOC_TOP];

	if (!all)
		return 0;
	for (size_t i = 0; i < n; i++) {
		double key = rank_key(&sites[i], by);

		if (key >= 0.5)
			all[k++] = (struct ranked){&sites[i], key};
	}
	qsort(all, k, sizeof(*all), cmp_ranked);
	if (k > max)
		k = max;
	for (size_t i = 0; i < k; i++) {
		top[i] = all[i];
		ids[i] = all[i].st->stack_id;
	}
	free(all);
	site_titles(in->stacks, ids, k, titles);
	return k;
}

static void write_peak(FILE *f, const struct report_input *in, bool exact)
{
	uint64_t ts;
	double peak = profile__peak(in->profile, &ts);
	double start = (double)in->now_ns - in->duration_s * 1e9;
	struct ranked top[MS_ALLOC_TOP];
	char titles[MS_ALLOC_TOP][MS_SITE_TITLE_MAX], buf[40];
	size_t k;

	fprintf(f, "\n== peak ==\n");
	if (peak <= 0) {
		fprintf(f, "  no live allocations were tracked\n");
		return;
	}
	format_est_bytes(peak, exact, buf, sizeof(buf));
	fprintf(f, "  peak live heap %s", buf);
	if (exact)
		fprintf(f, " (%.0f B)", peak);
	fprintf(f, " at %.1f s into the run (peak.folded, peak.svg)\n",
		(double)ts > start ? ((double)ts - start) / 1e9 : 0.0);
	k = rank_sites(in, BY_PEAK, top, MS_ALLOC_TOP, titles);
	for (size_t i = 0; i < k; i++) {
		format_est_bytes(top[i].key, exact, buf, sizeof(buf));
		fprintf(f, "  %11s %5.1f%%  %s\n", buf, 100.0 * top[i].key / peak, titles[i]);
	}
}

/* Sites by allocations over the run, or by temporary ones (freed by the same
 * thread before it made any other allocator call). */
static void write_most_calls(FILE *f, const struct report_input *in, bool exact, bool temp)
{
	struct ranked top[MS_ALLOC_TOP];
	char titles[MS_ALLOC_TOP][MS_SITE_TITLE_MAX], calls[40], bytes[40];
	size_t k = rank_sites(in, temp ? BY_TEMPORARY : BY_CALLS, top, MS_ALLOC_TOP, titles);

	fprintf(f, "\n== %s ==%s\n", temp ? "most temporary allocations" : "most calls",
		exact ? "" : " (estimated from the samples)");
	if (temp)
		fprintf(f, "  (freed by the thread that allocated them before its next "
			   "allocator call)\n");
	if (!k)
		fprintf(f, "  %s\n", temp ? "none" : "no allocations were tracked");
	else
		fprintf(f, "  %11s %17s\n", temp ? "temporary" : "calls", "allocated");
	for (size_t i = 0; i < k; i++) {
		format_est_count(top[i].key, exact, calls, sizeof(calls));
		format_est_bytes(temp ? top[i].st->temp_bytes : top[i].st->alloc_bytes, exact,
				 bytes, sizeof(bytes));
		fprintf(f, "  %11s %17s  %s\n", calls, bytes, titles[i]);
	}
}

/* One line per power of two that saw allocations, with a bar scaled to the
 * largest. */
static void write_sizes(FILE *f, const struct report_input *in)
{
	bool exact;
	const double *h = profile__size_hist(in->profile, &exact);
	double total = 0, max = 0;
	char lo[32], hi[32], n[40];

	for (int i = 0; i < MS_SIZE_BUCKETS; i++) {
		total += h[i];
		max = h[i] > max ? h[i] : max;
	}
	fprintf(f, "\n== allocation sizes ==%s\n", exact ? "" : " (estimated from the samples)");
	if (total <= 0) {
		fprintf(f, "  no allocations were tracked\n");
		return;
	}
	for (int i = 0; i < MS_SIZE_BUCKETS; i++) {
		if (h[i] < 0.5)
			continue;
		report_format_bytes(i ? (double)(1ull << i) : 0, lo, sizeof(lo));
		report_format_bytes((double)(1ull << i) * 2 - 1, hi, sizeof(hi));
		format_est_count(h[i], exact, n, sizeof(n));
		fprintf(f, "  %10s - %-10s %12s %5.1f%%  %.*s\n", lo, hi, n,
			100.0 * h[i] / total, (int)(MS_HIST_BAR * h[i] / max + 0.5),
			"########################################");
	}
}

void report_alloc_write(FILE *f, const struct report_input *in)
{
	bool exact = profile__sample_mean(in->profile) <= 1;

	write_peak(f, in, exact);
	write_most_calls(f, in, exact, false);
	write_most_calls(f, in, exact, true);
	write_sizes(f, in);
}
