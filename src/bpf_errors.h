/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared helpers of the probe modules: errors a user can act on, counters. */
#ifndef MEMSPY_BPF_ERRORS_H
#define MEMSPY_BPF_ERRORS_H

#include <stddef.h>
#include <stdint.h>

/* Write "cannot <what>: <reason and what to do>" for a libbpf error code. */
void bpf_error_explain(const char *what, int err, char *buf, size_t size);
/* Check up front that this kernel and user can run memspy's probes; writes the
 * missing piece to buf and returns -errno when not. */
int bpf_check_environment(char *buf, size_t size);
/* Sum a per-CPU array of u64 counters. Returns 0 or -errno. */
int bpf_sum_percpu_counters(int map_fd, int nr_cpus, uint64_t *out, uint32_t n);
/* Route libbpf's messages: silent unless verbose. */
void bpf_set_verbose(int verbose);

#endif
