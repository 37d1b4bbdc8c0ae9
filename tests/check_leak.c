/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of leak. */
#include "check_suites.h"

Suite *suite_leak(void)
{
	Suite *s = suite_create("leak");
	return s;
}
