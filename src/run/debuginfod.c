/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Debug files fetched by build-id while the run records (--debuginfod, or
 * DEBUGINFOD_URLS): the fetcher's life, handing what arrived to every
 * process's session, renaming the frames interned before it arrived, progress
 * lines, and the report's account of what was fetched. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "output/report_debuginfo.h"
#include "profile/stacktab.h"
#include "run/run_state.h"
#include "symbolize/debuginfod_fetch.h"
#include "symbolize/symcache.h"
#include "symbolize/target_dwfl.h"

#define MS_FETCH_SLOW_S 1.0 /* a fetch this long gets progress lines */

int run_debuginfod_open(struct run *r)
{
	const char *env = getenv("DEBUGINFOD_URLS");
	char *servers;

	/* Not configured: nothing is loaded, no time is spent. */
	if (!r->opts.debuginfod && !(env && *env))
		return 0;
	servers = dbgfetch_servers(r->opts.debuginfod_urls, r->opts.debuginfod);
	if (!servers) {
		ms_warn("--debuginfod: no server given, DEBUGINFOD_URLS is not set and "
			"/etc/debuginfod has no .urls file: no debug files fetched");
		return 0;
	}
	r->fetch = dbgfetch__new(servers, r->opts.debuginfod_timeout_s);
	if (!r->fetch && errno == ENOMEM) {
		free(servers);
		return -ENOMEM;
	}
	if (r->fetch && r->opts.verbose)
		ms_info("debug files missing here are fetched from %s (at most %.1f s in all)",
			servers, r->opts.debuginfod_timeout_s);
	free(servers);
	return 0;
}

/* Whether name is what an address without a symbol prints as,
 * "[module+0xoffset]": unique to that address, so it can be renamed. */
static bool is_placeholder(const char *name)
{
	size_t len = strlen(name);

	return len > 4 && name[0] == '[' && name[len - 1] == ']' && strstr(name, "+0x");
}

/* Rename in the stack table the frames of addresses the symcache named anew.
 * Only a single placeholder name is renamed: a function name from .dynsym is
 * shared by other addresses, which may have other inline chains. */
static void apply_renames(struct run *r)
{
	const struct symcache_rename *rn;
	size_t n = symcache__renames(r->symcache, &rn), total = 0, k = 0, used = 0;

	for (size_t i = 0; i < n; i++)
		total += rn[i].e->n;
	struct frame_expansion *x = calloc(n ? n : 1, sizeof(*x));
	uint32_t *ids = calloc(total ? total : 1, sizeof(*ids));
	for (size_t i = 0; x && ids && i < n; i++) {
		uint32_t from;
		if (rn[i].old_n != 1 || !is_placeholder(rn[i].old_names[0]) ||
		    (from = stacktab__find_frame(r->stacks, rn[i].old_names[0])) == UINT32_MAX)
			continue;
		x[k] = (struct frame_expansion){.frame = from, .to = ids + used, .n = rn[i].e->n};
		for (uint32_t j = 0; j < rn[i].e->n; j++)
			ids[used++] = stacktab__frame(r->stacks, rn[i].e->names[j]);
		k++;
	}
	if (k && stacktab__expand_frames(r->stacks, x, k))
		ms_warn("out of memory renaming frames: some keep their [module+0xoffset] names");
	symcache__clear_renames(r->symcache);
	free(x);
	free(ids);
}

/* Hand what arrived since the last call to every process's session. */
static void adopt(struct run *r)
{
	unsigned gen = dbgfetch__generation(r->fetch);

	if (gen == r->fetch_gen)
		return;
	r->fetch_gen = gen;
	for (size_t i = 0; i < r->nr_procs; i++)
		if (r->procs[i]->dwfl)
			target_dwfl__adopt_fetched(r->procs[i]->dwfl);
	apply_renames(r);
}

void run_debuginfod_poll(struct run *r)
{
	char name[64];
	double s;
	uint64_t bytes, now;

	if (!r->fetch)
		return;
	adopt(r);
	now = clock_now_ns();
	if (now < r->fetch_note_ns ||
	    !dbgfetch__slow(r->fetch, MS_FETCH_SLOW_S, name, sizeof(name), &s, &bytes))
		return;
	ms_info("fetching the debug info of %s from debuginfod: %.0f KiB in %.0f s", name,
		(double)bytes / 1024, s);
	r->fetch_note_ns = now + 2 * MS_TICK_NS;
}

void run_debuginfod_stop(struct run *r)
{
	if (!r->fetch)
		return;
	dbgfetch__stop(r->fetch);
	adopt(r);
}

void run_debuginfod_report(FILE *f, const struct run *r)
{
	size_t n = r->fetch ? dbgfetch__nr_results(r->fetch) : 0;
	struct debuginfo_fetched *m = calloc(n ? n : 1, sizeof(*m));

	if (!r->fetch || !m) {
		free(m);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const struct dbgfetch_result *res = dbgfetch__result(r->fetch, i);
		m[i] = (struct debuginfo_fetched){
		    .module = res->name,
		    .build_id = res->build_id,
		    .fetched = res->state == MS_FETCH_DONE,
		    .url = res->url,
		    .why = res->state == MS_FETCH_DONE ? NULL
			   : res->why			 ? res->why
							 : "not fetched",
		    .seconds = res->seconds,
		    .bytes = res->bytes,
		};
	}
	report_debuginfo_write(f, dbgfetch__servers(r->fetch), dbgfetch__budget(r->fetch), m, n);
	free(m);
}
