/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The CPU part of the report: sampling figures and the top functions. */
#include <stdlib.h>

#include "output/report_cpu.h"

static void write_ranking(FILE *f, const char *title, const struct cpu_report_input *in,
			  int by_self)
{
	struct cpu_function *fns = NULL;
	uint64_t total = cpu_profile__total(in->profile);
	long n = cpu_profile_functions(in->profile, in->stacks, by_self, &fns);

	fprintf(f, "\n== %s ==\n", title);
	if (n <= 0 || !total) {
		fprintf(f, "  no samples\n");
		free(fns);
		return;
	}
	fprintf(f, "  %7s %7s %9s  %s\n", "self%", "total%", "samples", "function");
	for (long i = 0; i < n && (size_t)i < in->top_n; i++) {
		const struct cpu_function *fn = &fns[i];
		if (by_self && !fn->self)
			break;
		fprintf(f, "  %6.1f%% %6.1f%% %9llu  %s\n", 100.0 * (double)fn->self / (double)total,
			100.0 * (double)fn->total / (double)total,
			(unsigned long long)(by_self ? fn->self : fn->total),
			stacktab__frame_name(in->stacks, fn->frame_id));
	}
	free(fns);
}

void report_cpu_write(FILE *f, const struct cpu_report_input *in)
{
	uint64_t kept = cpu_profile__total(in->profile);

	fprintf(f, "\n== cpu ==\n");
	fprintf(f, "  sampling          cpu-clock at %u Hz per CPU, on-CPU time only\n", in->freq_hz);
	fprintf(f, "  samples           %llu (%.1f s of CPU time",
		(unsigned long long)kept, in->freq_hz ? (double)kept / in->freq_hz : 0.0);
	if (in->duration_s > 0 && in->freq_hz)
		fprintf(f, ", %.0f%% of one CPU", 100.0 * (double)kept / in->freq_hz / in->duration_s);
	fprintf(f, ")\n");
	fprintf(f, "  lost samples      %llu%s\n", (unsigned long long)in->lost,
		in->lost ? " (ring buffer full: CPU time and % of one CPU undercount; shares "
			   "between stacks hold if losses hit all alike)" : "");
	fprintf(f, "  truncated stacks  %llu", (unsigned long long)in->truncated);
	if (kept)
		fprintf(f, " (%.1f%%; shown under [truncated])", 100.0 * (double)in->truncated / (double)kept);
	fprintf(f, "\n");
	if (in->truncated_jit)
		fprintf(f, "    in JIT code     %llu (stopped in generated code that keeps no frame\n"
			   "                    pointer, or whose frame lies past the copied stack)\n",
			(unsigned long long)in->truncated_jit);
	if (in->in_probes)
		fprintf(f, "  in memspy probes  %llu samples in the kernel's handling of memspy's own\n"
			   "                    heap probes: memspy's overhead, left out of the profile\n",
			(unsigned long long)in->in_probes);
	if (in->no_user)
		fprintf(f, "  kernel-only       %llu samples had no user stack\n",
			(unsigned long long)in->no_user);
	write_ranking(f, "top functions by self samples", in, 1);
	write_ranking(f, "top functions by total samples", in, 0);
}
