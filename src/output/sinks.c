/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Write a run's output files: folded stacks with their flame graphs, and the timeline. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "output/folded.h"
#include "output/outdir.h"
#include "output/sinks.h"

static int fail(const char *dir, const char *name, int err, struct atomic_file *af)
{
	atomic_file__abort(af);
	ms_err("cannot write %s/%s: %s", dir, name, outdir_strerror(-err));
	return err;
}

int sinks_write_profile(const char *dir, const char *base, const struct stacktab *t,
			const uint32_t *ids, const uint64_t *values, size_t n,
			enum flame_colors colors, const char *title, const char *subtitle)
{
	struct atomic_file af = {0};
	char name[256], path[4096];
	int err;

	snprintf(name, sizeof(name), "%s.folded", base);
	err = atomic_file__open(&af, dir, name);
	if (!err)
		err = folded_write(af.f, t, ids, values, n, NULL);
	if (!err)
		err = atomic_file__commit(&af);
	if (err)
		return fail(dir, name, err, &af);

	/* The SVG is drawn from the file just written, so both always agree. */
	struct flame_options fo = {
		.title = title,
		.subtitle = subtitle,
		.colors = colors,
		.allow_empty = true,
	};
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(name, sizeof(name), "%s.svg", base);
	err = atomic_file__open(&af, dir, name);
	if (!err)
		err = flamegraph_render_file(path, af.f, &fo);
	if (!err)
		err = atomic_file__commit(&af);
	if (err)
		return fail(dir, name, err, &af);
	return 0;
}

int sinks_write_timeline(const char *dir, const char *title, const struct timeline_series *series,
			 size_t n)
{
	struct atomic_file af = {0};
	int err = atomic_file__open(&af, dir, "timeline.svg");

	if (!err)
		err = timeline_write_svg(af.f, title, series, n);
	if (!err)
		err = atomic_file__commit(&af);
	if (err)
		return fail(dir, "timeline.svg", err, &af);
	return 0;
}
