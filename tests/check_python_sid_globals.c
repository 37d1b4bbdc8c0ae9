/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Runs the python_globals suite that needs root and Debian sid's python3.14 and
 * python3.15 in a chroot: apart from the unit runner, so that it can be skipped
 * (exit 77, with the reason) where it cannot run, rather than pass without running. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "check_suites.h"

int main(void)
{
	char python[4096], python14[4096];

	snprintf(python, sizeof(python), "%s/usr/bin/python3.15", python_sid_root());
	snprintf(python14, sizeof(python14), "%s/usr/bin/python3.14", python_sid_root());
	if (geteuid()) {
		printf("SKIP: needs root to chroot into %s (run make check as root)\n",
		       python_sid_root());
		return 77;
	}
	/* setup-deps builds the chroot: on CI a missing one is a failure */
	if (access(python, X_OK) || access(python14, X_OK)) {
		printf("%s: no %s or %s: scripts/setup-deps.sh builds the sid chroot\n",
		       getenv("CI") ? "FAIL" : "SKIP", python, python14);
		return getenv("CI") ? EXIT_FAILURE : 77;
	}
	SRunner *sr = srunner_create(suite_python_globals_sid());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
