/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Read the records the BPF programs queue in their ring buffers. */
#include <errno.h>
#include <stdlib.h>

#include <bpf/libbpf.h>

#include "capture.h"

struct capture {
	struct ring_buffer *rb;
	capture_fn fn;
	void *ctx;
};

static int on_record(void *ctx, void *data, size_t size)
{
	struct capture *c = ctx;
	return c->fn(c->ctx, data, size);
}

struct capture *capture__new(int ring_fd, capture_fn fn, void *ctx)
{
	struct capture *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->fn = fn;
	c->ctx = ctx;
	c->rb = ring_buffer__new(ring_fd, on_record, c, NULL);
	if (!c->rb) {
		int e = errno;
		free(c);
		errno = e;
		return NULL;
	}
	return c;
}

int capture__add(struct capture *c, int ring_fd)
{
	return ring_buffer__add(c->rb, ring_fd, on_record, c);
}

int capture__poll(struct capture *c, int timeout_ms)
{
	int n = ring_buffer__poll(c->rb, timeout_ms);

	/* The BPF side skips wake-ups until much is queued (a wake-up per record costs
	 * the target time), so a poll that timed out may leave records behind. */
	if (n < 0)
		return n;
	int m = ring_buffer__consume(c->rb);
	return m < 0 ? m : n + m;
}

int capture__drain(struct capture *c)
{
	return ring_buffer__consume(c->rb);
}

void capture__free(struct capture *c)
{
	if (!c)
		return;
	ring_buffer__free(c->rb);
	free(c);
}
