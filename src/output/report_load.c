/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The report's section on the load command that ran beside the target. */
#include <string.h>

#include "output/report_load.h"

void report_load_write(FILE *f, const struct load_report *l)
{
	const char *p = l->tail;

	fprintf(f, "\n== load command ==\n");
	fprintf(f, "  command    %s\n", l->line);
	fprintf(f, "  ran as     %s\n", l->user);
	fprintf(f, "  status     %s\n", l->status);
	if (!*p) {
		fprintf(f, "  (no output)\n");
		return;
	}
	fprintf(f, "  last lines of its output:\n");
	while (*p) {
		const char *nl = strchr(p, '\n');
		int len = nl ? (int)(nl - p) : (int)strlen(p);

		fprintf(f, "    | %.*s\n", len, p);
		p += len + (nl ? 1 : 0);
	}
}
