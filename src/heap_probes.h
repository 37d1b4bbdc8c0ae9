/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef MEMSPY_HEAP_PROBES_H
#define MEMSPY_HEAP_PROBES_H
#endif
