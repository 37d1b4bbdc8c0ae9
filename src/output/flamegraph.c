/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Flame graph drawing: a laid-out flame tree as one SVG, the viewer's script and style inline. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "output/assets.h"
#include "output/flame_layout.h"
#include "output/flame_palette.h"
#include "output/flame_tree_impl.h"
#include "output/flamegraph.h"
#include "output/svg.h"

#define FRAME_HEIGHT  16
#define FONT_SIZE     MS_FLAME_FONT_SIZE
#define FONT_WIDTH    MS_FLAME_FONT_WIDTH
#define XPAD	      10
#define TOP_PAD	      56
#define SUBTITLE_PAD  18
#define BOTTOM_PAD    34
#define DEFAULT_WIDTH 1200
#define DEFAULT_SHARE 0.001

/* ------------------------------------------------------------------ names */

enum flame_kind flamegraph_frame_kind(const char *name)
{
	size_t len = strlen(name);
	if (len > 4 && name[len - 4] == '_' && name[len - 3] == '[' && name[len - 1] == ']') {
		switch (name[len - 2]) {
		case 'k':
			return MS_FRAME_KERNEL;
		case 'i':
			return MS_FRAME_INLINED;
		case 'j':
			return MS_FRAME_JIT;
		}
	}
	if (len > 5 && !strcmp(name + len - 5, "_[py]"))
		return MS_FRAME_PYTHON;
	if (!strncmp(name, "<module> (", 10))
		return MS_FRAME_PYTHON; /* a script run without a .py name */
	/* py-spy and memspy spell Python frames "func (path/file.py:12)". */
	const char *open = strrchr(name, '(');
	if (open && open > name && open[-1] == ' ' && name[len - 1] == ')') {
		const char *py = strstr(open, ".py");
		if (py && (py[3] == ':' || py[3] == ')' ||
			   (py[3] == 'x' && (py[4] == ':' || py[4] == ')'))))
			return MS_FRAME_PYTHON;
	}
	return MS_FRAME_NATIVE;
}

/* Length of the name without perf's "_[k]"-style annotation. */
static size_t display_len(const char *name, enum flame_kind kind)
{
	size_t len = strlen(name);
	switch (kind) {
	case MS_FRAME_KERNEL:
	case MS_FRAME_INLINED:
	case MS_FRAME_JIT:
		return len - 4;
	case MS_FRAME_PYTHON:
		if (len > 5 && !strcmp(name + len - 5, "_[py]"))
			return len - 5;
		return len;
	default:
		return len;
	}
}

void flamegraph_format_value(char *buf, size_t size, double v, enum flame_colors units,
			     bool signed_)
{
	if (units == MS_FLAME_CPU)
		svg_format_samples(buf, size, v, signed_);
	else if (units == MS_FLAME_TIME)
		svg_format_us(buf, size, v, signed_);
	else
		svg_format_bytes(buf, size, v, signed_);
}

/* ------------------------------------------------------------------ SVG */

static const char *kind_label(enum flame_kind kind)
{
	switch (kind) {
	case MS_FRAME_KERNEL:
		return ", kernel";
	case MS_FRAME_INLINED:
		return ", inlined";
	case MS_FRAME_JIT:
		return ", JIT";
	default:
		return "";
	}
}

/* What one drawing needs besides the box at hand. */
struct drawing {
	const struct flame_tree *t;
	const struct flame_layout *l;
	const struct flame_options *o; /* with the defaults filled in */
	uint64_t total;		       /* the root's value: the full width */
	bool diff;		       /* coloured by change from base to value */
	unsigned int height;	       /* of the image, in pixels */
};

/* What a box shows: the frame's name without perf's annotation, and its fill. */
struct label {
	const char *name; /* len bytes; may point into merged */
	size_t len;
	enum flame_kind kind;
	char merged[64]; /* the name of a box of merged frames */
	char color[32];
};

static void box_label(const struct drawing *d, const struct flame_box *b, struct label *lb)
{
	lb->kind = MS_FRAME_NATIVE;
	if (b->node == NO_NODE) {
		snprintf(lb->merged, sizeof(lb->merged), "[%" PRIu32 " frames under %g%%]",
			 b->merged, 100 * d->o->min_share);
		lb->name = lb->merged;
		lb->len = strlen(lb->merged);
		snprintf(lb->color, sizeof(lb->color), "rgb(200,200,200)");
	} else {
		lb->name = flame_tree__node_name(d->t, b->node);
		lb->kind = b->node ? flamegraph_frame_kind(lb->name) : MS_FRAME_NATIVE;
		lb->len = display_len(lb->name, lb->kind);
		if (!b->node)
			snprintf(lb->color, sizeof(lb->color), "rgb(215,215,205)");
		else
			flame_palette_frame(lb->name, lb->len, lb->kind, d->o->colors, lb->color,
					    sizeof(lb->color));
	}
	if (d->diff)
		flame_palette_diff(b->value, b->base, d->l->max_change, lb->color,
				   sizeof(lb->color));
}

/* The tooltip after the name: value, share and kind; in a diff, the change. */
static void write_tooltip(FILE *out, const struct drawing *d, const struct flame_box *b,
			  enum flame_kind kind)
{
	enum flame_colors units = d->o->colors;
	char value[48], share[32];

	flamegraph_format_value(value, sizeof(value), (double)b->value, units, false);
	snprintf(share, sizeof(share), "%.2f%%", 100.0 * (double)b->value / (double)d->total);
	fprintf(out, "&#10;%s, %s%s", value, share, kind_label(kind));
	if (!d->diff)
		return;
	char before[48], change[48];
	flamegraph_format_value(before, sizeof(before), (double)b->base, units, false);
	flamegraph_format_value(change, sizeof(change), (double)b->value - (double)b->base, units,
				true);
	fprintf(out, "&#10;was %s, change %s", before, change);
	if (b->base)
		fprintf(out, " (%+.1f%%)",
			100.0 * ((double)b->value - (double)b->base) / (double)b->base);
	else
		fprintf(out, " (new)");
}

static void write_box(FILE *out, const struct drawing *d, const struct flame_box *b)
{
	const struct flame_options *o = d->o;
	double fullw = (double)o->width - 2 * XPAD;
	double x = XPAD + (double)b->x * fullw / (double)d->total;
	double w = (double)b->value * fullw / (double)d->total;
	double y = o->inverted ? TOP_PAD + (o->subtitle ? SUBTITLE_PAD : 0) +
				     (double)b->depth * FRAME_HEIGHT
			       : d->height - BOTTOM_PAD - (double)(b->depth + 1) * FRAME_HEIGHT;
	struct label lb;

	box_label(d, b, &lb);
	fprintf(out,
		"<g class=\"f\" data-s=\"%" PRIu64 "\" data-v=\"%" PRIu64 "\" data-d=\"%" PRIu32
		"\"%s><title>",
		b->x, b->value, b->depth, b->node == NO_NODE ? " data-n=\"merged\"" : "");
	svg_write_text_n(out, lb.name, lb.len, 0);
	write_tooltip(out, d, b, lb.kind);
	fprintf(out,
		"</title><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" fill=\"%s\" "
		"rx=\"2\" ry=\"2\"/><text x=\"%.1f\" y=\"%.1f\">",
		x, y, w, FRAME_HEIGHT - 1, lb.color, x + 3, y + 11.5);
	double chars = floor((w - 6) / (FONT_SIZE * FONT_WIDTH));
	if (chars >= 3)
		svg_write_text_n(out, lb.name, lb.len, (size_t)chars);
	fputs("</text></g>\n", out);
}

static void write_header(FILE *out, const struct flame_options *o, unsigned int height,
			 const char *title)
{
	svg_begin(out, o->width, height, " onload=\"init(evt)\"",
		  "Drawn by memspy. Click a frame to zoom, Ctrl-F to search.");
	fputs("<defs><linearGradient id=\"background\" y1=\"0\" y2=\"1\" x1=\"0\" x2=\"0\">"
	      "<stop stop-color=\"#eeeeee\" offset=\"5%\"/>"
	      "<stop stop-color=\"#eeeeb0\" offset=\"95%\"/></linearGradient></defs>\n",
	      out);
	svg_write_style(out, flamegraph_css);
	svg_write_script(out, flamegraph_js);
	fprintf(out,
		"<rect x=\"0\" y=\"0\" width=\"%u\" height=\"%u\" fill=\"url(#background)\"/>\n",
		o->width, height);
	svg_write_text_element(out, "title", o->width / 2, 24, title);
	if (o->subtitle)
		svg_write_text_element(out, "subtitle", o->width / 2, 44, o->subtitle);
	unsigned int by = o->subtitle ? 44 + SUBTITLE_PAD : 44;
	fprintf(
	    out,
	    "<text id=\"unzoom\" class=\"btn hide\" x=\"%d\" y=\"%u\">Reset Zoom</text>\n"
	    "<text id=\"search\" class=\"btn\" x=\"%u\" y=\"%u\" "
	    "text-anchor=\"end\">Search</text>\n"
	    "<text id=\"details\" x=\"%d\" y=\"%u\">Click a frame to zoom in, Ctrl-F or "
	    "Search to highlight frames, Esc to reset.</text>\n"
	    "<text id=\"matched\" class=\"hide\" x=\"%u\" y=\"%u\" text-anchor=\"end\"> </text>\n",
	    XPAD, by, o->width - XPAD, by, XPAD, height - 12, o->width - XPAD, height - 12);
}

int flame_tree__write_svg(const struct flame_tree *t, FILE *out, const struct flame_options *opts)
{
	struct flame_options o = opts ? *opts : (struct flame_options){0};
	uint64_t total = t->nodes[0].value;
	bool diff = t->nodes[0].base != 0;
	struct flame_layout l;
	int ret;

	if (!o.width)
		o.width = DEFAULT_WIDTH;
	if (o.width < 200)
		o.width = 200;
	if (o.min_share <= 0)
		o.min_share = DEFAULT_SHARE;
	const char *title = o.title ? o.title : diff ? "Differential Flame Graph" : "Flame Graph";
	if (!total && !o.allow_empty)
		return -ENODATA;

	ret = flame_layout__build(&l, t, o.min_share);
	if (ret)
		return ret;
	unsigned int top = TOP_PAD + (o.subtitle ? SUBTITLE_PAD : 0);
	struct drawing d = {
	    .t = t,
	    .l = &l,
	    .o = &o,
	    .total = total,
	    .diff = diff,
	    .height = top + (l.max_depth + 1) * FRAME_HEIGHT + BOTTOM_PAD,
	};

	write_header(out, &o, d.height, title);
	fprintf(out,
		"<g id=\"frames\" data-total=\"%" PRIu64 "\" data-xpad=\"%d\" "
		"data-width=\"%u\" data-units=\"%s\">\n",
		total, XPAD, o.width - 2 * XPAD, o.colors == MS_FLAME_CPU	 ? "samples"
		: o.colors == MS_FLAME_TIME ? "us"
					    : "bytes");
	for (size_t i = 0; i < l.n; i++)
		write_box(out, &d, &l.boxes[i]);
	fputs("</g>\n", out);
	if (!total)
		fprintf(out,
			"<text x=\"%u\" y=\"%u\" text-anchor=\"middle\">No samples were "
			"recorded.</text>\n",
			o.width / 2, top + FRAME_HEIGHT - 4);
	flame_layout__clear(&l);
	return svg_end(out);
}

int flamegraph_render_file(const char *folded_path, FILE *out, const struct flame_options *opts)
{
	struct flame_tree *t = flame_tree__new();
	if (!t) {
		ms_err("%s: out of memory", folded_path);
		return -ENOMEM;
	}
	int ret = flame_tree__read_file(t, folded_path, false);
	if (!ret) {
		ret = flame_tree__write_svg(t, out, opts);
		if (ret == -ENODATA)
			ms_err("%s: no stacks with a non-zero count", folded_path);
		else if (ret)
			ms_err("cannot write flame graph of %s: %s", folded_path, strerror(-ret));
	}
	flame_tree__free(t);
	return ret;
}
