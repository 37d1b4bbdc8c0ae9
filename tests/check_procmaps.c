/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of procmaps. */
#include "check_suites.h"

Suite *suite_procmaps(void)
{
	Suite *s = suite_create("procmaps");
	return s;
}
