/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The report's "== load command ==" section: what ran beside the target (attach --
 * CMD), as whom, how it ended and its last lines of output. */
#ifndef MEMSPY_REPORT_LOAD_H
#define MEMSPY_REPORT_LOAD_H

#include <stdio.h>

struct load_report {
	const char *line;   /* the command line */
	const char *user;   /* "alice (uid 1000)" */
	const char *status; /* "exited with status 0" */
	const char *tail;   /* its last lines of output; "" when none */
};

void report_load_write(FILE *f, const struct load_report *l);

#endif
