/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The report's section on debug files fetched by build-id (debuginfod). */
#include "output/report.h"
#include "output/report_debuginfo.h"

void report_debuginfo_write(FILE *f, const char *servers, double budget_s,
			    const struct debuginfo_fetched *m, size_t n)
{
	size_t missing = 0;
	char size[32];

	fprintf(f, "\n== debug info from debuginfod ==\n");
	fprintf(f, "  servers  %s (at most %.1f s of fetching)\n", servers ? servers : "?",
		budget_s);
	if (!n)
		fprintf(f, "  nothing to fetch: every module sampled had debug info here\n");
	for (size_t i = 0; i < n; i++) {
		if (!m[i].fetched) {
			fprintf(f, "  missing  %s (build-id %s): %s\n", m[i].module, m[i].build_id,
				m[i].why ? m[i].why : "not fetched");
			missing++;
			continue;
		}
		report_format_bytes((double)m[i].bytes, size, sizeof(size));
		if (m[i].url)
			fprintf(f, "  fetched  %s (build-id %s): %s from %s in %.2f s\n",
				m[i].module, m[i].build_id, size, m[i].url, m[i].seconds);
		else
			fprintf(f, "  fetched  %s (build-id %s): %s from the local debuginfod "
				   "cache\n",
				m[i].module, m[i].build_id, size);
	}
	if (missing)
		fprintf(f, "  frames of the missing modules are named from their symbol tables, "
			   "or print as [module+0xoffset]\n");
}
