/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Growing Python containers: read by src/python, judged by src/profile. */
#include <stdio.h>

#include "run/python_growth.h"

size_t python_growth_rank(struct python_globals *g, const struct leak_work *w,
			  struct container_growth *out, size_t max)
{
	struct python_container c;
	size_t nr = 0;

	for (size_t i = 0; nr < max && python_globals__container(g, i, &c); i++) {
		struct series s = {.points = c.lengths, .n = c.n, .start_ns = c.first_ns};
		struct container_growth *r = &out[nr];

		if (c.n < 3)
			continue;
		s.interval_ns = (c.last_ns - c.first_ns) / (c.n - 1);
		if (!leak_container_grows(&s, w, r))
			continue;
		snprintf(r->name, sizeof(r->name), "%s", c.name);
		r->type = c.type;
		python_globals__describe(g, i, r->writer, sizeof(r->writer), &r->bytes_per_entry);
		nr++;
	}
	leak_rank_containers(out, nr);
	return nr;
}
