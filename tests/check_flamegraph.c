/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of flamegraph. */
#include "check_suites.h"

Suite *suite_flamegraph(void)
{
	return suite_create("flamegraph");
}
