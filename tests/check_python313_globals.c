/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Runs the python_globals suite that needs root and Debian trixie's python3.13 in
 * a chroot: apart from the unit runner, so that it can be skipped (exit 77, with
 * the reason) where it cannot run, rather than pass without running. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "check_suites.h"

int main(void)
{
	char python[4096];

	snprintf(python, sizeof(python), "%s/usr/bin/python3.13", python313_root());
	if (geteuid()) {
		printf("SKIP: needs root to chroot into %s (run make check as root)\n",
		       python313_root());
		return 77;
	}
	if (access(python, X_OK)) {
		printf("SKIP: no %s: scripts/setup-deps.sh builds the trixie chroot\n", python);
		return 77;
	}
	SRunner *sr = srunner_create(suite_python_globals_313());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
