/* SPDX-License-Identifier: GPL-2.0-or-later */
/* RSS growth in the outputs: rss.folded/rss.svg and the report's section. */
#include <stdlib.h>

#include "output/report.h"
#include "output/report_rss.h"
#include "profile/site_name.h"
#include "output/sinks.h"

#define TOP_N 5

/* Stacks that share a title (the frame a reader knows them by): a list comprehension
 * reached from five callers is one entry, not five alike. */
struct rss_title {
	uint32_t frame;
	uint64_t bytes;
	size_t stacks;
};

/* Sum the stacks' bytes by title; returns the titles (caller frees) or NULL. */
static struct rss_title *by_title(const struct stacktab *t, const uint32_t *ids,
				  const uint64_t *vals, size_t n, size_t *nr)
{
	struct rss_title *r = calloc(n ? n : 1, sizeof(*r));

	*nr = 0;
	for (size_t i = 0; r && i < n; i++) {
		uint32_t frame = site_name_frame(t, ids[i]);
		size_t k;

		if (!vals[i])
			continue;
		for (k = 0; k < *nr && r[k].frame != frame; k++)
			;
		if (k == *nr)
			r[(*nr)++] = (struct rss_title){.frame = frame};
		r[k].bytes += vals[i];
		r[k].stacks++;
	}
	return r;
}

static int cmp_title(const void *a, const void *b)
{
	const struct rss_title *x = a, *y = b;

	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	return x->frame < y->frame ? -1 : x->frame > y->frame;
}

static void write_top(FILE *f, const struct stacktab *t, const uint32_t *ids,
		      const uint64_t *vals, size_t n, uint64_t total)
{
	size_t nr;
	struct rss_title *r = by_title(t, ids, vals, n, &nr);
	char a[32];

	if (!r)
		return;
	qsort(r, nr, sizeof(*r), cmp_title);
	if (nr)
		fprintf(f, "  top stacks by new pages still mapped (rss.folded; a page counts for the\n"
			   "  code that first wrote to it: with a pooled allocator such as Python's\n"
			   "  that may be another user of the pool than the code that keeps it;\n"
			   "  stacks under one title are summed):\n");
	for (size_t j = 0; j < nr && j < TOP_N; j++) {
		const char *name = r[j].frame == UINT32_MAX ? "[no frames]"
							    : stacktab__frame_name(t, r[j].frame);

		report_format_bytes((double)r[j].bytes, a, sizeof(a));
		fprintf(f, "  #%zu %s  ~%s (%.0f%%)", j + 1, name ? name : "[unknown]", a,
			total ? 100.0 * (double)r[j].bytes / (double)total : 0.0);
		if (r[j].stacks > 1)
			fprintf(f, " in %zu stacks", r[j].stacks);
		fputc('\n', f);
	}
	free(r);
}

/* "1 in 64", or "1 in 1 to 1 in 64" when the period moved during the run. */
static void format_periods(uint32_t lo, uint32_t hi, char *buf, size_t size)
{
	if (lo == hi)
		snprintf(buf, size, "1 in %u", lo);
	else
		snprintf(buf, size, "1 in %u to 1 in %u, following the fault rate", lo, hi);
}

int report_rss_write_profile(const char *dir, const struct stacktab *t,
			     const struct cpu_profile *p, int pid, const char *comm,
			     const struct rss_tracing *tr)
{
	char periods[64];

	const uint32_t *ids;
	const uint64_t *vals;
	size_t n = cpu_profile__stacks(p, &ids, &vals);
	char sub[320];

	char windows[96] = "";

	if (tr->windowed_s > 0)
		snprintf(windows, sizeof(windows),
			 "; traced in windows, where a sample stands for %u times as many",
			 tr->window_scale);
	snprintf(sub, sizeof(sub),
		 "new pages still mapped in pid %d (%s): faults on a page not present, sampled %s%s, %d B each", pid,
		 comm, (format_periods(tr->period_min, tr->period_max, periods, sizeof(periods)), periods),
		 windows, MS_RSS_PAGE);
	return sinks_write_profile(dir, "rss", t, ids, vals, n, MS_FLAME_MEM, "RSS growth", sub);
}

/* RssAnon at attach and at the end: what the process's own memory did, beside
 * what the samples tell of where it went. */
static void write_anon(FILE *f, double start, double end)
{
	char a[32], b[32];

	if (start < 0 || end < 0)
		return;
	report_format_bytes(start, a, sizeof(a));
	report_format_bytes(end, b, sizeof(b));
	fprintf(f, "  anonymous memory  %s at attach, %s at the end (RssAnon: heap, stacks,\n"
		   "                    anonymous mappings)\n", a, b);
}

void report_rss_write(FILE *f, const struct stacktab *t, const struct cpu_profile *p,
		      uint64_t released_bytes, const uint64_t *c, const struct rss_tracing *tr,
		      double anon_start, double anon_end)
{
	char periods[64];

	const uint32_t *ids;
	const uint64_t *vals;
	size_t n = cpu_profile__stacks(p, &ids, &vals);
	char a[32], b[32], g[32];
	uint64_t total = cpu_profile__total(p);

	fprintf(f, "\n== rss ==\n");
	report_format_bytes((double)(total + released_bytes), a, sizeof(a));
	report_format_bytes((double)released_bytes, b, sizeof(b));
	report_format_bytes((double)total, g, sizeof(g));
	format_periods(tr->period_min, tr->period_max, periods, sizeof(periods));
	if (c[MS_RSS_ALL_FAULTS]) {
		const char *est = tr->windowed_s > 0 ? "~" : ""; /* the gaps' faults estimated */

		fprintf(f, "  page faults       %s%llu, %s%llu of them on a new page, %llu sampled (%s)\n",
			est, (unsigned long long)c[MS_RSS_ALL_FAULTS], est,
			(unsigned long long)c[MS_RSS_NEW_PAGES], (unsigned long long)c[MS_RSS_FAULTS],
			periods);
		/* a forked worker writing to its parent's objects: private copies of pages it
		 * already had, which RSS counted before */
		if (c[MS_RSS_ALL_FAULTS] > c[MS_RSS_NEW_PAGES])
			fprintf(f, "  copy-on-write     %s%llu faults on present pages (not growth)\n",
				est, (unsigned long long)(c[MS_RSS_ALL_FAULTS] - c[MS_RSS_NEW_PAGES]));
	} else {
		fprintf(f, "  page faults       %llu sampled (%s)\n",
			(unsigned long long)c[MS_RSS_FAULTS], periods);
	}
	if (tr->windowed_s > 0)
		fprintf(f, "  traced in windows 1/%u of the time for %.1f s (over %u new pages a second:\n"
			   "                    each sample and count stands for %u times as many)\n",
			tr->window_scale, tr->windowed_s, tr->windows_above, tr->window_scale);
	fprintf(f, "  new pages         ~%s: ~%s given back since (no longer resident: unmapped,\n"
		   "                    discarded or swapped out), ~%s still mapped (rss.folded)\n",
		a, b, g);
	if (c[MS_RSS_MERGED])
		fprintf(f, "  merged samples    %llu (ring buffer full: their pages counted with the "
			   "next sample's stack)\n", (unsigned long long)c[MS_RSS_MERGED]);
	write_anon(f, anon_start, anon_end);
	write_top(f, t, ids, vals, n, total);
}

/* What the suspects were judged against, and why when it is not the bytes
 * allocated. */
static void write_judged_by(FILE *f, const struct rss_suspects_input *in)
{
	const struct leak_work *w = in->work;
	char rate[32];

	report_format_bytes(w->load_rate, rate, sizeof(rate));
	if (!w->faults) {
		fprintf(f, "\n  suspects (new pages that grew with the bytes allocated and stayed;\n"
			   "  stacks under one title judged together):\n");
		return;
	}
	fprintf(f, "\n  suspects (new pages that grew with the work and stayed; stacks under one\n"
		   "  title judged together), judged against the new pages faulted in, since\n"
		   "  %s: %.0f s of load at %s/s or more\n",
		in->work_why ? in->work_why : "nothing counted the bytes allocated", w->load_s, rate);
}

void report_rss_write_suspects(FILE *f, const struct rss_suspects_input *in)
{
	char titles[TOP_N][MS_SITE_TITLE_MAX], total[32];
	uint32_t ids[TOP_N];
	size_t n = in->nr_suspects < TOP_N ? in->nr_suspects : TOP_N;

	if (!in->work)
		return;
	if (in->work->no_work) {
		report_format_bytes(in->work->total, total, sizeof(total));
		fprintf(f, "  suspects          none judged: the process hardly worked (%s %s)\n",
			total, in->work->faults ? "of new pages faulted in" : "allocated");
		return;
	}
	write_judged_by(f, in);
	if (!n)
		fprintf(f, "  none: no stack's new pages grew with the work beyond sampling noise and "
			   "stayed\n");
	for (size_t i = 0; i < n; i++)
		ids[i] = in->suspects[i].stack_id;
	site_titles(in->stacks, ids, n, titles);
	for (size_t i = 0; i < n; i++) {
		report_write_suspect(f, "  ", i + 1, &in->suspects[i], titles[i], in->work);
		report_write_stack(f, in->stacks, in->suspects[i].stack_id);
	}
	if (in->nr_suspects > n)
		fprintf(f, "  ... and %zu more\n", in->nr_suspects - n);
}
