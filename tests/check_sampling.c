/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of sampling. */
#include "check_suites.h"

Suite *suite_sampling(void)
{
	Suite *s = suite_create("sampling");
	return s;
}
