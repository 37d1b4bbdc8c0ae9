/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Read the records the BPF programs queue in their ring buffers. */
#ifndef MEMSPY_CAPTURE_H
#define MEMSPY_CAPTURE_H

#include <stddef.h>

/* Called once per record, in the order the kernel queued them. Return 0 to go on. */
typedef int (*capture_fn)(void *ctx, const void *record, size_t size);

struct capture;

/* Read the ring buffer map ring_fd. NULL and errno on error. */
struct capture *capture__new(int ring_fd, capture_fn fn, void *ctx);
/* Also read a second ring buffer into the same callback. 0 or -errno. */
int capture__add(struct capture *c, int ring_fd);
/* Wait up to timeout_ms for records and hand them all over. Returns the number of
 * records or -errno (-EINTR when a signal arrived). */
int capture__poll(struct capture *c, int timeout_ms);
/* Hand over whatever is queued without waiting. */
int capture__drain(struct capture *c);
void capture__free(struct capture *c);

#endif
