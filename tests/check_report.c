/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of report. */
#include "check_suites.h"

Suite *suite_report(void)
{
	Suite *s = suite_create("report");
	return s;
}
