/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of folded. */
#include "check_suites.h"

Suite *suite_folded(void)
{
	Suite *s = suite_create("folded");
	return s;
}
