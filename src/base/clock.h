/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The one clock memspy times itself by: CLOCK_MONOTONIC, which BPF's
 * bpf_ktime_get_ns() also reads, so event times and ours compare directly. */
#ifndef MEMSPY_CLOCK_H
#define MEMSPY_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t clock_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

#endif
