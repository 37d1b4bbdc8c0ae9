/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of target_dwfl. */
#include "check_suites.h"

Suite *suite_target_dwfl(void)
{
	Suite *s = suite_create("target_dwfl");
	return s;
}
