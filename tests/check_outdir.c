/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of outdir. */
#include "check_suites.h"

Suite *suite_outdir(void)
{
	Suite *s = suite_create("outdir");
	return s;
}
