/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of stacktab. */
#include "check_suites.h"

Suite *suite_stacktab(void)
{
	Suite *s = suite_create("stacktab");
	return s;
}
