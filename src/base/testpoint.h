/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Test-only points where memspy can be made to die, so the chaos suite can check
 * what a SIGKILL at exactly that step leaves behind. */
#ifndef MEMSPY_TESTPOINT_H
#define MEMSPY_TESTPOINT_H

/* The named steps, in the order a run passes them (tests/chaos/run.sh uses these
 * names; keep both in step). */
#define MS_STEP_PROBES_ATTACHED "probes-attached" /* every probe of the run attached */
#define MS_STEP_FIRST_EVENT "first-event"	  /* the first record read from BPF */
#define MS_STEP_REPORT_WRITING "report-writing"	  /* report.txt half written */
#define MS_STEP_OUTPUT_COMMIT "output-commit"	  /* an output about to take its name */

/* If the environment says MEMSPY_TEST_DIE_AT=step, die by SIGKILL here, as an
 * outside kill -9 would: no handler, no cleanup. Costs one compare otherwise.
 * With MEMSPY_TEST_STEPS set, each step passed is said on stderr
 * ("memspy: test: step NAME"). */
void ms_testpoint(const char *step);

#endif
