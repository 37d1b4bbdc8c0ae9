/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Files in other languages that the SVG outputs carry inline, embedded at build time. */
#ifndef MEMSPY_ASSETS_H
#define MEMSPY_ASSETS_H

/* Defined in the generated assets.c (scripts/embed.sh, see Makefile.am): each is
 * the text of its file, NUL-terminated, without the file's leading comments. */
extern const char flamegraph_js[];  /* src/output/flamegraph.js: the viewer */
extern const char flamegraph_css[]; /* src/output/flamegraph.css */
extern const char timeline_css[];   /* src/output/timeline.css */

/* Font metrics of frame labels: flamegraph.c cuts a label to what fits, and the
 * viewer's fontw (flamegraph.js) must be the same product to cut it alike on zoom. */
#define MS_FLAME_FONT_SIZE  12
#define MS_FLAME_FONT_WIDTH 0.59 /* average glyph width of Verdana, in font sizes */

#endif
