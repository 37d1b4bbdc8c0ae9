/* SPDX-License-Identifier: GPL-2.0-or-later */
/* --off-cpu outputs: offcpu and wall as folded, SVG and pprof. The wall profile's
 * stacks start with their thread; an idle thread's go under "[idle threads]". */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "output/sinks.h"
#include "profile/offcpu_profile.h"
#include "run/write_offcpu.h"

#define MS_MAX_WALL_FRAMES 1024

/* The wall stack id as written: the same, or under "[idle threads]" when its
 * thread (frame lead of the stack) is idle. */
static uint32_t wall_stack(struct stacktab *t, const struct offcpu_profile *o, uint32_t id,
			   size_t lead, uint32_t idle_frame)
{
	const uint32_t *frames;
	uint32_t buf[MS_MAX_WALL_FRAMES + 1], out;
	size_t n = stacktab__stack(t, id, &frames);

	if (n <= lead || n >= MS_MAX_WALL_FRAMES || !offcpu_profile__thread_idle(o, frames[lead]))
		return id;
	memcpy(buf, frames, lead * sizeof(*buf));
	buf[lead] = idle_frame;
	memcpy(buf + lead + 1, frames + lead, (n - lead) * sizeof(*buf));
	return stacktab__intern(t, buf, n + 1, stacktab__truncated(t, id), &out) ? id : out;
}

static int write_wall(const struct pprof_set *s, pid_t pid, const struct profiles *prof,
		      bool merged)
{
	struct stacktab *t = (struct stacktab *)s->stacks;
	const struct cpu_profile *w = offcpu_profile__wall(prof->offcpu);
	const uint32_t *ids;
	const uint64_t *us;
	size_t n = cpu_profile__stacks(w, &ids, &us);
	uint32_t *out = calloc(n ? n : 1, sizeof(*out));
	uint32_t idle = stacktab__frame(t, "[idle threads]");
	char sub[160];
	int status = 0;

	if (!out) {
		ms_err("out of memory writing wall.folded");
		return -EIO;
	}
	for (size_t i = 0; i < n; i++)
		out[i] = wall_stack(t, prof->offcpu, ids[i], merged ? 1 : 0, idle);
	snprintf(sub, sizeof(sub),
		 "on-CPU plus off-CPU time of pid %d (%s) per thread, in microseconds", (int)pid,
		 s->comm);
	if (sinks_write_profile(s->dir, "wall", t, out, us, n, MS_FLAME_TIME, "Wall clock", sub))
		status = -EIO;
	if (write_pprof_time(s, "wall.pb.gz", "wall", out, us, n))
		status = -EIO;
	free(out);
	return status;
}

int write_offcpu(const struct pprof_set *s, pid_t pid, const struct profiles *prof, bool merged)
{
	const struct cpu_profile *w = offcpu_profile__waits(prof->offcpu);
	const uint32_t *ids;
	const uint64_t *us;
	size_t n = cpu_profile__stacks(w, &ids, &us);
	char sub[160];
	int status = 0;

	snprintf(sub, sizeof(sub), "time off the CPU of pid %d (%s), in microseconds, the "
		 "reason as the leaf", (int)pid, s->comm);
	if (sinks_write_profile(s->dir, "offcpu", s->stacks, ids, us, n, MS_FLAME_TIME, "Off-CPU",
				sub))
		status = -EIO;
	if (write_pprof_time(s, "offcpu.pb.gz", "off_cpu", ids, us, n))
		status = -EIO;
	if (write_wall(s, pid, prof, merged))
		status = -EIO;
	return status;
}
