/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The off-CPU part of the report: time waited by reason, and the top waits. */
#include <stdlib.h>
#include <string.h>

#include "memspy/events.h"
#include "output/report_offcpu.h"
#include "output/svg.h"
#include "profile/site_name.h"

#define MS_WAIT_FRAMES 6 /* innermost frames shown per wait */

static void write_reasons(FILE *f, const struct offcpu_report_input *in)
{
	const uint64_t *c = in->counters;
	char total[32], mean[32];
	uint64_t any = 0;

	for (uint32_t r = 0; r < MS_OFF_REASONS; r++)
		any += c[MS_OFFC_WAITS + r];
	if (!any) {
		fprintf(f, "  waits by reason   none counted here (--children: in the run's report)\n");
		return;
	}
	/* several threads may wait at once: the share can pass 100% */
	fprintf(f, "  %-12s %10s %12s %12s %9s  (threads' waits over the run's length)\n",
		"reason", "waits", "total", "mean", "% of run");
	for (uint32_t r = 0; r < MS_OFF_REASONS; r++) {
		uint64_t n = c[MS_OFFC_WAITS + r], ns = c[MS_OFFC_WAIT_NS + r];
		if (!n)
			continue;
		svg_format_us(total, sizeof(total), (double)ns / 1e3, false);
		svg_format_us(mean, sizeof(mean), (double)ns / 1e3 / (double)n, false);
		fprintf(f, "  %-12s %10llu %12s %12s %8.1f%%\n", offcpu_reason_name(r),
			(unsigned long long)n, total, mean,
			in->duration_s > 0 ? 100.0 * (double)ns / 1e9 / in->duration_s : 0.0);
	}
}

/* The reason of an off-CPU stack: its leaf. */
static uint32_t reason_of(const struct stacktab *t, const uint32_t *frames, size_t n)
{
	const char *leaf = n ? stacktab__frame_name(t, frames[n - 1]) : "";

	for (uint32_t r = 0; r < MS_OFF_REASONS; r++)
		if (!strcmp(leaf, offcpu_reason_frame(r)))
			return r;
	return MS_OFF_OTHER;
}

/* Where a wait is: its innermost frames, the reason left out, innermost first,
 * and its innermost Python line when that is further out. */
static void write_where(FILE *f, const struct stacktab *t, const uint32_t *frames, size_t n)
{
	size_t shown = 0;

	fprintf(f, "      ");
	for (size_t i = n - 1; i-- > 0 && shown < MS_WAIT_FRAMES; shown++)
		fprintf(f, "%s%s", shown ? " < " : "", stacktab__frame_name(t, frames[i]));
	for (size_t i = n > MS_WAIT_FRAMES + 1 ? n - MS_WAIT_FRAMES - 1 : 0; i-- > 0;) {
		const char *name = stacktab__frame_name(t, frames[i]);
		if (site_name_is_python(name)) {
			fprintf(f, " ... < %s", name);
			break;
		}
	}
	fprintf(f, "%s\n", shown ? "" : "[no frames]");
}

static int by_value_desc(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;

	return x[1] < y[1] ? 1 : x[1] > y[1] ? -1 : 0;
}

static void write_top(FILE *f, const struct offcpu_report_input *in)
{
	const struct cpu_profile *w = offcpu_profile__waits(in->profile);
	const uint32_t *ids;
	const uint64_t *us;
	size_t n = cpu_profile__stacks(w, &ids, &us);
	uint64_t total = cpu_profile__total(w), (*order)[2] = calloc(n ? n : 1, sizeof(*order));
	char tot[32], mean[32];

	fprintf(f, "\n== top waits ==\n");
	if (!order || !total) {
		fprintf(f, "  no sampled waits\n");
		free(order);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		order[i][0] = ids[i];
		order[i][1] = us[i];
	}
	qsort(order, n, sizeof(*order), by_value_desc);
	fprintf(f, "  %4s %10s %6s %9s %10s  %s\n", "#", "total", "%", "waits", "mean", "reason");
	for (size_t i = 0; i < n && i < in->top_n && order[i][1]; i++) {
		const uint32_t *frames;
		uint32_t id = (uint32_t)order[i][0];
		size_t nf = stacktab__stack(in->stacks, id, &frames);
		double waits = offcpu_profile__nr_waits(in->profile, id);

		svg_format_us(tot, sizeof(tot), (double)order[i][1], false);
		svg_format_us(mean, sizeof(mean), waits > 0 ? (double)order[i][1] / waits : 0,
			      false);
		fprintf(f, "  %4zu %10s %5.1f%% %9.0f %10s  %s\n", i + 1, tot,
			100.0 * (double)order[i][1] / (double)total, waits, mean,
			offcpu_reason_name(reason_of(in->stacks, frames, nf)));
		write_where(f, in->stacks, frames, nf);
	}
	free(order);
}

void report_offcpu_write(FILE *f, const struct offcpu_report_input *in)
{
	const uint64_t *c = in->counters;
	char period[32];

	svg_format_us(period, sizeof(period), (double)in->period_us, false);
	fprintf(f, "\n== off-cpu ==\n");
	fprintf(f, "  sampling          one stack per %s of a thread's waiting, weighted by\n"
		   "                    the time it stands for (totals below are exact)\n",
		period);
	fprintf(f, "  samples           %llu (%llu lost, %llu truncated stacks)\n",
		(unsigned long long)in->samples, (unsigned long long)c[MS_OFFC_LOST],
		(unsigned long long)in->truncated);
	if (c[MS_OFFC_MAP_FULL])
		fprintf(f, "  untimed waits     %llu (thread table full)\n",
			(unsigned long long)c[MS_OFFC_MAP_FULL]);
	write_reasons(f, in);
	write_top(f, in);
}
