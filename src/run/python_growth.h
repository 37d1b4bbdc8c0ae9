/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Growing Python containers of a run: the Python reader's length series, judged by
 * the profile's leak test, then named by the reader. */
#ifndef MEMSPY_PYTHON_GROWTH_H
#define MEMSPY_PYTHON_GROWTH_H

#include <stddef.h>

#include "profile/leak.h"
#include "python/python_globals.h"

/* Containers whose length rose steadily with the work w (leak_container_grows), ranked by
 * estimated bytes per second, largest first. Fills at most max; returns their
 * number. Accepts NULL g (0). */
size_t python_growth_rank(struct python_globals *g, const struct leak_work *w,
			  struct container_growth *out, size_t max);

#endif
