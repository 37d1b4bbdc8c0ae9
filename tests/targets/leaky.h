// SPDX-License-Identifier: GPL-2.0-or-later
/* Allocation sites of the leaky test target. */
#ifndef LEAKY_H
#define LEAKY_H
#include <stddef.h>
void *leak_a(size_t n);
void *leak_b(size_t n);
void *leak_c(size_t n);
void *leak_d(size_t n);
void *grow_kept(size_t from, size_t to);
void churn_all(size_t n);
void *leak_steady(size_t n);
void *busy_transient(size_t n);
void *fill_cache(size_t n);
void *leak_in_child(size_t n);
extern volatile unsigned long leaky_sink;
#endif
