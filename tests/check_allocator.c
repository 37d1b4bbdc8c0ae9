/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of allocator. */
#include "check_suites.h"

Suite *suite_allocator(void)
{
	Suite *s = suite_create("allocator");
	return s;
}
