/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Separate debug files fetched by build-id from debuginfod servers while a run
 * records. libdebuginfod is loaded at run time, and only when a server is
 * configured; one worker thread does the blocking fetches and hands back paths,
 * so libdwfl (not thread-safe) stays on the caller's thread. Every fetch shares
 * one time budget. Apart from the worker, use it from one thread. */
#ifndef MEMSPY_DEBUGINFOD_FETCH_H
#define MEMSPY_DEBUGINFOD_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dbgfetch;

enum dbgfetch_state {
	MS_FETCH_NONE,	  /* never asked for */
	MS_FETCH_WAITING, /* queued or being fetched */
	MS_FETCH_DONE,	  /* fetched (or found in the client's cache): path set */
	MS_FETCH_FAILED,  /* see dbgfetch_result.why */
};

/* What became of one build-id, for the report. Strings live as long as f. */
struct dbgfetch_result {
	const char *name;     /* the module's basename, as first asked for */
	const char *build_id; /* hex */
	enum dbgfetch_state state;
	const char *path;     /* the debug file in the client's cache, when DONE */
	const char *url;      /* the server that sent it; NULL: from the cache */
	const char *why;      /* FAILED: "not found", "server down (...)", "timed out", ... */
	double seconds;	      /* spent fetching it */
	uint64_t bytes;	      /* size of the debug file, when DONE */
};

/* The servers to ask: urls (space-separated) when given and not empty, else
 * $DEBUGINFOD_URLS when set and not empty, else, only with from_files, the URLs
 * listed in the .urls files of /etc/debuginfod (what Debian's profile script
 * puts in the variable, which sudo drops). A malloc'd string, or NULL when none. */
char *dbgfetch_servers(const char *urls, bool from_files);
/* The URLs of the .urls files in dir, space-separated; NULL when none. */
char *dbgfetch_servers_from(const char *dir);

/* A fetcher asking servers (dbgfetch_servers' format) with at most budget_s
 * seconds of fetching in all, counted from the first fetch. Sets
 * DEBUGINFOD_URLS to servers for libdebuginfod, which reads only the
 * environment; call it before other threads run. NULL and errno: ELIBACC
 * (libdebuginfod.so.1 cannot be loaded, reported), ENOMEM. */
struct dbgfetch *dbgfetch__new(const char *servers, double budget_s);
/* Stops the worker (dbgfetch__stop) and frees everything. Accepts NULL. */
void dbgfetch__free(struct dbgfetch *f);

/* Ask for the debug file of a build-id (the first request starts the worker).
 * Asking again for one already asked for does nothing. 0 or -ENOMEM. */
int dbgfetch__request(struct dbgfetch *f, const unsigned char *id, size_t len, const char *name);
/* Where the request for id stands; *path (may be NULL) gets the file when DONE. */
enum dbgfetch_state dbgfetch__state(struct dbgfetch *f, const unsigned char *id, size_t len,
				    const char **path);
/* Grows each time a request ends (fetched or failed): a caller that saw the same
 * value has nothing new to take. */
unsigned dbgfetch__generation(struct dbgfetch *f);
/* The fetch in progress when it has been running for at least min_s seconds:
 * its module's name (copied into name), seconds and bytes so far. False when
 * none. For progress lines. */
bool dbgfetch__slow(struct dbgfetch *f, double min_s, char *name, size_t size, double *seconds,
		    uint64_t *bytes);
/* End fetching: the fetch in progress is cancelled (libdebuginfod checks about
 * once a second), requests not started fail with "run ended first", and the
 * worker is joined. Later requests fail at once. */
void dbgfetch__stop(struct dbgfetch *f);
/* The requests in the order asked: how many, and the i-th (NULL past the end).
 * A result never moves; after dbgfetch__stop, none changes. */
size_t dbgfetch__nr_results(struct dbgfetch *f);
const struct dbgfetch_result *dbgfetch__result(struct dbgfetch *f, size_t i);
/* The servers asked and the budget, for the report. */
const char *dbgfetch__servers(const struct dbgfetch *f);
double dbgfetch__budget(const struct dbgfetch *f);

#endif
