// SPDX-License-Identifier: GPL-2.0-or-later
/* The test-only switch that makes memspy die at a named injection step (die_at.h). */
#include "inject/die_at.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

static const char *const names[INJECT_DIE_NSTEPS] = {
#define X(s) #s,
    INJECT_DIE_STEPS
#undef X
};

const char *inject_die_step_name(enum inject_die_step step)
{
	static char spelled[INJECT_DIE_NSTEPS][24];

	if (!spelled[step][0]) {
		strncpy(spelled[step], names[step], sizeof(spelled[step]) - 1);
		for (char *p = spelled[step]; *p; p++)
			if (*p == '_')
				*p = '-';
	}
	return spelled[step];
}

void inject_die_at(enum inject_die_step step)
{
	static unsigned passed[INJECT_DIE_NSTEPS];
	const char *want = getenv("MEMSPY_TEST_DIE_AT");
	const char *name = inject_die_step_name(step);
	size_t n = strlen(name);

	passed[step]++;
	if (!want || strncmp(want, name, n) || (want[n] != '\0' && want[n] != ':'))
		return;
	if (passed[step] >= (want[n] == ':' ? strtoul(want + n + 1, NULL, 10) : 1))
		raise(SIGKILL);
}
