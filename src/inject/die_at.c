// SPDX-License-Identifier: GPL-2.0-or-later
/* The injection's named death steps, through the run's test points (die_at.h). */
#include "inject/die_at.h"

#include <stdio.h>
#include <string.h>

#include "base/testpoint.h"

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
	char counted[40];

	/* "step" is its first pass, "step:n" its n-th */
	if (++passed[step] == 1)
		ms_testpoint(inject_die_step_name(step));
	snprintf(counted, sizeof(counted), "%s:%u", inject_die_step_name(step), passed[step]);
	ms_testpoint(counted);
}
