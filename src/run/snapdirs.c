/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Snapshots of a long run (--every, SIGUSR1): every output of the run so far, as
 * write_outputs writes them at the end, in a numbered directory of the output
 * directory. A snapshot is written into a hidden directory and renamed into
 * place, so a reader sees a snapshot whole or not at all; --keep removes the
 * oldest the same way round. */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base/clock.h"
#include "base/log.h"
#include "output/outdir.h"
#include "run/ingest.h"
#include "run/run.h"
#include "run/run_state.h"
#include "run/write.h"

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path) ? -errno : 0;
}

/* Rename out of the way first: a reader never sees a half-removed snapshot. */
static void remove_snapshot(const struct run *r, unsigned n)
{
	char path[sizeof(r->dir) + 32], gone[sizeof(r->dir) + 32];

	snprintf(path, sizeof(path), "%s/snap-%04u", r->dir, n);
	snprintf(gone, sizeof(gone), "%s/.snap-%04u.old", r->dir, n);
	if (rename(path, gone))
		return; /* removed by hand already */
	if (nftw(gone, remove_entry, 16, FTW_DEPTH | FTW_PHYS))
		ms_warn("cannot remove old snapshot %s: %s", gone, strerror(errno));
}

/* Point the run's directories (and each process's, with --children) at dir. */
static void set_dirs(struct run *r, const char *dir)
{
	snprintf(r->dir, sizeof(r->dir), "%s", dir);
	for (size_t i = 0; r->merged && i < r->nr_procs; i++) {
		struct proc *p = r->procs[i];

		if (snprintf(p->dir, sizeof(p->dir), "%s/%u", dir, (uint32_t)p->pid) >=
		    (int)sizeof(p->dir))
			p->dir[0] = '\0';
	}
}

/* write_outputs on a running run: counters read now, the end now, nothing printed;
 * then everything back as it was, so that recording goes on unchanged (ingestion
 * drops events after a set end_ns). */
static int write_into(struct run *r, const char *dir)
{
	char saved[sizeof(r->dir)];
	bool quiet = r->opts.quiet;
	int e;

	memcpy(saved, r->dir, sizeof(saved));
	set_dirs(r, dir);
	run_read_counters(r);
	ingest_sweep_pages(r, true);
	r->end_ns = clock_now_ns();
	r->opts.quiet = true;
	e = write_outputs(r, "snapshot (the run goes on)");
	r->opts.quiet = quiet;
	r->end_ns = 0;
	set_dirs(r, saved);
	return e;
}

static int write_snapshot(struct run *r)
{
	unsigned n = r->nr_snaps + 1;
	char tmp[sizeof(r->dir) + 32], path[sizeof(r->dir) + 32];
	int e;

	snprintf(tmp, sizeof(tmp), "%s/.snap-%04u.tmp", r->dir, n);
	snprintf(path, sizeof(path), "%s/snap-%04u", r->dir, n);
	e = outdir_create(tmp);
	if (e) {
		ms_err("cannot create snapshot directory %s: %s", tmp, strerror(-e));
		return e;
	}
	e = write_into(r, tmp);
	if (!e && rename(tmp, path))
		e = -errno;
	if (e) {
		ms_err("snapshot %s not written: %s", path, strerror(-e));
		nftw(tmp, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
		return e;
	}
	r->nr_snaps = n;
	ms_info("snapshot written to %s/", path);
	if (r->opts.keep && n > r->opts.keep)
		remove_snapshot(r, n - r->opts.keep);
	return 0;
}

int run__snapshot_poll(struct run *r)
{
	uint64_t now = clock_now_ns();
	bool due = false;

	if (r->opts.no_output || r->stopped)
		return 0;
	if (r->opts.every_s > 0) {
		uint64_t every = (uint64_t)(r->opts.every_s * 1e9);

		if (!r->next_snap_ns)
			r->next_snap_ns = run__start_ns(r) + every;
		if (now >= r->next_snap_ns) {
			due = true;
			r->next_snap_ns += every * ((now - r->next_snap_ns) / every + 1);
		}
	}
	if (run_take_snapshot_request())
		due = true;
	return due ? write_snapshot(r) : 0;
}
