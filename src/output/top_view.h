/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The full-screen view of memspy top: header, sortable tables, stack and help screens. */
#ifndef MEMSPY_TOP_VIEW_H
#define MEMSPY_TOP_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "profile/stacktab.h"

/* The tables Tab switches between. */
enum ms_top_table {
	MS_TOP_HEAP, /* allocation sites by live bytes */
	MS_TOP_CPU,  /* functions by self and total CPU */
	MS_TOP_NR_TABLES,
};

/* One row of either table; each table's columns read their own fields. */
struct top_row {
	double live_bytes;  /* heap: estimated bytes still live */
	double live_count;  /* heap: estimated blocks still live */
	double growth;	    /* heap: live bytes per second over the last seconds */
	double share;	    /* heap: percent of the live heap */
	double alloc_bytes; /* heap: estimated bytes allocated since attach (or reset) */
	double suspect;	    /* heap: leak suspect's growth in bytes/s, 0 when not a suspect */
	double self_pct;    /* cpu: percent of samples with the function as the leaf */
	double total_pct;   /* cpu: percent of samples with the function on the stack */
	double self_s;	    /* cpu: seconds of CPU time as the leaf */
	double total_s;	    /* cpu: seconds of CPU time on the stack */
	uint32_t key;	    /* stack id (heap) or frame id (cpu): the selection follows it */
	uint32_t frame;	    /* frame that names the row; UINT32_MAX for none */
};

/* The lines above the table. Negative rates mean "not known yet". */
struct top_header {
	pid_t pid;
	const char *comm;
	double elapsed_s;	 /* since attach or the last reset */
	double rss;		 /* resident bytes now */
	double rss_since;	 /* change since attach (or reset) */
	double rss_rate;	 /* bytes per second over the last seconds */
	double live_heap;	 /* estimated live heap bytes */
	double alloc_rate;	 /* allocations per second */
	double alloc_bytes_rate; /* bytes allocated per second */
	double free_rate;	 /* frees per second */
	double cpu_pct;		 /* CPU time of the target, percent of one CPU */
	uint64_t heap_samples;	 /* sampled allocations */
	uint64_t cpu_samples;
	uint64_t lost_allocs; /* ring buffer full: sampled allocations dropped */
	uint64_t lost_frees;  /* ring buffer full: frees of tracked blocks dropped */
	uint64_t lost_cpu;    /* ring buffer full: CPU samples dropped */
	uint64_t over_bounds; /* samples counted as [other stacks] (--max-stacks) */
	uint64_t sample_mean; /* bytes between sampled allocations now; 1: every one */
	uint32_t freq_hz;
	double interval_s; /* refresh interval */
	bool heap;	   /* heap tracked */
	const char *heap_mode; /* how: "in-process sampler (...)", "uprobes on ..." */
	bool cpu;	   /* CPU sampled */
};

/* What one refresh shows. The view sorts rows[] in place; frame names are looked
 * up in stacks when drawn, so they must stay valid until the next top_view__draw. */
struct top_data {
	struct top_header h;
	const struct stacktab *stacks;
	struct top_row *rows[MS_TOP_NR_TABLES];
	size_t nr_rows[MS_TOP_NR_TABLES];
};

/* What top_view__keys asks of its caller (a bit mask). */
enum {
	TOP_KEY_REDRAW = 1, /* view state changed: draw again with the same data */
	TOP_KEY_QUIT = 2,
	TOP_KEY_RESET = 4, /* forget what was recorded so far */
	TOP_KEY_PAUSE = 8, /* pause toggled: see top_view__paused */
};

struct top_view;

/* Whether top can run here: stdin and stdout are terminals of a known type.
 * Returns 0, or -ENOTTY / -ENOENT with the reason in err. Touches nothing. */
int top_view_check_terminal(char *err, size_t size);
/* Take over the terminal (the caller has checked it). first is the table shown
 * first. Returns NULL with errno set on failure; the terminal is then unchanged. */
struct top_view *top_view__new(enum ms_top_table first);
/* Give the terminal back as it was, then release. Also done at exit if forgotten.
 * Accepts NULL. */
void top_view__free(struct top_view *v);
/* Draw the screen from d (sorting d's rows by the chosen columns). */
void top_view__draw(struct top_view *v, struct top_data *d);
/* Handle every key pressed since the last call, without waiting. Returns TOP_KEY_*. */
int top_view__keys(struct top_view *v);
bool top_view__paused(const struct top_view *v);

#endif
