/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reading pprof profiles (gzipped or raw protobuf) into a flame tree, and telling
 * them from folded stacks by content. */
#ifndef MEMSPY_PPROF_READ_H
#define MEMSPY_PPROF_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "output/flame_tree.h"

/* What to take from a pprof profile, and what was taken. */
struct flame_input {
	const char *sample_index; /* "N" (0-based) or a type name ("inuse_space"); NULL:
				   * the default_sample_type, else the last, as pprof */
	bool is_pprof;		  /* out: the input was a pprof profile */
	char type[64];		  /* out: the sample type read, "" for folded stacks */
	char unit[32];		  /* out: its unit ("bytes", "count", "nanoseconds") */
};

/*
 * A sample becomes one stack, root first: each location's lines run innermost
 * first, so its outermost line is the frame and the lines inside it follow as
 * inlined frames, "name_[i]", as the symbolizer names them. A line with a file
 * and a line number is spelled "func (file:LINE)", as Python frames are, when the
 * file ends in ".py" or the location has no address (memspy's own profiles). A
 * location without lines is its address ("0x4a2f10") or "[unknown]". So a
 * profile memspy wrote reads back as the folded file it was written from.
 * Samples whose chosen value is 0 or negative are left out.
 */

/* Decode the pprof profile in buf[0..len) (gzipped when it starts with 1f 8b) and
 * add its samples to t (to base when to_base). name labels messages. Returns 0;
 * -ENOMSG when the data is not gzipped and does not unpack as a Profile with
 * sample types (it may be folded text); -EINVAL with "name: why" in err for a
 * damaged profile or an unknown sample index; -ENOMEM, -EOVERFLOW. */
int pprof_read(struct flame_tree *t, const uint8_t *buf, size_t len, const char *name, bool to_base,
	       struct flame_input *in, char *err, size_t errsize);

/* Read path ("-": stdin) into t, a pprof profile or folded stacks, told apart by
 * content (in may be NULL for the defaults). Errors are reported once through
 * ms_err, naming the file. Returns 0 or -errno. */
int flame_tree__read_input(struct flame_tree *t, const char *path, bool to_base,
			   struct flame_input *in);

#endif
