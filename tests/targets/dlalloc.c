// SPDX-License-Identifier: GPL-2.0-or-later
/* A library tests/targets/dlopener loads after memspy attached: its calls to
 * malloc go through its own GOT, which the in-process sampler must hook late. */
#include <stdlib.h>
#include <string.h>

void *dl_leak(size_t n)
{
	void *p = malloc(n);

	if (p)
		memset(p, 0x5a, n);
	return p;
}
