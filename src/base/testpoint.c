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
	static int read_env, list;

	if (!read_env) {
		die_at = getenv("MEMSPY_TEST_DIE_AT");
		list = getenv("MEMSPY_TEST_STEPS") != NULL;
		read_env = 1;
	}
	if (list) {
		/* every step passed, in order: the chaos suite learns from one run
		 * which passes of a step belong to the agent's install and removal */
		char line[96];
		size_t n = strlen(step);

		if (n < sizeof(line) - 24) {
			memcpy(line, "memspy: test: step ", 19);
			memcpy(line + 19, step, n);
			line[19 + n] = '\n';
			if (write(STDERR_FILENO, line, 20 + n) < 0) {
				/* a test aid: nothing to do */
			}
		}
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
