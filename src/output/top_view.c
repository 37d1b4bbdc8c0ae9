/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The full-screen view of memspy top: its columns as data (one table per view), the
 * terminal taken and given back (on every exit path), and the keys. The screens are
 * drawn in top_view_draw.c; only these two files talk to curses. */
#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <term.h>
#include <unistd.h>

#include "output/top_view_impl.h"

#define ROW_FIELD(f) offsetof(struct top_row, f)

enum ms_heap_col {
	MS_HEAP_LIVE,
	MS_HEAP_COUNT,
	MS_HEAP_GROWTH,
	MS_HEAP_SHARE,
	MS_HEAP_ALLOC,
	MS_HEAP_SUSPECT,
	MS_HEAP_SITE,
	MS_HEAP_NR_COLS,
};

static const struct top_column heap_columns[MS_HEAP_NR_COLS] = {
	[MS_HEAP_LIVE] = {.name = "live bytes", .title = "LIVE", .width = 10,
			  .kind = MS_COL_BYTES, .field = ROW_FIELD(live_bytes),
			  .help = "estimated bytes allocated here and not freed yet"},
	[MS_HEAP_COUNT] = {.name = "live blocks", .title = "BLOCKS", .width = 7,
			   .kind = MS_COL_COUNT, .field = ROW_FIELD(live_count), .min_cols = 72,
			   .help = "estimated blocks allocated here and not freed yet"},
	[MS_HEAP_GROWTH] = {.name = "growth", .title = "GROWTH/s", .width = 13,
			    .kind = MS_COL_RATE, .field = ROW_FIELD(growth),
			    .help = "change of live bytes per second over the last 5 s"},
	[MS_HEAP_SHARE] = {.name = "share", .title = "SHARE", .width = 6, .kind = MS_COL_PCT,
			   .field = ROW_FIELD(share), .min_cols = 80,
			   .help = "percent of the live heap memspy has seen"},
	[MS_HEAP_ALLOC] = {.name = "allocated bytes", .title = "ALLOCATED", .width = 10,
			   .kind = MS_COL_BYTES, .field = ROW_FIELD(alloc_bytes), .min_cols = 90,
			   .help = "estimated bytes allocated here since attach, freed or not"},
	[MS_HEAP_SUSPECT] = {.name = "leak suspects", .title = "LEAK", .width = 4,
			     .kind = MS_COL_MARK, .field = ROW_FIELD(suspect),
			     .help = "live bytes grew steadily since attach (as memspy attach "
				     "ranks suspects)"},
	[MS_HEAP_SITE] = {.name = "site name", .title = "SITE", .kind = MS_COL_NAME,
			  .ascending = true,
			  .help = "first frame outside the allocator; Enter shows the stack"},
};

enum ms_cpu_col {
	MS_CPU_SELF_PCT,
	MS_CPU_TOTAL_PCT,
	MS_CPU_SELF_S,
	MS_CPU_TOTAL_S,
	MS_CPU_FUNCTION,
	MS_CPU_NR_COLS,
};

static const struct top_column cpu_columns[MS_CPU_NR_COLS] = {
	[MS_CPU_SELF_PCT] = {.name = "own %", .title = "%OWN", .width = 6, .kind = MS_COL_PCT,
			     .field = ROW_FIELD(self_pct),
			     .help = "percent of samples running in the function itself"},
	[MS_CPU_TOTAL_PCT] = {.name = "total %", .title = "%TOTAL", .width = 6,
			      .kind = MS_COL_PCT, .field = ROW_FIELD(total_pct),
			      .help = "percent of samples with the function on the stack"},
	[MS_CPU_SELF_S] = {.name = "own time", .title = "OWNTIME", .width = 8,
			   .kind = MS_COL_SECS, .field = ROW_FIELD(self_s), .min_cols = 60,
			   .help = "CPU seconds in the function itself"},
	[MS_CPU_TOTAL_S] = {.name = "total time", .title = "TOTALTIME", .width = 9,
			    .kind = MS_COL_SECS, .field = ROW_FIELD(total_s), .min_cols = 60,
			    .help = "CPU seconds with the function on the stack"},
	[MS_CPU_FUNCTION] = {.name = "function name", .title = "FUNCTION", .kind = MS_COL_NAME,
			     .ascending = true, .help = "the function (_[i]: inlined)"},
};

const struct top_table top_tables[MS_TOP_NR_TABLES] = {
	[MS_TOP_HEAP] = {.title = "Heap", .cols = heap_columns, .nr_cols = MS_HEAP_NR_COLS,
			 .default_sort = MS_HEAP_LIVE, .has_stacks = true,
			 .empty = "no sampled allocation is live yet: sites appear as the "
				  "target allocates",
			 .off = "heap tracking is off (--no-heap)"},
	[MS_TOP_CPU] = {.title = "CPU", .cols = cpu_columns, .nr_cols = MS_CPU_NR_COLS,
			.default_sort = MS_CPU_SELF_PCT,
			.empty = "no CPU samples yet: the target has not been on a CPU",
			.off = "CPU sampling is off (--no-cpu)"},
};

/* The view that owns the terminal now, for the exit hook. */
static struct top_view *active_view;

static void restore_terminal(void)
{
	if (active_view && active_view->screen) {
		endwin();
		delscreen(active_view->screen);
		active_view->screen = NULL;
	}
	active_view = NULL;
}

int top_view_check_terminal(char *err, size_t size)
{
	int e = 0;

	if (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO)) {
		snprintf(err, size, "%s is not a terminal",
			 isatty(STDOUT_FILENO) ? "standard input" : "standard output");
		return -ENOTTY;
	}
	const char *term = getenv("TERM");
	if (!term || !*term) {
		snprintf(err, size, "TERM is not set");
		return -ENOENT;
	}
	/* setupterm leaves cur_term set; free it so newterm starts clean. */
	if (setupterm(term, STDOUT_FILENO, &e) != OK) {
		snprintf(err, size, "terminal type '%s' is unknown", term);
		return -ENOENT;
	}
	del_curterm(cur_term);
	return 0;
}

struct top_view *top_view__new(enum ms_top_table first)
{
	static bool hooked;
	struct top_view *v = calloc(1, sizeof(*v));

	if (!v)
		return NULL;
	setlocale(LC_CTYPE, "");
	/* newterm, not initscr: initscr exits the program when the terminal is unknown. */
	v->screen = newterm(NULL, stdout, stdin);
	if (!v->screen) {
		free(v);
		errno = ENOTTY;
		return NULL;
	}
	active_view = v;
	if (!hooked) {
		atexit(restore_terminal);
		hooked = true;
	}
	/* cbreak, not raw: Ctrl-C stays a signal that ends the session cleanly. */
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	if (has_colors()) {
		start_color();
		use_default_colors();
		init_pair(PAIR_LABEL, COLOR_CYAN, -1);
		init_pair(PAIR_COLHEAD, COLOR_BLACK, COLOR_GREEN);
		init_pair(PAIR_SORTED, COLOR_BLACK, COLOR_CYAN);
		init_pair(PAIR_SELECTED, COLOR_BLACK, COLOR_CYAN);
		init_pair(PAIR_MARK, COLOR_RED, -1);
		init_pair(PAIR_KEY, COLOR_BLACK, COLOR_CYAN);
		v->colors = true;
	}
	v->table = first;
	for (int t = 0; t < MS_TOP_NR_TABLES; t++) {
		v->st[t].sort = top_tables[t].default_sort;
		v->st[t].ascending = top_tables[t].cols[v->st[t].sort].ascending;
	}
	return v;
}

void top_view__free(struct top_view *v)
{
	if (!v)
		return;
	if (active_view == v)
		restore_terminal();
	free(v);
}

bool top_view__paused(const struct top_view *v)
{
	return v->paused;
}

/* ---------------------------------------------------------------- keys */

static void move_sel(struct top_view *v, long delta)
{
	if (v->screen_kind == MS_SCREEN_STACK) {
		long t = (long)v->stack_top + delta;
		v->stack_top = t < 0 ? 0 : (size_t)t; /* the draw clamps the end */
		return;
	}
	struct table_state *st = &v->st[v->table];
	size_t n = v->d ? v->d->nr_rows[v->table] : 0;
	if (!n)
		return;
	long s = (long)st->sel + delta;
	if (s < 0)
		s = 0;
	if (s >= (long)n)
		s = (long)n - 1;
	st->sel = (size_t)s;
	st->sel_key = v->d->rows[v->table][s].key;
	st->has_key = true;
}

static void change_sort(struct top_view *v, int step)
{
	struct table_state *st = &v->st[v->table];
	int n = top_tables[v->table].nr_cols;

	st->sort = (st->sort + step + n) % n;
	st->ascending = top_tables[v->table].cols[st->sort].ascending;
}

/* Keys of the table screen only: views, sorting, opening a stack. */
static int on_table_key(struct top_view *v, int ch)
{
	switch (ch) {
	case '\t':
	case KEY_BTAB:
		v->table = (v->table + 1) % MS_TOP_NR_TABLES;
		return TOP_KEY_REDRAW;
	case 's':
	case 'S':
	case '>':
	case '.':
		change_sort(v, 1);
		return TOP_KEY_REDRAW;
	case '<':
	case ',':
		change_sort(v, -1);
		return TOP_KEY_REDRAW;
	case 'i':
	case 'I':
		v->st[v->table].ascending = !v->st[v->table].ascending;
		return TOP_KEY_REDRAW;
	case '\n':
	case '\r':
	case KEY_ENTER:
	case KEY_RIGHT:
		if (!top_tables[v->table].has_stacks || !v->d || !v->d->nr_rows[v->table])
			return 0;
		v->stack_key = v->st[v->table].sel_key;
		v->stack_top = 0;
		v->screen_kind = MS_SCREEN_STACK;
		return TOP_KEY_REDRAW;
	}
	return 0;
}

static int on_key(struct top_view *v, int ch)
{
	long page = v->page > 1 ? (long)v->page - 1 : 1;

	if (ch == 'q' || ch == 'Q')
		return TOP_KEY_QUIT;
	if (ch == KEY_RESIZE)
		return TOP_KEY_REDRAW;
	if (v->screen_kind == MS_SCREEN_HELP) {
		v->screen_kind = MS_SCREEN_TABLE;
		return TOP_KEY_REDRAW;
	}
	switch (ch) {
	case '?':
	case 'h':
	case KEY_F(1):
		v->screen_kind = MS_SCREEN_HELP;
		return TOP_KEY_REDRAW;
	case KEY_UP:
	case 'k':
		move_sel(v, -1);
		return TOP_KEY_REDRAW;
	case KEY_DOWN:
	case 'j':
		move_sel(v, 1);
		return TOP_KEY_REDRAW;
	case KEY_PPAGE:
		move_sel(v, -page);
		return TOP_KEY_REDRAW;
	case KEY_NPAGE:
	case ' ':
		move_sel(v, page);
		return TOP_KEY_REDRAW;
	case KEY_HOME:
		move_sel(v, -(1L << 30));
		return TOP_KEY_REDRAW;
	case KEY_END:
		move_sel(v, 1L << 30);
		return TOP_KEY_REDRAW;
	case 'p':
	case 'P':
		v->paused = !v->paused;
		return TOP_KEY_PAUSE | TOP_KEY_REDRAW;
	case 'r':
	case 'R':
		return TOP_KEY_RESET;
	case 27: /* Esc */
	case KEY_BACKSPACE:
	case KEY_LEFT:
		if (v->screen_kind != MS_SCREEN_STACK)
			return 0;
		v->screen_kind = MS_SCREEN_TABLE;
		return TOP_KEY_REDRAW;
	}
	if (v->screen_kind == MS_SCREEN_STACK) {
		if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
			v->screen_kind = MS_SCREEN_TABLE;
			return TOP_KEY_REDRAW;
		}
		return 0;
	}
	return on_table_key(v, ch);
}

int top_view__keys(struct top_view *v)
{
	int ch, what = 0;

	while (!(what & TOP_KEY_QUIT) && (ch = getch()) != ERR)
		what |= on_key(v, ch);
	return what;
}

