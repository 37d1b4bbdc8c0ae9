/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The unit test suites the Check runner runs, one per module. */
#ifndef MEMSPY_CHECK_SUITES_H
#define MEMSPY_CHECK_SUITES_H

#include <check.h>

#include "profile/leak.h"
#include "profile/profile.h"

/* The work of a test profile, its estimated bytes allocated, as leak_rank and the
 * report take it. Valid until the next call in the same file. */
static inline const struct leak_work *work_of(const struct profile *p)
{
	static struct leak_work w;

	leak_work_init(&w, profile__allocated_series(p));
	return &w;
}

Suite *suite_hashtab(void);
Suite *suite_dump(void);
Suite *suite_procmaps(void);
Suite *suite_inject(void);
Suite *suite_allocator(void);
Suite *suite_alloc_slots(void);
Suite *suite_sampling(void);
Suite *suite_stacktab(void);
Suite *suite_profile(void);
Suite *suite_leak(void);
Suite *suite_folded(void);
Suite *suite_pprof(void);
Suite *suite_pprof_read(void);
Suite *suite_report(void);
Suite *suite_outdir(void);
Suite *suite_target_dwfl(void);
Suite *suite_python(void);
Suite *suite_python_globals(void);
/* Not in the runner: check_python313_globals runs it, as root, in the chroot
 * python313_root() names (MEMSPY_TRIXIE, else where scripts/setup-deps.sh puts
 * Debian trixie, whose python3 is 3.13). */
Suite *suite_python_globals_313(void);
const char *python313_root(void);
/* The same for Debian sid's python3.14 and python3.15, in the chroot
 * python_sid_root() names (MEMSPY_SID, else where scripts/setup-deps.sh puts it). */
Suite *suite_python_globals_sid(void);
const char *python_sid_root(void);
Suite *suite_rss_pages(void);
Suite *suite_python_windows(void);
Suite *suite_rss_adapt(void);
Suite *suite_mean_adapt(void);
Suite *suite_cpu_yield(void);
Suite *suite_rss_sweep(void);
Suite *suite_rss_growth(void);
Suite *suite_symbolize(void);
Suite *suite_flamegraph(void);
Suite *suite_timeline(void);
Suite *suite_offcpu(void);
/* Every deterministic output against tests/data/golden. */
Suite *suite_golden(void);
Suite *suite_ingest(void);

#endif
