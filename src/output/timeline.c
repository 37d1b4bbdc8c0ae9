/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The memory-over-time chart (timeline.svg): named series of byte counts drawn as lines. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "output/assets.h"
#include "output/svg.h"
#include "output/timeline.h"

#define WIDTH	     1200
#define PLOT_LEFT    90
#define PLOT_RIGHT   30
#define PLOT_TOP     50
#define PLOT_HEIGHT  400
#define PLOT_WIDTH   ((double)(WIDTH - PLOT_LEFT - PLOT_RIGHT))
#define AXIS_SPACE   50 /* x tick labels and the axis title under the plot */
#define LEGEND_ROW   20
#define LEGEND_CHARS 120
#define MAX_MARKERS  2000 /* points per series that get a hover marker */

static const char *const palette[] = {
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
    "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f",
};
#define NR_COLORS (sizeof(palette) / sizeof(palette[0]))

static double interval_of(const struct timeline_series *s)
{
	return s->interval_s > 0 ? s->interval_s : 1;
}

/* 1, 2 or 5 times a power of ten, the smallest at least x. */
static double nice_step(double x)
{
	double p = pow(10, floor(log10(x)));
	if (x <= p)
		return p;
	if (x <= 2 * p)
		return 2 * p;
	if (x <= 5 * p)
		return 5 * p;
	return 10 * p;
}

/* Seconds between time ticks: about ten ticks, on round seconds, minutes or hours. */
static double time_step(double range)
{
	static const double steps[] = {1,   2,	 5,    10,   15,   30,	  60,	 120,	300,
				       600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400};
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (range / steps[i] <= 10)
			return steps[i];
	return nice_step(range / 10);
}

static void format_time(char *buf, size_t size, double t, double step)
{
	if (step >= 3600 && fmod(step, 3600) == 0)
		snprintf(buf, size, "%gh", t / 3600);
	else if (step >= 60 && fmod(step, 60) == 0)
		snprintf(buf, size, "%gm", t / 60);
	else if (step < 1)
		snprintf(buf, size, "%.1fs", t);
	else
		snprintf(buf, size, "%gs", t);
}

/* Where values go on the chart: the axes' ranges and ticks. */
struct chart {
	double t0, t1;	       /* seconds at the left and right ends of the time axis */
	double tstep;	       /* seconds between time ticks */
	double unit;	       /* bytes in the unit of the y axis */
	const char *unit_name; /* "B", "KiB", ... */
	double ystep, ytop;    /* between y ticks and at the top, in units */
	size_t points;	       /* finite values in all series */
};

static const char *label_of(const struct timeline_series *s)
{
	return s->label ? s->label : "";
}

/* The ranges the axes must cover, and their ticks. Time starts at 0 unless data
 * begins earlier; the y ticks are in the binary unit of the largest value. */
static void chart_scale(struct chart *c, const struct timeline_series *series, size_t n)
{
	double tmin = 0, tmax = 0, vmax = 0;
	c->points = 0;
	for (size_t i = 0; i < n; i++) {
		const struct timeline_series *s = &series[i];
		for (size_t j = 0; j < s->n; j++) {
			double v = s->values[j];
			if (!isfinite(v))
				continue;
			double t = s->start_s + (double)j * interval_of(s);
			if (t < tmin)
				tmin = t;
			if (t > tmax)
				tmax = t;
			if (v > vmax)
				vmax = v;
			c->points++;
		}
	}
	if (tmax - tmin < 1)
		tmax = tmin + 1;
	if (vmax <= 0)
		vmax = 1024;

	c->unit_name = svg_byte_unit(vmax, &c->unit);
	c->ystep = nice_step(vmax / c->unit / 6);
	c->ytop = ceil(vmax / c->unit / c->ystep) * c->ystep;
	if (c->ytop <= 0)
		c->ytop = c->ystep;
	c->tstep = time_step(tmax - tmin);
	c->t0 = floor(tmin / c->tstep) * c->tstep;
	c->t1 = ceil(tmax / c->tstep) * c->tstep;
}

static double x_of(const struct chart *c, double t)
{
	return PLOT_LEFT + (t - c->t0) * PLOT_WIDTH / (c->t1 - c->t0);
}

/* A value in bytes; below 0 is drawn at 0. */
static double y_of(const struct chart *c, double v)
{
	if (v < 0)
		v = 0;
	return PLOT_TOP + PLOT_HEIGHT - v / c->unit * PLOT_HEIGHT / c->ytop;
}

static void write_axes(FILE *f, const struct chart *c)
{
	fputs("<g id=\"axes\">\n", f);
	for (double v = 0; v <= c->ytop + c->ystep / 2; v += c->ystep) {
		double y = PLOT_TOP + PLOT_HEIGHT - v * PLOT_HEIGHT / c->ytop;
		fprintf(f,
			"<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
			"<text class=\"ytick\" x=\"%d\" y=\"%.1f\">%g %s</text>\n",
			PLOT_LEFT, y, PLOT_LEFT + PLOT_WIDTH, y, PLOT_LEFT - 6, y + 4, v,
			c->unit_name);
	}
	for (double t = c->t0; t <= c->t1 + c->tstep / 2; t += c->tstep) {
		char label[32];
		format_time(label, sizeof(label), t, c->tstep);
		double x = x_of(c, t);
		fprintf(f,
			"<line class=\"grid\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>"
			"<text class=\"xtick\" x=\"%.1f\" y=\"%d\">%s</text>\n",
			x, PLOT_TOP, x, PLOT_TOP + PLOT_HEIGHT, x, PLOT_TOP + PLOT_HEIGHT + 18,
			label);
	}
	fprintf(f,
		"<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n"
		"<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>\n"
		"<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">time since the start of the run"
		"</text>\n"
		"<text x=\"18\" y=\"%d\" text-anchor=\"middle\" transform=\"rotate(-90 18 %d)\">"
		"bytes (%s)</text>\n</g>\n",
		PLOT_LEFT, PLOT_TOP, PLOT_LEFT, PLOT_TOP + PLOT_HEIGHT, PLOT_LEFT,
		PLOT_TOP + PLOT_HEIGHT, PLOT_LEFT + PLOT_WIDTH, PLOT_TOP + PLOT_HEIGHT,
		PLOT_LEFT + PLOT_WIDTH / 2, PLOT_TOP + PLOT_HEIGHT + 40, PLOT_TOP + PLOT_HEIGHT / 2,
		PLOT_TOP + PLOT_HEIGHT / 2, c->unit_name);
	if (!c->points)
		fprintf(f,
			"<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">No data was "
			"recorded.</text>\n",
			PLOT_LEFT + PLOT_WIDTH / 2, PLOT_TOP + PLOT_HEIGHT / 2);
}

/* Series k as polylines, broken where a value is missing. */
static void write_lines(FILE *f, const struct chart *c, const struct timeline_series *s, size_t k)
{
	bool open = false;
	size_t run = 0;
	for (size_t j = 0; j < s->n; j++) {
		double v = s->values[j];
		if (!isfinite(v)) {
			if (open)
				fputs("\"/>\n", f);
			open = false;
			continue;
		}
		if (!open) {
			fprintf(f,
				"<polyline class=\"line\" stroke=\"%s\" stroke-width=\"%s\" "
				"points=\"",
				palette[k % NR_COLORS], k ? "1.5" : "2.5");
			open = true;
			run = 0;
		}
		fprintf(f, "%s%.1f,%.1f", run++ ? " " : "",
			x_of(c, s->start_s + (double)j * interval_of(s)), y_of(c, v));
	}
	if (open)
		fputs("\"/>\n", f);
}

/* A marker with a tooltip on every point of series k, unless there are too many. */
static void write_markers(FILE *f, const struct chart *c, const struct timeline_series *s, size_t k)
{
	for (size_t j = 0; j < s->n && s->n <= MAX_MARKERS; j++) {
		double v = s->values[j], t = s->start_s + (double)j * interval_of(s);
		if (!isfinite(v))
			continue;
		/* A lone point between gaps has no line: show its marker. */
		bool lone = (j == 0 || !isfinite(s->values[j - 1])) &&
			    (j + 1 == s->n || !isfinite(s->values[j + 1]));
		char value[48];
		svg_format_bytes(value, sizeof(value), v, false);
		fprintf(f,
			"<circle class=\"pt\" cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"%s>"
			"<title>",
			x_of(c, t), y_of(c, v), palette[k % NR_COLORS],
			lone ? " style=\"fill-opacity:1\"" : "");
		svg_write_text(f, label_of(s), 0);
		fprintf(f, ": %s at %.0fs</title></circle>\n", value, t);
	}
}

static void write_legend(FILE *f, const struct timeline_series *series, size_t n, unsigned int top)
{
	fputs("<g id=\"legend\">\n", f);
	for (size_t k = 0; k < n; k++) {
		const struct timeline_series *s = &series[k];
		double y = top + (double)k * LEGEND_ROW;
		double last = NAN, peak = NAN;
		for (size_t j = 0; j < s->n; j++) {
			if (!isfinite(s->values[j]))
				continue;
			last = s->values[j];
			if (isnan(peak) || last > peak)
				peak = last;
		}
		fprintf(f,
			"<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"%s\" "
			"stroke-width=\"%s\"/><text x=\"%d\" y=\"%.1f\"><title>",
			PLOT_LEFT, y, PLOT_LEFT + 24, y, palette[k % NR_COLORS], k ? "2" : "3",
			PLOT_LEFT + 32, y + 4);
		svg_write_text(f, label_of(s), 0);
		fputs("</title>", f);
		svg_write_text(f, label_of(s), LEGEND_CHARS);
		if (isnan(last)) {
			fputs(": no data</text>\n", f);
			continue;
		}
		char a[48], b[48];
		svg_format_bytes(a, sizeof(a), last, false);
		svg_format_bytes(b, sizeof(b), peak, false);
		fprintf(f, ": last %s, peak %s</text>\n", a, b);
	}
	fputs("</g>\n", f);
}

int timeline_write_svg(FILE *f, const char *title, const struct timeline_series *series, size_t n)
{
	if (n && !series)
		return -EINVAL;

	struct chart c;
	chart_scale(&c, series, n);
	const unsigned int legend_top = PLOT_TOP + PLOT_HEIGHT + AXIS_SPACE + 10;
	const unsigned int height = legend_top + (unsigned int)(n ? n : 1) * LEGEND_ROW + 10;

	svg_begin(f, WIDTH, height, "", "Drawn by memspy. Hover a point for its value.");
	svg_write_style(f, timeline_css);
	fprintf(f, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%u\" fill=\"#ffffff\"/>\n", WIDTH,
		height);
	svg_write_text_element(f, "title", WIDTH / 2, 28, title ? title : "Memory over time");
	write_axes(f, &c);
	/* Draw the first series last so it stays on top. */
	for (size_t k = n; k-- > 0;) {
		fprintf(f, "<g class=\"series\" data-label-index=\"%zu\"><title>", k);
		svg_write_text(f, label_of(&series[k]), 0);
		fputs("</title>\n", f);
		write_lines(f, &c, &series[k], k);
		write_markers(f, &c, &series[k], k);
		fputs("</g>\n", f);
	}
	write_legend(f, series, n, legend_top);
	return svg_end(f);
}
