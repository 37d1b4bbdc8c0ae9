/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The heap's run-long figures in the report: the peak, the sites that allocate
 * most often, and the sizes allocated. */
#ifndef MEMSPY_REPORT_ALLOC_H
#define MEMSPY_REPORT_ALLOC_H

#include <stdbool.h>
#include <stdio.h>

#include "output/report.h"

/* Write "== peak ==" (the high-water mark of the live heap, when, and the sites
 * holding most of it then), "== most calls ==" (sites by allocations over the run)
 * "== most temporary allocations ==" and "== allocation sizes ==" (allocations per
 * power of two), after report_write's sections. Figures are estimates, and say
 * so, unless every allocation was recorded or the probes counted them. */
void report_alloc_write(FILE *f, const struct report_input *in);

#endif
