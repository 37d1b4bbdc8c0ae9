/* SPDX-License-Identifier: GPL-2.0-or-later */
/* RSS growth in the outputs: rss.folded/rss.svg and the report's section. */
#include "report.h"
#include "report_rss.h"
#include "sinks.h"

#define TOP_N 5

int report_rss_write_profile(const char *dir, const struct stacktab *t,
			     const struct cpu_profile *p, int pid, const char *comm)
{
	const uint32_t *ids;
	const uint64_t *vals;
	size_t n = cpu_profile__stacks(p, &ids, &vals);
	char sub[200];

	snprintf(sub, sizeof(sub),
		 "pages first touched by pid %d (%s): one page fault in %d sampled, %d B each",
		 pid, comm, MS_RSS_PERIOD, MS_RSS_PAGE);
	return sinks_write_profile(dir, "rss", t, ids, vals, n, MS_FLAME_MEM, "RSS growth", sub);
}

void report_rss_write(FILE *f, const struct stacktab *t, const struct cpu_profile *p,
		      const uint64_t *c)
{
	const uint32_t *ids;
	const uint64_t *vals;
	size_t n = cpu_profile__stacks(p, &ids, &vals), top[TOP_N], ntop = 0;
	char a[32], b[32], d[32], e[32];
	uint64_t total = cpu_profile__total(p);

	fprintf(f, "\n== rss ==\n");
	report_format_bytes((double)total, a, sizeof(a));
	fprintf(f, "  page faults       %llu sampled (1 in %d): ~%s of pages first touched\n",
		(unsigned long long)c[MS_RSS_FAULTS], MS_RSS_PERIOD, a);
	if (c[MS_RSS_LOST])
		fprintf(f, "  lost samples      %llu\n", (unsigned long long)c[MS_RSS_LOST]);
	report_format_bytes((double)c[MS_RSS_MMAP_BYTES], a, sizeof(a));
	report_format_bytes((double)c[MS_RSS_MUNMAP_BYTES], b, sizeof(b));
	report_format_bytes((double)c[MS_RSS_BRK_GROW], d, sizeof(d));
	report_format_bytes((double)c[MS_RSS_BRK_SHRINK], e, sizeof(e));
	fprintf(f, "  anonymous mmap    +%s, munmap -%s, brk +%s -%s\n", a, b, d, e);
	/* the largest stacks, by selection: n is small next to the samples */
	for (size_t k = 0; k < TOP_N; k++) {
		size_t best = SIZE_MAX;
		for (size_t i = 0; i < n; i++) {
			bool taken = false;
			for (size_t j = 0; j < ntop; j++)
				taken |= top[j] == i;
			if (!taken && (best == SIZE_MAX || vals[i] > vals[best]))
				best = i;
		}
		if (best == SIZE_MAX)
			break;
		top[ntop++] = best;
	}
	if (ntop)
		fprintf(f, "  top stacks by pages first touched (rss.folded; a page counts for the\n"
			   "  code that first wrote to it: with a pooled allocator such as Python's\n"
			   "  that may be another user of the pool than the code that keeps it):\n");
	for (size_t j = 0; j < ntop; j++) {
		report_format_bytes((double)vals[top[j]], a, sizeof(a));
		fprintf(f, "  #%zu %s  ~%s (%.0f%%)\n", j + 1, report_site_name(t, ids[top[j]]), a,
			total ? 100.0 * (double)vals[top[j]] / (double)total : 0.0);
	}
}
