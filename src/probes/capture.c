/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Read the records the BPF programs queue in their ring buffers. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <bpf/libbpf.h>

#include "base/clock.h"
#include "probes/capture.h"

struct capture {
	struct ring_buffer *rb;
	capture_fn fn;
	void *ctx;
	uint64_t deadline_ns; /* stop handing records over after this */
	unsigned since_check; /* records since the clock was last read */
};

/* A pass over the rings ends after this long even if producers keep up: libbpf's
 * consume loops while data keeps arriving, and the caller must get back to its
 * signals, ticks and deadline. The rest stays queued for the next pass. */
#define MS_CAPTURE_BUDGET_NS 50000000ULL
#define MS_CAPTURE_PAUSE (-EAGAIN)

static int on_record(void *ctx, void *data, size_t size)
{
	struct capture *c = ctx;
	int r = c->fn(c->ctx, data, size);

	if (r)
		return r;
	if (++c->since_check >= 64) {
		c->since_check = 0;
		if (clock_now_ns() > c->deadline_ns)
			return MS_CAPTURE_PAUSE;
	}
	return 0;
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
	c->deadline_ns = clock_now_ns() + (uint64_t)timeout_ms * 1000000ULL + MS_CAPTURE_BUDGET_NS;
	int n = ring_buffer__poll(c->rb, timeout_ms);

	if (n == MS_CAPTURE_PAUSE)
		return 0;
	/* The BPF side skips wake-ups until much is queued (a wake-up per record costs
	 * the target time), so a poll that timed out may leave records behind. */
	if (n < 0)
		return n;
	c->deadline_ns = clock_now_ns() + MS_CAPTURE_BUDGET_NS;
	int m = ring_buffer__consume(c->rb);
	if (m == MS_CAPTURE_PAUSE)
		return n;
	return m < 0 ? m : n + m;
}

int capture__drain(struct capture *c)
{
	/* After the probes are detached nothing new arrives: take everything. */
	c->deadline_ns = UINT64_MAX;
	return ring_buffer__consume(c->rb);
}

void capture__free(struct capture *c)
{
	if (!c)
		return;
	ring_buffer__free(c->rb);
	free(c);
}
