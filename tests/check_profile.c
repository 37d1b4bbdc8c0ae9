/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of profile. */
#include "check_suites.h"

Suite *suite_profile(void)
{
	Suite *s = suite_create("profile");
	return s;
}
