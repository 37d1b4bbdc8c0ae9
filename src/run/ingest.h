/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Ingestion: turn the records the BPF programs send into updates of the profiles
 * of the process that sent them (and of the merged profiles with --children). */
#ifndef MEMSPY_INGEST_H
#define MEMSPY_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct run;
struct proc;

/* A capture_fn: ctx is the run. Dispatches on the record's kind; malformed
 * records and records of processes the run does not follow are ignored. The
 * first record of a process not seen yet (--children) sets it up without modules
 * and holds its records until the run reads them (run__open_new_procs): nothing
 * here opens a module. Always returns 0. */
int ingest_record(void *ctx, const void *rec, size_t size);
/* The records p got before its modules were read that were taken before
 * before_ns, oldest first; later ones stay held (UINT64_MAX: all). */
void ingest_held(struct run *r, struct proc *p, uint64_t before_ns);
/* Check the sampled pages of every running process against its page map: a
 * slice of them, or all (full: right before outputs are written). Those no longer
 * resident leave rss.folded; those found moved stay charged. Nothing in a run
 * without probes (fast-forward feeds its own releases). */
void ingest_sweep_pages(struct run *r, bool full);
/* ingest_proc.c, --children: a fork, exec or exit record (struct
 * ms_proc_event). A fork or exec names the process; an exec has its modules
 * read again by the next run__open_new_procs; an exit has the process's live
 * heap and sampled pages taken out of the merged profiles by ingest_exits. */
void ingest_proc_event(struct run *r, const void *rec, size_t size);
/* Release the memory of the processes whose exit was read, once their held
 * records are in (run__open_new_procs). */
void ingest_exits(struct run *r);

#endif
