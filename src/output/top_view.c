/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The full-screen view of memspy top, the only code that talks to curses: columns are
 * data (one table per view), every exit path gives the terminal back first. */
#include <curses.h>
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <term.h>
#include <unistd.h>

#include "output/report.h"
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

struct top_table {
	const char *title; /* tab label */
	const struct top_column *cols;
	int nr_cols;
	int default_sort;  /* column sorted by at start */
	bool has_stacks;   /* Enter opens the row's stack */
	const char *empty; /* shown while the table has no rows */
	const char *off;   /* shown when the data is not recorded */
};

static const struct top_table tables[MS_TOP_NR_TABLES] = {
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
		v->st[t].sort = tables[t].default_sort;
		v->st[t].ascending = tables[t].cols[v->st[t].sort].ascending;
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

/* ---------------------------------------------------------------- formatting */

static attr_t color(const struct top_view *v, int pair, attr_t fallback)
{
	return v->colors ? COLOR_PAIR(pair) : fallback;
}

/* Write at (y, x), clipped to the screen width. Returns the column after it. */
static int put(int y, int x, attr_t attr, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	if (y < 0 || y >= LINES || x >= COLS)
		return x;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return x;
	if (n > (int)sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	attrset(attr);
	mvaddnstr(y, x, buf, COLS - x);
	attrset(A_NORMAL);
	return x + n;
}

/* A label in colour, then its value. */
static int put_field(const struct top_view *v, int y, int x, const char *label, const char *value)
{
	x = put(y, x, color(v, PAIR_LABEL, A_BOLD), "%s ", label);
	return put(y, x, A_NORMAL, "%s   ", value);
}

static void fmt_bytes(double b, char *buf, size_t size)
{
	report_format_bytes(fabs(b) < 0.5 ? 0 : b, buf, size);
}

static void fmt_count(double n, char *buf, size_t size)
{
	if (n < 99999.5)
		snprintf(buf, size, "%.0f", n);
	else if (n < 9999.5e3)
		snprintf(buf, size, "%.1fk", n / 1e3);
	else
		snprintf(buf, size, "%.1fM", n / 1e6);
}

static void fmt_rate(double bytes_per_s, char *buf, size_t size)
{
	char b[32];

	if (fabs(bytes_per_s) < 0.5) {
		snprintf(buf, size, "0");
		return;
	}
	fmt_bytes(fabs(bytes_per_s), b, sizeof(b));
	snprintf(buf, size, "%c%s/s", bytes_per_s < 0 ? '-' : '+', b);
}

static void fmt_duration(double s, char *buf, size_t size)
{
	unsigned long t = s > 0 ? (unsigned long)s : 0;
	snprintf(buf, size, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60, t % 60);
}

static double row_value(const struct top_row *r, const struct top_column *c)
{
	return *(const double *)((const char *)r + c->field);
}

static const char *row_name(const struct top_data *d, const struct top_row *r)
{
	const char *n = r->frame == UINT32_MAX ? NULL : stacktab__frame_name(d->stacks, r->frame);
	return n ? n : "[unknown]";
}

static void format_cell(const struct top_column *c, const struct top_data *d,
			const struct top_row *r, char *buf, size_t size)
{
	double x = c->kind == MS_COL_NAME ? 0 : row_value(r, c);

	switch (c->kind) {
	case MS_COL_BYTES:
		fmt_bytes(x, buf, size);
		break;
	case MS_COL_COUNT:
		fmt_count(x, buf, size);
		break;
	case MS_COL_RATE:
		fmt_rate(x, buf, size);
		break;
	case MS_COL_PCT:
		snprintf(buf, size, "%.1f%%", x);
		break;
	case MS_COL_SECS:
		snprintf(buf, size, "%.2fs", x);
		break;
	case MS_COL_MARK:
		snprintf(buf, size, "%s", x != 0 ? "LEAK" : "");
		break;
	case MS_COL_NAME:
		snprintf(buf, size, "%s", row_name(d, r));
		break;
	}
}

/* ---------------------------------------------------------------- sorting */

struct sort_ctx {
	const struct top_column *col;
	const struct top_data *d;
	bool ascending;
};

static int compare_rows(const void *a, const void *b, void *arg)
{
	const struct sort_ctx *ctx = arg;
	const struct top_row *ra = a, *rb = b;
	int c;

	if (ctx->col->kind == MS_COL_NAME) {
		c = strcmp(row_name(ctx->d, ra), row_name(ctx->d, rb));
	} else {
		double x = row_value(ra, ctx->col), y = row_value(rb, ctx->col);
		c = (x > y) - (x < y);
	}
	if (!ctx->ascending)
		c = -c;
	/* Ties keep a stable order so rows do not swap places on every refresh. */
	return c ? c : (ra->key > rb->key) - (ra->key < rb->key);
}

static void sort_table(struct top_view *v, struct top_data *d, enum ms_top_table t)
{
	struct table_state *st = &v->st[t];
	struct sort_ctx ctx = {.col = &tables[t].cols[st->sort], .d = d,
			       .ascending = st->ascending};
	size_t n = d->nr_rows[t];

	if (n > 1)
		qsort_r(d->rows[t], n, sizeof(struct top_row), compare_rows, &ctx);
	/* The selection follows its row; a row that is gone leaves the cursor in place. */
	if (st->has_key) {
		for (size_t i = 0; i < n; i++)
			if (d->rows[t][i].key == st->sel_key) {
				st->sel = i;
				break;
			}
	}
	if (n && st->sel >= n)
		st->sel = n - 1;
	st->has_key = n > 0;
	st->sel_key = n ? d->rows[t][st->sel].key : 0;
}

/* ---------------------------------------------------------------- screens */

enum { HEADER_LINES = 4, TABLE_Y = HEADER_LINES + 2 };

static void draw_header(struct top_view *v, const struct top_header *h)
{
	char a[64], b[64], c[64], line[256];
	int x;

	fmt_duration(h->elapsed_s, a, sizeof(a));
	x = put(0, 0, A_BOLD, "memspy top");
	x = put(0, x, A_NORMAL, "  ");
	snprintf(line, sizeof(line), "%d (%s)", (int)h->pid, h->comm);
	x = put_field(v, 0, x, "pid", line);
	x = put_field(v, 0, x, "attached", a);
	if (h->cpu_pct >= 0) {
		snprintf(line, sizeof(line), "%.1f%%", h->cpu_pct);
		put_field(v, 0, x, "CPU", line);
	}
	if (v->paused)
		put(0, COLS > 8 ? COLS - 8 : 0, A_REVERSE | A_BOLD, " PAUSED ");

	fmt_bytes(h->rss, a, sizeof(a));
	fmt_bytes(fabs(h->rss_since), b, sizeof(b));
	if (h->rss_rate > -1e300)
		fmt_rate(h->rss_rate, c, sizeof(c));
	else
		snprintf(c, sizeof(c), "...");
	snprintf(line, sizeof(line), "%s  (%c%s since attach, %s)", a,
		 h->rss_since < 0 ? '-' : '+', b, c);
	put_field(v, 1, 0, "RSS ", line);

	if (h->heap) {
		fmt_bytes(h->live_heap, a, sizeof(a));
		if (h->sample_mean > 1) {
			fmt_bytes((double)h->sample_mean, b, sizeof(b));
			snprintf(line, sizeof(line), "~%s live (estimated: 1 sample per %s)", a, b);
		} else {
			snprintf(line, sizeof(line), "%s live (every allocation recorded)", a);
		}
		x = put_field(v, 2, 0, "Heap", line);
		if (h->alloc_rate >= 0) {
			fmt_count(h->alloc_rate, a, sizeof(a));
			fmt_bytes(h->alloc_bytes_rate, b, sizeof(b));
			fmt_count(h->free_rate, c, sizeof(c));
			snprintf(line, sizeof(line), "%s/s (%s/s)", a, b);
			x = put_field(v, 2, x, "allocs", line);
			snprintf(line, sizeof(line), "%s/s", c);
			put_field(v, 2, x, "frees", line);
		}
	} else {
		put_field(v, 2, 0, "Heap", "not tracked (--no-heap)");
	}

	if (h->heap && h->cpu)
		snprintf(line, sizeof(line), "%llu heap, %llu CPU at %u Hz",
			 (unsigned long long)h->heap_samples, (unsigned long long)h->cpu_samples,
			 h->freq_hz);
	else if (h->heap)
		snprintf(line, sizeof(line), "%llu heap", (unsigned long long)h->heap_samples);
	else
		snprintf(line, sizeof(line), "%llu CPU at %u Hz",
			 (unsigned long long)h->cpu_samples, h->freq_hz);
	x = put_field(v, 3, 0, "Samples", line);
	snprintf(line, sizeof(line), "%llu", (unsigned long long)h->lost);
	x = put_field(v, 3, x, "lost", line);
	snprintf(line, sizeof(line), "%.1f s", h->interval_s);
	put_field(v, 3, x, "refresh", line);
}

static void draw_tabs(struct top_view *v)
{
	const struct table_state *st = &v->st[v->table];
	const struct top_column *c = &tables[v->table].cols[st->sort];
	int x = 0;

	for (int t = 0; t < MS_TOP_NR_TABLES; t++) {
		attr_t a = t == (int)v->table ? (A_REVERSE | A_BOLD) : A_NORMAL;
		x = put(TABLE_Y - 1, x, a, " %s ", tables[t].title);
		x = put(TABLE_Y - 1, x, A_NORMAL, " ");
	}
	put(TABLE_Y - 1, x + 2, A_NORMAL, "sorted by %s, %s first", c->name,
	    c->kind == MS_COL_NAME ? (st->ascending ? "a" : "z")
				   : (st->ascending ? "smallest" : "largest"));
}

/* The cells of one line, columns separated by a space; the NAME column takes the rest. */
static void draw_line(struct top_view *v, int y, const struct top_table *tb, int sort,
		      const struct top_data *d, const struct top_row *r, attr_t attr)
{
	char cell[512];
	int x = 0;

	for (int i = 0; i < tb->nr_cols && x < COLS; i++) {
		const struct top_column *c = &tb->cols[i];
		attr_t a = attr;

		if (COLS < c->min_cols)
			continue;
		if (r)
			format_cell(c, d, r, cell, sizeof(cell));
		else
			snprintf(cell, sizeof(cell), "%s", c->title);
		if (!r && i == sort)
			a = color(v, PAIR_SORTED, A_REVERSE | A_BOLD);
		else if (r && c->kind == MS_COL_MARK && cell[0] && attr == A_NORMAL)
			a = color(v, PAIR_MARK, A_BOLD) | A_BOLD;
		if (c->kind == MS_COL_NAME) {
			int w = COLS - x;
			put(y, x, a, "%-*.*s", w, w, cell);
			x = COLS;
		} else {
			put(y, x, a, "%*.*s", c->width, c->width, cell);
			x = put(y, x + c->width, attr, " ");
		}
	}
	if (x < COLS)
		put(y, x, attr, "%*s", COLS - x, "");
}

static void draw_table(struct top_view *v, struct top_data *d)
{
	const struct top_table *tb = &tables[v->table];
	struct table_state *st = &v->st[v->table];
	size_t n = d->nr_rows[v->table];
	int rows = LINES - TABLE_Y - 2;
	bool on = v->table == MS_TOP_HEAP ? d->h.heap : d->h.cpu;

	draw_tabs(v);
	draw_line(v, TABLE_Y, tb, st->sort, d, NULL, color(v, PAIR_COLHEAD, A_REVERSE));
	if (rows < 1)
		return;
	v->page = (size_t)rows;
	if (!on || !n) {
		put(TABLE_Y + 2, 2, A_DIM, "%s", on ? tb->empty : tb->off);
		return;
	}
	if (st->sel < st->top)
		st->top = st->sel;
	if (st->sel >= st->top + (size_t)rows)
		st->top = st->sel - (size_t)rows + 1;
	if (st->top + (size_t)rows > n)
		st->top = n > (size_t)rows ? n - (size_t)rows : 0;
	for (int i = 0; i < rows && st->top + (size_t)i < n; i++) {
		size_t k = st->top + (size_t)i;
		draw_line(v, TABLE_Y + 1 + i, tb, st->sort, d, &d->rows[v->table][k],
			  k == st->sel ? color(v, PAIR_SELECTED, A_REVERSE) : A_NORMAL);
	}
}

static const struct top_row *find_row(const struct top_data *d, enum ms_top_table t, uint32_t key)
{
	for (size_t i = 0; i < d->nr_rows[t]; i++)
		if (d->rows[t][i].key == key)
			return &d->rows[t][i];
	return NULL;
}

static void draw_stack(struct top_view *v, struct top_data *d)
{
	const struct top_row *r = find_row(d, MS_TOP_HEAP, v->stack_key);
	const uint32_t *frames;
	size_t n = stacktab__stack(d->stacks, v->stack_key, &frames);
	int rows = LINES - TABLE_Y - 3;
	char a[32], b[32], c[32];

	put(TABLE_Y - 1, 0, A_REVERSE | A_BOLD, " Stack ");
	put(TABLE_Y - 1, 9, A_NORMAL, "of allocation site %s, leaf first",
	    r ? row_name(d, r) : "(no longer recorded)");
	if (r) {
		fmt_bytes(r->live_bytes, a, sizeof(a));
		fmt_rate(r->growth, b, sizeof(b));
		fmt_bytes(r->alloc_bytes, c, sizeof(c));
		put(TABLE_Y, 2, A_NORMAL, "live %s in %.0f blocks, %s, %.1f%% of the heap, %s "
		    "allocated%s", a, r->live_count, b, r->share, c,
		    r->suspect != 0 ? "  LEAK SUSPECT" : "");
	}
	if (rows < 1)
		return;
	size_t total = n + (stacktab__truncated(d->stacks, v->stack_key) ? 1 : 0);
	if (total > (size_t)rows && v->stack_top > total - (size_t)rows)
		v->stack_top = total - (size_t)rows;
	if (total <= (size_t)rows)
		v->stack_top = 0;
	v->page = (size_t)rows;
	uint32_t title = r ? r->frame : UINT32_MAX;
	for (int i = 0; i < rows && v->stack_top + (size_t)i < total; i++) {
		size_t k = v->stack_top + (size_t)i;
		int y = TABLE_Y + 2 + i;
		if (k == n) {
			put(y, 2, A_DIM, "   [truncated: unwinding stopped here]");
			continue;
		}
		uint32_t f = frames[n - 1 - k];
		const char *name = stacktab__frame_name(d->stacks, f);
		int x = put(y, 2, A_DIM, "#%-3zu ", k);
		x = put(y, x, f == title ? A_BOLD : A_NORMAL, "%s", name ? name : "[unknown]");
		if (f == title)
			put(y, x, color(v, PAIR_LABEL, A_NORMAL), "   <- site");
	}
}

static void draw_help(struct top_view *v)
{
	static const char *const keys[][2] = {
		{"Up/Down, PgUp/PgDn", "move the selection (Home/End: first/last)"},
		{"Tab", "switch between the heap and the CPU view"},
		{"Enter", "heap view: show the selected site's stack (Esc or Enter: back)"},
		{"s or >, <", "sort by the next / previous column"},
		{"i", "invert the sort order"},
		{"p", "pause the display (recording goes on)"},
		{"r", "reset: forget what was recorded and start over"},
		{"? or h", "this help (any key: back)"},
		{"q, Ctrl-C", "quit (the target keeps running)"},
	};
	const struct top_table *tb = &tables[v->table];
	int y = TABLE_Y - 1;

	put(y++, 0, A_REVERSE | A_BOLD, " Help ");
	y++;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++, y++) {
		put(y, 2, A_BOLD, "%-20s", keys[i][0]);
		put(y, 24, A_NORMAL, "%s", keys[i][1]);
	}
	y++;
	put(y++, 0, A_BOLD, "Columns of the %s view:", tb->title);
	for (int i = 0; i < tb->nr_cols; i++, y++) {
		put(y, 2, A_BOLD, "%-20s", tb->cols[i].title);
		put(y, 24, A_NORMAL, "%s", tb->cols[i].help);
	}
	y++;
	put(y, 0, A_DIM, "Sampled figures (~) are estimates. memspy attach writes a full report "
	    "and flame graphs.");
}

static void draw_keybar(struct top_view *v)
{
	static const char *const bar[][2] = {
		{"?", "Help"}, {"Tab", "View"}, {"Enter", "Stack"}, {"s", "Sort"},
		{"p", "Pause"}, {"r", "Reset"}, {"q", "Quit"},
	};
	int x = 0, y = LINES - 1;

	for (size_t i = 0; i < sizeof(bar) / sizeof(bar[0]); i++) {
		x = put(y, x, A_BOLD, "%s", bar[i][0]);
		x = put(y, x, color(v, PAIR_KEY, A_REVERSE), "%-6s", bar[i][1]);
		x = put(y, x, A_NORMAL, " ");
	}
}

void top_view__draw(struct top_view *v, struct top_data *d)
{
	v->d = d;
	for (int t = 0; t < MS_TOP_NR_TABLES; t++)
		sort_table(v, d, t);
	erase();
	draw_header(v, &d->h);
	switch (v->screen_kind) {
	case MS_SCREEN_TABLE:
		draw_table(v, d);
		break;
	case MS_SCREEN_STACK:
		draw_stack(v, d);
		break;
	case MS_SCREEN_HELP:
		draw_help(v);
		break;
	}
	draw_keybar(v);
	refresh();
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
	int n = tables[v->table].nr_cols;

	st->sort = (st->sort + step + n) % n;
	st->ascending = tables[v->table].cols[st->sort].ascending;
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
		if (!tables[v->table].has_stacks || !v->d || !v->d->nr_rows[v->table])
			return 0;
		v->stack_key = v->st[v->table].sel_key;
		v->stack_top = 0;
		v->screen_kind = MS_SCREEN_STACK;
		return TOP_KEY_REDRAW;
	}
	return 0;
}

int top_view__keys(struct top_view *v)
{
	int ch, what = 0;

	while (!(what & TOP_KEY_QUIT) && (ch = getch()) != ERR)
		what |= on_key(v, ch);
	return what;
}
