/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The memory-over-time chart (timeline.svg): named series of byte counts drawn as lines. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "output/assets.h"
#include "output/flamegraph.h"
#include "output/timeline.h"

#define WIDTH	     1200
#define PLOT_LEFT    90
#define PLOT_RIGHT   30
#define PLOT_TOP     50
#define PLOT_HEIGHT  400
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

int timeline_write_svg(FILE *f, const char *title, const struct timeline_series *series, size_t n)
{
	if (n && !series)
		return -EINVAL;

	/* The ranges the axes must cover. Time starts at 0 unless data begins earlier. */
	double tmin = 0, tmax = 0, vmax = 0;
	size_t points = 0;
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
			points++;
		}
	}
	if (tmax - tmin < 1)
		tmax = tmin + 1;
	if (vmax <= 0)
		vmax = 1024;

	/* y ticks in the binary unit of the largest value */
	static const char *const unit_names[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
	size_t u = 0;
	double unit = 1;
	while (vmax / unit >= 1024 && u < 5) {
		unit *= 1024;
		u++;
	}
	double ystep = nice_step(vmax / unit / 6);
	double ytop = ceil(vmax / unit / ystep) * ystep;
	if (ytop <= 0)
		ytop = ystep;
	double tstep = time_step(tmax - tmin);
	double t0 = floor(tmin / tstep) * tstep, t1 = ceil(tmax / tstep) * tstep;

	const double plot_w = WIDTH - PLOT_LEFT - PLOT_RIGHT;
	const unsigned int legend_top = PLOT_TOP + PLOT_HEIGHT + AXIS_SPACE + 10;
	const unsigned int height = legend_top + (unsigned int)(n ? n : 1) * LEGEND_ROW + 10;
#define X(t) (PLOT_LEFT + ((t)-t0) * plot_w / (t1 - t0))
#define Y(v) (PLOT_TOP + PLOT_HEIGHT - (v) / unit * PLOT_HEIGHT / ytop)

	fprintf(f,
		"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
		"<svg version=\"1.1\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
		"height=\"%u\" viewBox=\"0 0 %d %u\">\n"
		"<!-- Drawn by memspy. Hover a point for its value. -->\n"
		"<style type=\"text/css\"><![CDATA[\n%s]]></style>\n"
		"<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%u\" fill=\"#ffffff\"/>\n"
		"<text id=\"title\" x=\"%d\" y=\"28\">",
		WIDTH, height, WIDTH, height, timeline_css, WIDTH, height, WIDTH / 2);
	flamegraph_write_xml(f, title ? title : "Memory over time", 0);
	fputs("</text>\n<g id=\"axes\">\n", f);

	for (double v = 0; v <= ytop + ystep / 2; v += ystep) {
		double y = PLOT_TOP + PLOT_HEIGHT - v * PLOT_HEIGHT / ytop;
		fprintf(f,
			"<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
			"<text class=\"ytick\" x=\"%d\" y=\"%.1f\">%g %s</text>\n",
			PLOT_LEFT, y, PLOT_LEFT + plot_w, y, PLOT_LEFT - 6, y + 4, v,
			unit_names[u]);
	}
	for (double t = t0; t <= t1 + tstep / 2; t += tstep) {
		char label[32];
		format_time(label, sizeof(label), t, tstep);
		double x = X(t);
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
		PLOT_TOP + PLOT_HEIGHT, PLOT_LEFT + plot_w, PLOT_TOP + PLOT_HEIGHT,
		PLOT_LEFT + plot_w / 2, PLOT_TOP + PLOT_HEIGHT + 40, PLOT_TOP + PLOT_HEIGHT / 2,
		PLOT_TOP + PLOT_HEIGHT / 2, unit_names[u]);
	if (!points)
		fprintf(f,
			"<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">No data was "
			"recorded.</text>\n",
			PLOT_LEFT + plot_w / 2, PLOT_TOP + PLOT_HEIGHT / 2);

	/* Draw the first series last so it stays on top. */
	for (size_t k = n; k-- > 0;) {
		const struct timeline_series *s = &series[k];
		const char *color = palette[k % NR_COLORS];
		double step = interval_of(s);
		fprintf(f, "<g class=\"series\" data-label-index=\"%zu\"><title>", k);
		flamegraph_write_xml(f, s->label ? s->label : "", 0);
		fputs("</title>\n", f);
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
				fprintf(
				    f,
				    "<polyline class=\"line\" stroke=\"%s\" stroke-width=\"%s\" "
				    "points=\"",
				    color, k ? "1.5" : "2.5");
				open = true;
				run = 0;
			}
			fprintf(f, "%s%.1f,%.1f", run++ ? " " : "",
				X(s->start_s + (double)j * step), Y(v < 0 ? 0 : v));
		}
		if (open)
			fputs("\"/>\n", f);
		for (size_t j = 0; j < s->n && s->n <= MAX_MARKERS; j++) {
			double v = s->values[j], t = s->start_s + (double)j * step;
			if (!isfinite(v))
				continue;
			/* A lone point between gaps has no line: show its marker. */
			bool lone = (j == 0 || !isfinite(s->values[j - 1])) &&
				    (j + 1 == s->n || !isfinite(s->values[j + 1]));
			char value[48];
			flamegraph_format_value(value, sizeof(value), v, MS_FLAME_MEM, false);
			fprintf(
			    f,
			    "<circle class=\"pt\" cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"%s>"
			    "<title>",
			    X(t), Y(v < 0 ? 0 : v), color, lone ? " style=\"fill-opacity:1\"" : "");
			flamegraph_write_xml(f, s->label ? s->label : "", 0);
			fprintf(f, ": %s at %.0fs</title></circle>\n", value, t);
		}
		fputs("</g>\n", f);
	}

	fputs("<g id=\"legend\">\n", f);
	for (size_t k = 0; k < n; k++) {
		const struct timeline_series *s = &series[k];
		double y = legend_top + (double)k * LEGEND_ROW;
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
		flamegraph_write_xml(f, s->label ? s->label : "", 0);
		fputs("</title>", f);
		flamegraph_write_xml(f, s->label ? s->label : "", LEGEND_CHARS);
		if (isnan(last)) {
			fputs(": no data</text>\n", f);
			continue;
		}
		char a[48], b[48];
		flamegraph_format_value(a, sizeof(a), last, MS_FLAME_MEM, false);
		flamegraph_format_value(b, sizeof(b), peak, MS_FLAME_MEM, false);
		fprintf(f, ": last %s, peak %s</text>\n", a, b);
	}
	fputs("</g>\n</svg>\n", f);
#undef X
#undef Y
	if (fflush(f) || ferror(f))
		return -EIO;
	return 0;
}
