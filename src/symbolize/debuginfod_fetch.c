/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Debug files fetched by build-id through libdebuginfod, which is loaded with
 * dlopen only when a server is configured, from one worker thread under one
 * time budget for every fetch. */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <glob.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "symbolize/debuginfod_fetch.h"

#define MS_FETCH_MAX_ID 64
#define MS_DEBUGINFOD_ETC "/etc/debuginfod"

typedef struct debuginfod_client debuginfod_client;
typedef int (*debuginfod_progressfn_t)(debuginfod_client *c, long a, long b);

/* The part of libdebuginfod's API used here (debuginfod.h, elfutils 0.179 on):
 * declared here, so building needs no libdebuginfod-dev. */
struct dfn {
	debuginfod_client *(*begin)(void);
	void (*end)(debuginfod_client *c);
	int (*find_debuginfo)(debuginfod_client *c, const unsigned char *id, int len,
			      char **path);
	void (*set_progressfn)(debuginfod_client *c, debuginfod_progressfn_t fn);
	void (*set_user_data)(debuginfod_client *c, void *data);
	void *(*get_user_data)(debuginfod_client *c);
	const char *(*get_url)(debuginfod_client *c);
};

/* One build-id asked for; never moves once made, so res may point into it. */
struct fetch_item {
	unsigned char id[MS_FETCH_MAX_ID];
	size_t len;
	char hex[2 * MS_FETCH_MAX_ID + 1];
	char name[64];
	char why[128];
	char *path, *url; /* malloc'd */
	struct dbgfetch_result res;
};

struct dbgfetch {
	char *servers;
	uint64_t budget_ns;
	pthread_mutex_t lock; /* guards everything below but cancel */
	pthread_cond_t wake;
	pthread_t worker;
	bool started;	      /* the worker runs (joined by stop) */
	bool stopping;	      /* stop asked: take no more requests */
	struct fetch_item **items;
	size_t n, cap;
	size_t next;	      /* the first item the worker has not taken */
	unsigned generation;
	uint64_t deadline_ns; /* the budget's end; 0 until the first fetch */
	struct fetch_item *cur; /* being fetched */
	uint64_t cur_start_ns, cur_bytes;
	bool cur_over_budget;	/* the progress callback cancelled it for the budget */
	atomic_bool cancel;	/* read by the progress callback without the lock */
};

/* ---------------------------------------------------------------- servers */

/* Append the URLs of one .urls file (words, '#' starts a comment) to out. */
static void urls_append(const char *file, char **out, size_t *len)
{
	FILE *fp = fopen(file, "re");
	char line[1024], *save, *w;

	if (!fp)
		return;
	while (fgets(line, sizeof(line), fp)) {
		line[strcspn(line, "#")] = '\0';
		for (w = strtok_r(line, " \t\r\n", &save); w; w = strtok_r(NULL, " \t\r\n", &save)) {
			char *grown = realloc(*out, *len + strlen(w) + 2);
			if (!grown)
				break;
			*out = grown;
			*len += (size_t)sprintf(*out + *len, "%s%s", *len ? " " : "", w);
		}
	}
	fclose(fp);
}

/* The URLs listed in dir's *.urls files, space-separated; NULL when none. */
char *dbgfetch_servers_from(const char *dir)
{
	char pattern[4096];
	glob_t g;
	char *out = NULL;
	size_t len = 0;

	snprintf(pattern, sizeof(pattern), "%s/*.urls", dir);
	if (glob(pattern, 0, NULL, &g))
		return NULL;
	for (size_t i = 0; i < g.gl_pathc; i++)
		urls_append(g.gl_pathv[i], &out, &len);
	globfree(&g);
	return out;
}

char *dbgfetch_servers(const char *urls, bool from_files)
{
	const char *env = getenv("DEBUGINFOD_URLS");

	if (urls && *urls)
		return strdup(urls);
	if (env && *env)
		return strdup(env);
	return from_files ? dbgfetch_servers_from(MS_DEBUGINFOD_ETC) : NULL;
}

/* ---------------------------------------------------------------- library */

/* The library's functions, loaded once per process: like the library itself,
 * they never go away. */
static pthread_once_t dfn_once = PTHREAD_ONCE_INIT;
static struct dfn dfn;
static int dfn_err;

#define DFN_SYM(field, name) (*(void **)&dfn.field = dlsym(h, name))

static void dfn_load(void)
{
	void *h = dlopen("libdebuginfod.so.1", RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		ms_err("cannot load libdebuginfod.so.1 (%s): install libdebuginfod1 to fetch "
		       "debug files",
		       dlerror());
		dfn_err = -ELIBACC;
		return;
	}
	if (!DFN_SYM(begin, "debuginfod_begin") || !DFN_SYM(end, "debuginfod_end") ||
	    !DFN_SYM(find_debuginfo, "debuginfod_find_debuginfo") ||
	    !DFN_SYM(set_progressfn, "debuginfod_set_progressfn") ||
	    !DFN_SYM(set_user_data, "debuginfod_set_user_data") ||
	    !DFN_SYM(get_user_data, "debuginfod_get_user_data") ||
	    !DFN_SYM(get_url, "debuginfod_get_url")) {
		ms_err("libdebuginfod.so.1 lacks the functions memspy needs (elfutils 0.179 or "
		       "later): no debug files fetched");
		dfn_err = -ELIBACC;
	}
}

/* ---------------------------------------------------------------- worker */

/* libdebuginfod calls this about once a second while it waits on a server (on
 * the worker's thread): non-zero cancels the fetch. */
static int on_progress(debuginfod_client *c, long done, long total)
{
	struct dbgfetch *f = dfn.get_user_data(c);
	bool over;

	(void)total;
	pthread_mutex_lock(&f->lock);
	f->cur_bytes = done > 0 ? (uint64_t)done : 0;
	over = clock_now_ns() >= f->deadline_ns;
	f->cur_over_budget = over;
	pthread_mutex_unlock(&f->lock);
	return over || atomic_load(&f->cancel);
}

/* Why a fetch of it failed: libdebuginfod's -errno, or our own cancellation. */
static void set_why(struct dbgfetch *f, struct fetch_item *it, int err)
{
	const char *why = NULL;

	if (f->cur_over_budget) {
		snprintf(it->why, sizeof(it->why), "timed out (budget of %.1f s spent)",
			 (double)f->budget_ns / 1e9);
		return;
	}
	if (atomic_load(&f->cancel))
		why = "run ended first";
	else if (err == -ENOENT)
		why = "not found on the servers";
	else if (err == -ETIME || err == -ETIMEDOUT)
		why = "timed out";
	else if (err == -ENOSYS)
		why = "no server configured";
	if (why)
		snprintf(it->why, sizeof(it->why), "%s", why);
	else if (err == -ECONNREFUSED || err == -EHOSTUNREACH || err == -ENETUNREACH ||
		 err == -ECONNRESET || err == -EADDRNOTAVAIL)
		snprintf(it->why, sizeof(it->why), "server down or unreachable (%s)",
			 strerror(-err));
	else
		snprintf(it->why, sizeof(it->why), "%s", strerror(-err));
}

/* Settle it with what the fetch gave. Called with the lock held. */
static void settle(struct dbgfetch *f, struct fetch_item *it, int fd, char *path,
		   const char *url, uint64_t start_ns)
{
	struct stat st;

	it->res.seconds = (double)(clock_now_ns() - start_ns) / 1e9;
	if (fd >= 0) {
		it->path = path;
		it->url = url ? strdup(url) : NULL;
		it->res.path = it->path;
		it->res.url = it->url;
		it->res.bytes = fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0;
		it->res.state = MS_FETCH_DONE;
		close(fd);
	} else {
		free(path);
		set_why(f, it, fd);
		it->res.why = it->why;
		it->res.state = MS_FETCH_FAILED;
	}
	f->generation++;
}

/* Settle it as failed without a fetch. Called with the lock held. */
static void refuse(struct dbgfetch *f, struct fetch_item *it, const char *why)
{
	snprintf(it->why, sizeof(it->why), "%s", why);
	it->res.why = it->why;
	it->res.state = MS_FETCH_FAILED;
	f->generation++;
}

/* Fetch it, the lock released meanwhile. Called with the lock held. */
static void fetch_one(struct dbgfetch *f, debuginfod_client *c, struct fetch_item *it)
{
	uint64_t start = clock_now_ns();
	char *path = NULL;

	if (!f->deadline_ns)
		f->deadline_ns = start + f->budget_ns;
	if (start >= f->deadline_ns) {
		refuse(f, it, "time budget spent before its turn");
		return;
	}
	f->cur = it;
	f->cur_start_ns = start;
	f->cur_bytes = 0;
	f->cur_over_budget = false;
	pthread_mutex_unlock(&f->lock);
	int fd = dfn.find_debuginfo(c, it->id, (int)it->len, &path);
	/* The server that answered; NULL when the client's cache had the file. */
	const char *url = fd >= 0 ? dfn.get_url(c) : NULL;
	pthread_mutex_lock(&f->lock);
	settle(f, it, fd, path, url, start);
	f->cur = NULL;
}

static void *worker_main(void *arg)
{
	struct dbgfetch *f = arg;
	debuginfod_client *c = dfn.begin();

	if (c) {
		dfn.set_user_data(c, f);
		/* ours, over the one DEBUGINFOD_PROGRESS installs */
		dfn.set_progressfn(c, on_progress);
	}
	pthread_mutex_lock(&f->lock);
	for (;;) {
		while (!f->stopping && f->next == f->n)
			pthread_cond_wait(&f->wake, &f->lock);
		if (f->stopping)
			break;
		struct fetch_item *it = f->items[f->next++];
		if (c)
			fetch_one(f, c, it);
		else
			refuse(f, it, "libdebuginfod could not start a client");
	}
	pthread_mutex_unlock(&f->lock);
	if (c)
		dfn.end(c);
	return NULL;
}

/* ---------------------------------------------------------------- API */

struct dbgfetch *dbgfetch__new(const char *servers, double budget_s)
{
	struct dbgfetch *f;

	pthread_once(&dfn_once, dfn_load);
	if (dfn_err) {
		errno = -dfn_err;
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (!f || !(f->servers = strdup(servers)) ||
	    setenv("DEBUGINFOD_URLS", servers, 1)) {
		if (f)
			free(f->servers);
		free(f);
		errno = ENOMEM;
		return NULL;
	}
	f->budget_ns = budget_s > 0 ? (uint64_t)(budget_s * 1e9) : 1;
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->wake, NULL);
	return f;
}

void dbgfetch__free(struct dbgfetch *f)
{
	if (!f)
		return;
	dbgfetch__stop(f);
	for (size_t i = 0; i < f->n; i++) {
		free(f->items[i]->path);
		free(f->items[i]->url);
		free(f->items[i]);
	}
	free(f->items);
	free(f->servers);
	pthread_mutex_destroy(&f->lock);
	pthread_cond_destroy(&f->wake);
	free(f);
}

/* The item of id; NULL when never asked for. Called with the lock held. */
static struct fetch_item *item_find(struct dbgfetch *f, const unsigned char *id, size_t len)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->items[i]->len == len && !memcmp(f->items[i]->id, id, len))
			return f->items[i];
	return NULL;
}

/* A new item for id, queued. NULL on ENOMEM. Called with the lock held. */
static struct fetch_item *item_add(struct dbgfetch *f, const unsigned char *id, size_t len,
				   const char *name)
{
	struct fetch_item *it;

	if (f->n == f->cap) {
		size_t nc = f->cap ? f->cap * 2 : 16;
		struct fetch_item **ni = realloc(f->items, nc * sizeof(*ni));
		if (!ni)
			return NULL;
		f->items = ni;
		f->cap = nc;
	}
	it = calloc(1, sizeof(*it));
	if (!it)
		return NULL;
	memcpy(it->id, id, len);
	it->len = len;
	for (size_t i = 0; i < len; i++)
		sprintf(it->hex + 2 * i, "%02x", id[i]);
	snprintf(it->name, sizeof(it->name), "%s", name ? name : "?");
	it->res = (struct dbgfetch_result){.name = it->name, .build_id = it->hex,
					   .state = MS_FETCH_WAITING};
	f->items[f->n++] = it;
	return it;
}

int dbgfetch__request(struct dbgfetch *f, const unsigned char *id, size_t len, const char *name)
{
	int err = 0;

	if (!len || len > MS_FETCH_MAX_ID)
		return 0;
	pthread_mutex_lock(&f->lock);
	if (item_find(f, id, len))
		goto out;
	struct fetch_item *it = item_add(f, id, len, name);
	if (!it) {
		err = -ENOMEM;
	} else if (f->stopping) {
		f->next = f->n;
		refuse(f, it, "run ended first");
	} else if (!f->started) {
		f->started = !pthread_create(&f->worker, NULL, worker_main, f);
		if (!f->started) {
			f->next = f->n;
			refuse(f, it, "cannot start a thread");
		}
	}
	pthread_cond_signal(&f->wake);
out:
	pthread_mutex_unlock(&f->lock);
	return err;
}

enum dbgfetch_state dbgfetch__state(struct dbgfetch *f, const unsigned char *id, size_t len,
				    const char **path)
{
	enum dbgfetch_state s;

	pthread_mutex_lock(&f->lock);
	struct fetch_item *it = item_find(f, id, len);
	s = it ? it->res.state : MS_FETCH_NONE;
	if (path)
		*path = it && s == MS_FETCH_DONE ? it->path : NULL;
	pthread_mutex_unlock(&f->lock);
	return s;
}

unsigned dbgfetch__generation(struct dbgfetch *f)
{
	pthread_mutex_lock(&f->lock);
	unsigned g = f->generation;
	pthread_mutex_unlock(&f->lock);
	return g;
}

bool dbgfetch__slow(struct dbgfetch *f, double min_s, char *name, size_t size, double *seconds,
		    uint64_t *bytes)
{
	bool slow = false;

	pthread_mutex_lock(&f->lock);
	if (f->cur) {
		*seconds = (double)(clock_now_ns() - f->cur_start_ns) / 1e9;
		*bytes = f->cur_bytes;
		slow = *seconds >= min_s;
		snprintf(name, size, "%s", f->cur->name);
	}
	pthread_mutex_unlock(&f->lock);
	return slow;
}

void dbgfetch__stop(struct dbgfetch *f)
{
	bool join;

	pthread_mutex_lock(&f->lock);
	f->stopping = true;
	atomic_store(&f->cancel, true);
	join = f->started;
	f->started = false;
	pthread_cond_broadcast(&f->wake);
	pthread_mutex_unlock(&f->lock);
	if (join)
		pthread_join(f->worker, NULL);
	pthread_mutex_lock(&f->lock);
	for (; f->next < f->n; f->next++)
		refuse(f, f->items[f->next], "run ended first");
	pthread_mutex_unlock(&f->lock);
}

size_t dbgfetch__nr_results(struct dbgfetch *f)
{
	pthread_mutex_lock(&f->lock);
	size_t n = f->n;
	pthread_mutex_unlock(&f->lock);
	return n;
}

const struct dbgfetch_result *dbgfetch__result(struct dbgfetch *f, size_t i)
{
	pthread_mutex_lock(&f->lock);
	const struct dbgfetch_result *r = i < f->n ? &f->items[i]->res : NULL;
	pthread_mutex_unlock(&f->lock);
	return r;
}

const char *dbgfetch__servers(const struct dbgfetch *f)
{
	return f->servers;
}

double dbgfetch__budget(const struct dbgfetch *f)
{
	return (double)f->budget_ns / 1e9;
}
