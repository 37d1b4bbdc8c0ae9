/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The report's account of the debug files fetched by build-id during the run:
 * what came, from where, and why the others did not. */
#ifndef MEMSPY_REPORT_DEBUGINFO_H
#define MEMSPY_REPORT_DEBUGINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct debuginfo_fetched {
	const char *module;   /* basename */
	const char *build_id; /* hex */
	bool fetched;
	const char *url;      /* fetched: the server; NULL: the client's cache had it */
	const char *why;      /* not fetched: "not found on the servers", ... */
	double seconds;
	uint64_t bytes;
};

/* "== debug info from debuginfod ==": the servers and time budget, then one
 * line per module asked for, in the order asked. */
void report_debuginfo_write(FILE *f, const char *servers, double budget_s,
			    const struct debuginfo_fetched *m, size_t n);

#endif
