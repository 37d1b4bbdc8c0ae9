/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Inside the terminal view: its column tables and state, shared by top_view.c (the
 * terminal, the columns, the keys) and top_view_draw.c (the screens). Only they
 * include it, and only they include curses. */
#ifndef MEMSPY_TOP_VIEW_IMPL_H
#define MEMSPY_TOP_VIEW_IMPL_H

#include <curses.h>
#include <stdbool.h>
#include <stddef.h>

#include "output/top_view.h"

/* How a column shows and sorts its value. */
enum ms_col_kind {
	MS_COL_BYTES, /* 12.3 MiB */
	MS_COL_COUNT, /* 1234, 12.3k */
	MS_COL_RATE,  /* +1.2 MiB/s */
	MS_COL_PCT,   /* 12.3% */
	MS_COL_SECS,  /* 1.23s */
	MS_COL_MARK,  /* LEAK when the value is not 0 */
	MS_COL_NAME,  /* the row's frame name, takes the rest of the line */
};

struct top_column {
	const char *name;  /* said in the sort line: "sorted by live bytes" */
	const char *title; /* column header */
	int width;	   /* characters; a NAME column takes what is left */
	enum ms_col_kind kind;
	size_t field;	   /* offsetof(struct top_row, ...) of the value (not for NAME) */
	bool ascending;	   /* default order when sorted by it */
	int min_cols;	   /* hidden below this terminal width, so names stay readable */
	const char *help;  /* one line in the help screen */
};

struct top_table {
	const char *title; /* tab label */
	const struct top_column *cols;
	int nr_cols;
	int default_sort;  /* column sorted by at start */
	bool has_stacks;   /* Enter opens the row's stack */
	const char *empty; /* shown while the table has no rows */
	const char *off;   /* shown when the data is not recorded */
};

/* The tables, columns and all: data, defined in top_view.c. */
extern const struct top_table top_tables[MS_TOP_NR_TABLES];

enum ms_top_screen {
	MS_SCREEN_TABLE,
	MS_SCREEN_STACK, /* the selected heap site's stack */
	MS_SCREEN_HELP,
};

/* Colour pairs. */
enum { PAIR_LABEL = 1, PAIR_COLHEAD, PAIR_SORTED, PAIR_SELECTED, PAIR_MARK, PAIR_KEY };

struct table_state {
	int sort;	  /* column */
	bool ascending;
	size_t sel;	  /* selected row */
	uint32_t sel_key; /* key of the selected row, followed across refreshes */
	bool has_key;
	size_t top;	  /* first row shown */
};

struct top_view {
	SCREEN *screen;
	enum ms_top_table table;
	enum ms_top_screen screen_kind;
	struct table_state st[MS_TOP_NR_TABLES];
	struct top_data *d;	/* last data drawn */
	uint32_t stack_key;	/* stack screen: the site */
	size_t stack_top;	/* stack screen: first frame shown */
	size_t page;		/* rows the table showed last */
	bool paused;
	bool colors;
};

#endif
