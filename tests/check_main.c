/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The one Check runner: every module's unit suite, run by `make check`. */
#include <stdlib.h>

#include "check_suites.h"

typedef Suite *(*suite_fn)(void);

static const suite_fn suites[] = {
	suite_hashtab, suite_procmaps, suite_inject, suite_allocator, suite_alloc_slots, suite_sampling, suite_stacktab, suite_profile,
	suite_leak,	suite_folded,	suite_pprof,	suite_pprof_read,	 suite_report,	 suite_outdir,	 suite_target_dwfl,
	suite_python, suite_python_globals, suite_rss_pages, suite_rss_sweep, suite_rss_growth,
	suite_symbolize,
	suite_flamegraph, suite_timeline, suite_golden, suite_ingest, suite_dump, suite_offcpu,
	suite_python_windows, suite_rss_adapt, suite_mean_adapt, suite_cpu_yield,
};

int main(void)
{
	SRunner *sr = srunner_create(NULL);
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		srunner_add_suite(sr, suites[i]());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
