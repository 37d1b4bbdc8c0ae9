/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The screens of memspy top: header, tabs, the sorted table, a site's stack, help
 * and the key bar, laid out from the column tables of top_view.c. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/report.h"
#include "output/top_view_impl.h"

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
	struct sort_ctx ctx = {.col = &top_tables[t].cols[st->sort], .d = d,
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
			x = put_field(v, 2, x, "frees", line);
		}
		if (h->heap_mode && *h->heap_mode)
			put_field(v, 2, x, "by", h->heap_mode);
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
	/* Per kind: a lost free makes live bytes overcount, a lost allocation
	 * undercount, a lost CPU sample leaves CPU time short. */
	if (h->lost_allocs || h->lost_frees || h->lost_cpu)
		snprintf(line, sizeof(line), "%llu allocs, %llu frees, %llu CPU",
			 (unsigned long long)h->lost_allocs, (unsigned long long)h->lost_frees,
			 (unsigned long long)h->lost_cpu);
	else
		snprintf(line, sizeof(line), "0");
	x = put_field(v, 3, x, "lost", line);
	if (h->over_bounds) {
		snprintf(line, sizeof(line), "%llu", (unsigned long long)h->over_bounds);
		x = put_field(v, 3, x, "[other stacks]", line);
	}
	snprintf(line, sizeof(line), "%.1f s", h->interval_s);
	put_field(v, 3, x, "refresh", line);
}

static void draw_tabs(struct top_view *v)
{
	const struct table_state *st = &v->st[v->table];
	const struct top_column *c = &top_tables[v->table].cols[st->sort];
	int x = 0;

	for (int t = 0; t < MS_TOP_NR_TABLES; t++) {
		attr_t a = t == (int)v->table ? (A_REVERSE | A_BOLD) : A_NORMAL;
		x = put(TABLE_Y - 1, x, a, " %s ", top_tables[t].title);
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
	const struct top_table *tb = &top_tables[v->table];
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
	const struct top_table *tb = &top_tables[v->table];
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
