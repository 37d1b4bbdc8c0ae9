/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of timeline. */
#include "check_suites.h"

Suite *suite_timeline(void)
{
	return suite_create("timeline");
}
