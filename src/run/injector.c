/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The injector in-process mode uses. This build has none yet: every attach uses
 * uprobes on the allocator and says so. */
#include <stddef.h>

#include "run/inprocess.h"

const struct inprocess_injector *run_injector(void)
{
	return NULL;
}
