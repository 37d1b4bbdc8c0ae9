/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The text report of a run: what was probed, totals, the sites holding memory, leak suspects. */
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "output/report.h"
#include "profile/site_name.h"

#define MS_REPORT_TOP_DEFAULT 10
#define MS_SHORT_RUN_S 60.0

void report_format_bytes(double bytes, char *buf, size_t size)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB" };
	const char *sign = bytes < 0 ? "-" : "";
	double v = fabs(bytes);
	size_t u = 0;

	if (v < 1023.5) {
		snprintf(buf, size, "%s%.0f B", sign, v);
		return;
	}
	v /= 1024;
	/* Move up a unit before rounding can print "1024.0". */
	while (v >= 1023.95 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	snprintf(buf, size, "%s%.1f %s", sign, v, units[u]);
}

static void format_duration(double s, char *buf, size_t size)
{
	if (s < 0)
		s = 0;
	if (s < 59.95)
		snprintf(buf, size, "%.1f s", s);
	else if (s < 3600)
		snprintf(buf, size, "%d min %02d s", (int)(s / 60), (int)fmod(s, 60));
	else
		snprintf(buf, size, "%d h %02d min", (int)(s / 3600), (int)fmod(s / 60, 60));
}

/* "1048576 B (1.0 MiB)": exact bytes for grep, human units for the eye. */
static void format_exact(double bytes, char *buf, size_t size)
{
	char human[32];

	if (bytes < 1024) {
		snprintf(buf, size, "%.0f B", bytes);
		return;
	}
	report_format_bytes(bytes, human, sizeof(human));
	snprintf(buf, size, "%.0f B (%s)", bytes, human);
}

void report_write_stack(FILE *f, const struct stacktab *t, uint32_t stack_id)
{
	const uint32_t *frames;
	size_t n = stacktab__stack(t, stack_id, &frames);

	for (size_t i = n; i > 0; i--) {
		const char *name = stacktab__frame_name(t, frames[i - 1]);

		fprintf(f, "      %s\n", name ? name : "[unknown]");
	}
	if (stacktab__truncated(t, stack_id))
		fprintf(f, "      ... (stack truncated: unwinding stopped here)\n");
	else if (!n)
		fprintf(f, "      (no frames)\n");
}

void report_write_python(FILE *f, const char *off)
{
	if (off && *off)
		fprintf(f, "  python     frames off: %s\n", off);
}

/* Why a report of no growth can be wrong for a Go program: its heap never goes
 * through malloc, and only the new pages show where it grows. */
static void write_unseen(FILE *f, const struct report_input *in)
{
	const struct unseen_heap *u = &in->unseen;

	if (!u->heap)
		return;
	fprintf(f, "  not seen   %s, which %s manages itself:\n"
		   "             these probes see only C allocations (%s);\n",
		u->heap, u->manager, u->seen);
	if (in->rss)
		fprintf(f, "             the new pages still mapped (== rss ==, rss.folded) show\n"
			   "             where its memory grows\n");
	else
		fprintf(f, "             run without --no-rss: the new pages still mapped\n"
			   "             (rss.folded) show where its memory grows\n");
}

/* The mean raised in an allocation storm: how far and how long. */
static void write_raised_mean(FILE *f, uint64_t mean, const struct heap_totals *t)
{
	char top[64], dur[32];

	if (!t->mean_top_shift)
		return;
	report_format_bytes((double)(mean << t->mean_top_shift), top, sizeof(top));
	format_duration(t->mean_raised_s, dur, sizeof(dur));
	fprintf(f, "             raised up to %s for %s, while more than %u allocations a\n"
		   "             second were sampled (each weighed at the mean it was drawn at)\n",
		top, dur, t->max_samples);
}

static void write_header(FILE *f, const struct report_input *in, bool exact)
{
	char buf[64], dur[32];
	uint64_t mean = profile__sample_mean(in->profile);

	fprintf(f, "memspy heap report: pid %d (%s)\n", (int)in->pid,
		in->comm && *in->comm ? in->comm : "?");
	fprintf(f, "  allocator  %s", in->allocator ? in->allocator : "unknown");
	if (in->allocator_why && *in->allocator_why)
		fprintf(f, " (%s)", in->allocator_why);
	fputc('\n', f);
	if (in->heap_mode && *in->heap_mode)
		fprintf(f, "  heap       %s\n", in->heap_mode);
	write_unseen(f, in);
	report_write_python(f, in->python_off);
	format_duration(in->duration_s, dur, sizeof(dur));
	fprintf(f, "  run        %s", dur);
	if (in->end_reason && *in->end_reason)
		fprintf(f, ", ended by %s", in->end_reason);
	fputc('\n', f);
	if (exact) {
		fprintf(f, "  sampling   every allocation (exact)\n");
	} else {
		report_format_bytes((double)mean, buf, sizeof(buf));
		fprintf(f, "  sampling   one sample per %s allocated on average (Poisson by bytes);\n"
			   "             live bytes and counts are estimates (~)\n",
			buf);
		write_raised_mean(f, mean, &in->totals);
	}
}

/* The seconds of work that growth is judged against. */
static void write_load(FILE *f, const struct leak_work *w)
{
	char load[32], span[32], rate[32], median[32];

	if (!w || !w->allocated)
		return;
	format_duration(w->load_s, load, sizeof(load));
	format_duration(w->span_s, span, sizeof(span));
	report_format_bytes(w->load_rate, rate, sizeof(rate));
	report_format_bytes(w->median_rate, median, sizeof(median));
	fprintf(f, "  load              %s of %s allocating at least %s/s (median %s/s);\n"
		   "                    leaks are judged against the bytes allocated\n",
		load, span, rate, median);
}

static void write_totals(FILE *f, const struct report_input *in, bool exact)
{
	const struct heap_totals *tt = &in->totals;
	char buf[64];

	fprintf(f, "\n== totals ==\n");
	format_exact((double)tt->alloc_bytes, buf, sizeof(buf));
	if (tt->py_share > 0 && tt->py_share < 1)
		fprintf(f, "  allocated         %" PRIu64 " calls, %s (Python objects' estimated\n"
			   "                    from the %.1f%% of the time they were sampled)\n",
			tt->alloc_calls, buf, 100 * tt->py_share);
	else
		fprintf(f, "  allocated         %" PRIu64 " calls, %s (exact)\n", tt->alloc_calls, buf);
	write_load(f, in->work);
	if (exact) {
		format_exact(profile__freed_bytes(in->profile), buf, sizeof(buf));
		fprintf(f, "  freed             %" PRIu64 " calls; %s of blocks tracked\n",
			tt->free_calls, buf);
		format_exact(profile__live_bytes(in->profile), buf, sizeof(buf));
		fprintf(f, "  live              %s\n", buf);
	} else {
		report_format_bytes(profile__freed_bytes(in->profile), buf, sizeof(buf));
		fprintf(f, "  freed             %" PRIu64 " calls%s; ~%s of blocks tracked (estimate)\n",
			tt->free_calls,
			tt->small_py_frees_uncounted ? " (not counting pymalloc's own)" : "", buf);
		report_format_bytes(profile__live_bytes(in->profile), buf, sizeof(buf));
		fprintf(f, "  live              ~%s (estimate)\n", buf);
	}
	if (tt->exited_procs) {
		report_format_bytes(tt->exit_released, buf, sizeof(buf));
		fprintf(f, "  released at exit  %s%s of the blocks freed went with the %" PRIu64
			   " process%s that exited (their heap is gone with them)\n",
			exact ? "" : "~", buf, tt->exited_procs, tt->exited_procs == 1 ? "" : "es");
	}
	fprintf(f, "  samples           %" PRIu64 "%s\n", profile__samples(in->profile),
		exact ? " (every allocation)" : "");
	/* Each kind of loss skews the figures its own way: say which. */
	fprintf(f, "  lost allocations  %" PRIu64 "%s\n", tt->lost_allocs,
		tt->lost_allocs ? " (ring buffer full: missing from live bytes, heap.folded and "
				  "the leak suspects, which undercount)" : "");
	fprintf(f, "  lost frees        %" PRIu64 "%s\n", tt->lost_frees,
		tt->lost_frees ? " (ring buffer full: those blocks still count as live, so live "
				 "bytes and growth overcount)" : "");
	if (tt->unseen_calls)
		fprintf(f, "  unseen calls      %" PRIu64 " (allocator calls the probes could not follow)\n",
			tt->unseen_calls);
	if (tt->map_full)
		fprintf(f, "  untracked blocks  %" PRIu64 " (address map full: missing from live "
			   "bytes and heap.folded; raise --max-tracked)\n", tt->map_full);
	fprintf(f, "  truncated stacks  %" PRIu64 "%s\n", tt->truncated,
		tt->truncated ? " (unwinding stopped early; shown as truncated)" : "");
	if (tt->unwind_failed)
		fprintf(f, "  unwind failures   %" PRIu64 " (stacks that could not be unwound)\n",
			tt->unwind_failed);
	if (exact)
		fprintf(f, "  unknown frees     %" PRIu64 " (blocks allocated before attach%s)\n",
			tt->unknown_frees, tt->lost_allocs ? ", or whose allocation was lost" : "");
	else
		fprintf(f, "  unknown frees     not counted when sampling\n");
}

static void write_notes(FILE *f, const struct report_input *in)
{
	char dur[32];

	fprintf(f, "\n  note: memory allocated before memspy attached is not tracked; it never\n"
		   "        shows as live and its frees are ignored.\n");
	if (in->duration_s < MS_SHORT_RUN_S) {
		format_duration(in->duration_s, dur, sizeof(dur));
		fprintf(f, "  note: this run lasted %s, less than a minute: in short runs, caches\n"
			   "        and pools warming up look like growth.\n",
			dur);
	}
}

static int cmp_live(const void *a, const void *b)
{
	const struct site_stats *x = *(const struct site_stats *const *)a;
	const struct site_stats *y = *(const struct site_stats *const *)b;

	if (x->live_bytes != y->live_bytes)
		return x->live_bytes > y->live_bytes ? -1 : 1;
	return x->stack_id < y->stack_id ? -1 : x->stack_id > y->stack_id;
}

/* A listed site: the sites whose stacks are alike up to truncation, summed. */
struct top_site {
	struct site_stats st; /* the largest one's stack; the sums of all */
	size_t stacks;	      /* sites summed */
};

static void write_site_line(FILE *f, const struct report_input *in, size_t rank,
			    const struct top_site *ts, const char *title, bool exact)
{
	const struct site_stats *st = &ts->st;
	char buf[64], age[32];

	fprintf(f, "#%-2zu %s%s\n", rank, title,
		stacktab__truncated(in->stacks, st->stack_id) ? "  [truncated stack]" : "");
	if (ts->stacks > 1)
		fprintf(f, "    (%zu stacks alike but where unwinding stopped, summed)\n", ts->stacks);
	if (exact) {
		format_exact(st->live_bytes, buf, sizeof(buf));
		fprintf(f, "    live %s in %.0f block%s", buf, st->live_count,
			st->live_count == 1 ? "" : "s");
	} else {
		report_format_bytes(st->live_bytes, buf, sizeof(buf));
		fprintf(f, "    live ~%s in ~%.0f blocks (%" PRIu64 " sample%s)", buf,
			st->live_count, st->samples, st->samples == 1 ? "" : "s");
	}
	if (st->live_count > 0 && st->oldest_live_ns <= in->now_ns) {
		format_duration((double)(in->now_ns - st->oldest_live_ns) / 1e9, age, sizeof(age));
		fprintf(f, ", oldest %s old", age);
	}
	fputc('\n', f);
}

/* Fold site st into a listed one whose stack it shares up to truncation;
 * false when there is none. */
static bool top_merge(const struct report_input *in, struct top_site *r, size_t nr,
		      const struct site_stats *st)
{
	for (size_t k = 0; k < nr; k++) {
		struct site_stats *m = &r[k].st;

		if (!site_same_stack(in->stacks, m->stack_id, st->stack_id))
			continue;
		m->live_bytes += st->live_bytes;
		m->live_count += st->live_count;
		m->samples += st->samples;
		if (st->oldest_live_ns && (!m->oldest_live_ns || st->oldest_live_ns < m->oldest_live_ns))
			m->oldest_live_ns = st->oldest_live_ns;
		r[k].stacks++;
		return true;
	}
	return false;
}

/* The top sites by live bytes, sites alike up to truncation summed (caller
 * frees; NULL when out of memory); *nr their number. */
static struct top_site *top_sites(const struct report_input *in, size_t top, size_t *nr)
{
	size_t n, nlive = 0;
	const struct site_stats *sites = profile__sites(in->profile, &n);
	const struct site_stats **live = calloc(n ? n : 1, sizeof(*live));
	struct top_site *r = calloc(top ? top : 1, sizeof(*r));

	*nr = 0;
	if (!live || !r) {
		free(live);
		free(r);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		if (sites[i].live_bytes > 0)
			live[nlive++] = &sites[i];
	qsort(live, nlive, sizeof(*live), cmp_live);
	for (size_t i = 0; i < nlive && *nr < top; i++)
		if (!top_merge(in, r, *nr, live[i]))
			r[(*nr)++] = (struct top_site){.st = *live[i], .stacks = 1};
	free(live);
	return r;
}

/* Titles of n entries listed together (caller frees; NULL when out of memory). */
static char (*titles_of(const struct stacktab *t, const uint32_t *ids, size_t n))[MS_SITE_TITLE_MAX]
{
	char (*titles)[MS_SITE_TITLE_MAX] = calloc(n ? n : 1, sizeof(*titles));

	if (titles)
		site_titles(t, ids, n, titles);
	return titles;
}

/* Returns the listed sites (caller frees) so suspects can point back at them. */
static struct top_site *write_top_sites(FILE *f, const struct report_input *in, bool exact,
					size_t *listed)
{
	size_t nr, top = in->top_n ? in->top_n : MS_REPORT_TOP_DEFAULT;
	struct top_site *r = top_sites(in, top, &nr);
	uint32_t *ids = calloc(nr ? nr : 1, sizeof(*ids));
	char (*titles)[MS_SITE_TITLE_MAX] = NULL;

	*listed = 0;
	fprintf(f, "\n== top allocation sites by live bytes ==\n");
	for (size_t i = 0; r && ids && i < nr; i++)
		ids[i] = r[i].st.stack_id;
	if (r && ids)
		titles = titles_of(in->stacks, ids, nr);
	free(ids);
	if (!titles) {
		fprintf(f, "  (out of memory ranking sites)\n");
		free(r);
		return NULL;
	}
	if (!nr)
		fprintf(f, "  no live allocations were tracked\n");
	for (size_t i = 0; i < nr; i++) {
		if (i)
			fputc('\n', f);
		write_site_line(f, in, i + 1, &r[i], titles[i], exact);
		report_write_stack(f, in->stacks, r[i].st.stack_id);
	}
	free(titles);
	*listed = nr;
	return r;
}

/* A line of the suspects list: a heap site, a growing Python container, or both
 * when the container's writer is the site. */
struct suspect_row {
	const struct leak_suspect *heap;
	const struct container_growth *py;
	double rate;		 /* bytes per second, for the ranking */
	struct leak_suspect sum; /* heap, plus the suspects alike up to truncation */
	size_t stacks;		 /* suspects summed */
};

static int cmp_row(const void *a, const void *b)
{
	const struct suspect_row *x = a, *y = b;

	if (x->rate != y->rate)
		return x->rate < y->rate ? 1 : -1;
	return (x->heap ? 0 : 1) - (y->heap ? 0 : 1);
}

static void write_growth(FILE *f, const struct container_growth *g, const char *lead)
{
	char each[32];

	report_format_bytes(g->bytes_per_entry, each, sizeof(each));
	fprintf(f, "%sthe %s %s grew from %" PRId64 " to %" PRId64 " entries (%+.1f/s",
		lead, g->type, g->name, g->len_start, g->len_end, g->entries_per_s);
	if (g->bytes_per_entry > 0)
		fprintf(f, ", ~%s each", each);
	fprintf(f, ")\n");
}

/* What a suspect kept of its growth: "kept all of it", or what it gave back. */
static void write_kept(FILE *f, const struct leak_suspect *s)
{
	char buf[32];

	if (s->released <= 0 || s->peak <= 0) {
		fprintf(f, "kept all of it\n");
		return;
	}
	report_format_bytes(s->released, buf, sizeof(buf));
	fprintf(f, "released %s (%.0f%%) since its peak\n", buf, 100.0 * s->released / s->peak);
}

void report_write_suspect(FILE *f, const char *lead, size_t rank, const struct leak_suspect *s,
			  const char *title, const struct leak_work *w)
{
	double pct = s->intervals ? 100.0 * s->rises / s->intervals : 100.0 * s->rise_share;
	bool per_work = w && w->allocated;
	const char *never = s->intervals && !s->falls && s->rises < s->intervals ? ", never fell"
										 : "";
	char rate[32], growth[32], span[32], load[32];

	report_format_bytes(per_work ? s->per_gib : s->slope, rate, sizeof(rate));
	report_format_bytes(s->growth, growth, sizeof(growth));
	format_duration(s->span_s, span, sizeof(span));
	format_duration(s->load_s, load, sizeof(load));
	fprintf(f, "%s#%zu %s  %s%s%s", lead, rank, title, s->slope >= 0 ? "+" : "", rate,
		!per_work ? "/s" : w->faults ? " per GiB of new pages" : " per GiB allocated");
	if (per_work) {
		report_format_bytes(s->slope, rate, sizeof(rate));
		fprintf(f, ", %s%s/s of load\n      grew %s over %s (%s of load), rose in %.0f%% of "
			   "load intervals%s, ",
			s->slope >= 0 ? "+" : "", rate, growth, span, load, pct, never);
	} else {
		fprintf(f, "\n      grew %s over %s, rose in %.0f%% of intervals%s, ", growth, span,
			pct, never);
	}
	write_kept(f, s);
}

/* A growing container that no heap suspect stores into. */
static void write_container_lines(FILE *f, const struct report_input *in, size_t rank,
				  const struct container_growth *g, double rate_s)
{
	bool per_work = in->work && in->work->allocated;
	char rate[32], span[32], load[32];

	report_format_bytes(per_work ? g->entries_per_gib * g->bytes_per_entry : rate_s, rate,
			    sizeof(rate));
	format_duration(g->span_s, span, sizeof(span));
	format_duration(g->load_s, load, sizeof(load));
	fprintf(f, "#%zu %s  ~+%s%s", rank, g->writer[0] ? g->writer : g->name, rate,
		per_work ? " per GiB allocated" : "/s");
	if (per_work) {
		report_format_bytes(rate_s, rate, sizeof(rate));
		fprintf(f, ", ~+%s/s of load\n      a module-level Python %s, longer with the "
			   "work over %s (%s of load)\n",
			rate, g->type, span, load);
	} else {
		fprintf(f, "\n      a module-level Python %s, longer at every reading over %s\n",
			g->type, span);
	}
	write_growth(f, g, "      ");
	fprintf(f, "      %s\n",
		g->writer[0] ? "(the line above stores into it)"
			     : "(no function of its module stores into it by name)");
}

/* A run in which the process hardly allocated: growth there proves nothing. */
static void write_no_work(FILE *f, const struct leak_work *w)
{
	char total[32], peak[32];

	report_format_bytes(w->total, total, sizeof(total));
	report_format_bytes(w->peak_rate, peak, sizeof(peak));
	fprintf(f, "  none judged: there was no work to judge by. The process allocated %s in\n"
		   "  all (at most %s/s), and memory that does not grow while a process is idle\n"
		   "  says nothing about leaks. Put it under load while memspy records, e.g.\n"
		   "  memspy attach <pid> -- <load command>\n",
		total, peak);
}

/* The listed site whose stack a suspect has, up to truncation; 0 when none, else
 * its rank. */
static size_t listed_rank(const struct report_input *in, const struct top_site *top,
			  size_t listed, uint32_t stack_id)
{
	for (size_t at = 0; at < listed; at++)
		if (site_same_stack(in->stacks, top[at].st.stack_id, stack_id))
			return at + 1;
	return 0;
}

/* Fold heap rows whose stacks are alike up to truncation into the first of them:
 * one site for a reader, its growth the sum. Returns the rows left. */
static size_t suspect_rows_merge(const struct report_input *in, struct suspect_row *rows,
				 size_t nrows)
{
	size_t kept = 0;

	for (size_t i = 0; i < nrows; i++) {
		const struct leak_suspect *s = rows[i].heap;
		size_t k;

		for (k = 0; s && k < kept; k++)
			if (rows[k].heap && site_same_stack(in->stacks, rows[k].heap->stack_id,
							    s->stack_id))
				break;
		if (!s || k == kept) {
			rows[kept] = rows[i];
			rows[kept].stacks = 1;
			if (s)
				rows[kept].sum = *s;
			kept++;
			continue;
		}
		rows[k].stacks++;
		rows[k].sum.slope += s->slope;
		rows[k].sum.per_gib += s->per_gib;
		rows[k].sum.growth += s->growth;
		rows[k].sum.peak += s->peak;
		rows[k].sum.released += s->released;
	}
	return kept;
}

/* The rows ranked: heap suspects, and containers either beside the suspect that
 * stores into them or on their own. Returns their number. */
static size_t suspect_rows(const struct report_input *in, struct suspect_row *rows)
{
	size_t nrows = 0;

	for (size_t i = 0; i < in->nr_suspects; i++)
		rows[nrows++] = (struct suspect_row){.heap = &in->suspects[i],
						     .rate = in->suspects[i].slope};
	for (size_t j = 0; j < in->nr_growth; j++) {
		const struct container_growth *g = &in->growth[j];
		double rate = g->entries_per_s * g->bytes_per_entry;
		size_t i;

		for (i = 0; i < in->nr_suspects; i++)
			if (g->writer[0] && !rows[i].py &&
			    !strcmp(site_name(in->stacks, in->suspects[i].stack_id), g->writer))
				break;
		if (i < in->nr_suspects) { /* the same leak seen twice: one suspect */
			rows[i].py = g;
			if (rows[i].rate < rate)
				rows[i].rate = rate;
		} else {
			rows[nrows++] = (struct suspect_row){.py = g, .rate = rate};
		}
	}
	qsort(rows, nrows, sizeof(*rows), cmp_row);
	return suspect_rows_merge(in, rows, nrows);
}

/* A heap suspect, told apart from the others that share its name. */
static void write_heap_suspect(FILE *f, const struct report_input *in, size_t rank,
			       const struct suspect_row *row, const struct top_site *top,
			       size_t listed, const char *title)
{
	const struct leak_suspect *s = &row->sum;
	size_t at = listed_rank(in, top, listed, s->stack_id);

	report_write_suspect(f, "", rank, s, title, in->work);
	if (row->stacks > 1)
		fprintf(f, "      (%zu stacks alike but where unwinding stopped, summed)\n",
			row->stacks);
	if (row->py)
		write_growth(f, row->py, "      and ");
	if (at)
		fprintf(f, "      (stack of site #%zu above)\n", at);
	else
		report_write_stack(f, in->stacks, s->stack_id);
}

static void write_suspects(FILE *f, const struct report_input *in, const struct top_site *top,
			   size_t listed)
{
	struct suspect_row *rows = calloc(in->nr_suspects + in->nr_growth + 1, sizeof(*rows));
	uint32_t *ids = calloc(in->nr_suspects + 1, sizeof(*ids));
	char (*titles)[MS_SITE_TITLE_MAX] = NULL;
	size_t nrows;

	fprintf(f, "\n== leak suspects ==\n");
	for (size_t i = 0; ids && i < in->nr_suspects; i++)
		ids[i] = in->suspects[i].stack_id;
	if (ids)
		titles = titles_of(in->stacks, ids, in->nr_suspects);
	if (!rows || !titles) {
		fprintf(f, "  (out of memory ranking suspects)\n");
		goto out;
	}
	nrows = suspect_rows(in, rows);
	if (in->unseen.heap)
		fprintf(f, "  among C allocations only: %s is not seen (see \"not seen\" above)\n",
			in->unseen.heap);
	if (in->work && in->work->no_work)
		write_no_work(f, in->work);
	else if (!nrows)
		fprintf(f, "  none found: no site grew with the work beyond sampling noise and "
			   "kept it\n");
	for (size_t k = 0; k < nrows; k++) {
		if (k)
			fputc('\n', f);
		if (rows[k].heap)
			write_heap_suspect(f, in, k + 1, &rows[k], top, listed,
					   titles[rows[k].heap - in->suspects]);
		else
			write_container_lines(f, in, k + 1, rows[k].py, rows[k].rate);
	}
out:
	free(titles);
	free(ids);
	free(rows);
}

void report_write(FILE *f, const struct report_input *in)
{
	bool exact = profile__sample_mean(in->profile) <= 1;
	struct top_site *top;
	size_t listed;

	write_header(f, in, exact);
	write_totals(f, in, exact);
	write_notes(f, in);
	top = write_top_sites(f, in, exact, &listed);
	write_suspects(f, in, top, listed);
	free(top);
}
