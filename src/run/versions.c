/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The versions of the libraries memspy runs with, for --version: only the probe
 * and symbolize stages may include libbpf and libdw, so each names its own. */
#include <stdio.h>

#include "probes/probe_common.h"
#include "run/run.h"
#include "symbolize/target_dwfl.h"

int run__lib_versions(char *buf, size_t size)
{
	const char *bpf = probe_libbpf_version();
	const char *dw = target_dwfl__libdw_version();

	/* libbpf says "v1.1"; elfutils says "0.188" */
	return snprintf(buf, size, "libbpf %s, elfutils %s", bpf && *bpf == 'v' ? bpf + 1 : bpf,
			dw ? dw : "unknown");
}
