/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef MEMSPY_SESSION_H
#define MEMSPY_SESSION_H
#endif
