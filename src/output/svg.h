/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SVG writing for the flame graph and the timeline: escaped text, document frame, value labels. */
#ifndef MEMSPY_SVG_H
#define MEMSPY_SVG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Write len bytes of s as XML text: the five special characters escaped, invalid
 * UTF-8 and control characters replaced by U+FFFD; at most max_chars characters,
 * ".." marking a cut (max_chars 0: no limit). */
void svg_write_text_n(FILE *f, const char *s, size_t len, size_t max_chars);
/* svg_write_text_n of the NUL-terminated s. */
void svg_write_text(FILE *f, const char *s, size_t max_chars);
/* <text id="ID" x="X" y="Y">s</text> and a newline, s escaped. */
void svg_write_text_element(FILE *f, const char *id, unsigned int x, unsigned int y, const char *s);

/* Begin a document: the XML declaration, an <svg> element width x height (attrs,
 * "" or " name=\"value\"...", added to it) and comment as an XML comment. */
void svg_begin(FILE *f, unsigned int width, unsigned int height, const char *attrs,
	       const char *comment);
/* A <style> or <script> element holding css or js as character data. */
void svg_write_style(FILE *f, const char *css);
void svg_write_script(FILE *f, const char *js);
/* Close the document begun by svg_begin and flush f. Returns 0 or -EIO when any
 * write to f failed. */
int svg_end(FILE *f);

/* The binary unit in which to show v bytes: the largest of B, KiB, MiB, GiB, TiB
 * and PiB that is not more than |v|; *scale is its size in bytes. */
const char *svg_byte_unit(double v, double *scale);
/* Format bytes as "512 B" or "1.50 MiB" (binary units up to PiB), samples as
 * "1 sample" or "12 samples". With signed_, a positive value gets a '+'. */
void svg_format_bytes(char *buf, size_t size, double v, bool signed_);
void svg_format_samples(char *buf, size_t size, double v, bool signed_);
/* v microseconds as "850 us", "12.5 ms" or "3.20 s". */
void svg_format_us(char *buf, size_t size, double v, bool signed_);

#endif
