/* SPDX-License-Identifier: GPL-2.0-or-later */
/* MEMSPY_TEST_DIE_AT: a SIGKILL at a named step, for the chaos suite. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/testpoint.h"

void ms_testpoint(const char *step)
{
	/* Read once: the environment does not change under a run, and the event
	 * path calls this for its first record. */
	static const char *die_at;
	static int read_env;

	if (!read_env) {
		die_at = getenv("MEMSPY_TEST_DIE_AT");
		read_env = 1;
	}
	if (die_at && strcmp(die_at, step) == 0) {
		/* Said on stderr so a test can tell this death from a crash. */
		static const char msg[] = "memspy: test: dying at a named step\n";

		/* Held for a moment first: a test polls what memspy holds (its BPF
		 * objects, from /proc) and must see this step's before the death. */
		struct timespec held = {0, 500 * 1000 * 1000};

		if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
			/* nothing to do: we die either way */
		}
		nanosleep(&held, NULL);
		kill(getpid(), SIGKILL);
	}
}
