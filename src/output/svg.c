/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SVG writing for the flame graph and the timeline: escaped text, document frame, value labels. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "output/svg.h"

/* Decode one UTF-8 character valid in XML; returns its length, or 0 when invalid. */
static size_t utf8_char(const unsigned char *s, size_t len)
{
	if (s[0] < 0x80)
		return s[0] >= 0x20 || s[0] == '\t' ? 1 : 0;
	size_t n;
	uint32_t c;
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		c = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		c = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		c = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n > len)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
	if (c < min[n] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff) || c == 0xfffe ||
	    c == 0xffff)
		return 0;
	return n;
}

static size_t count_chars(const char *s, size_t len)
{
	size_t chars = 0;
	for (size_t i = 0; i < len; chars++) {
		size_t n = utf8_char((const unsigned char *)s + i, len - i);
		i += n ? n : 1;
	}
	return chars;
}

/* XML's five special characters. */
static const char *const xml_entities[] = {
    ['"'] = "&quot;", ['&'] = "&amp;", ['\''] = "&apos;", ['<'] = "&lt;", ['>'] = "&gt;",
};

void svg_write_text_n(FILE *f, const char *s, size_t len, size_t max_chars)
{
	size_t limit = SIZE_MAX;
	if (max_chars && count_chars(s, len) > max_chars)
		limit = max_chars > 2 ? max_chars - 2 : 0;
	size_t chars = 0, i = 0;
	while (i < len && chars < limit) {
		const unsigned char *p = (const unsigned char *)s + i;
		size_t n = utf8_char(p, len - i);
		chars++;
		if (!n) {
			fputs("\xef\xbf\xbd", f);
			i++;
			continue;
		}
		i += n;
		const char *e =
		    *p < sizeof(xml_entities) / sizeof(xml_entities[0]) ? xml_entities[*p] : NULL;
		if (e)
			fputs(e, f);
		else
			fwrite(p, 1, n, f);
	}
	if (limit != SIZE_MAX)
		fputs("..", f);
}

void svg_write_text(FILE *f, const char *s, size_t max_chars)
{
	svg_write_text_n(f, s, strlen(s), max_chars);
}

void svg_write_text_element(FILE *f, const char *id, unsigned int x, unsigned int y, const char *s)
{
	fprintf(f, "<text id=\"%s\" x=\"%u\" y=\"%u\">", id, x, y);
	svg_write_text(f, s, 0);
	fputs("</text>\n", f);
}

void svg_begin(FILE *f, unsigned int width, unsigned int height, const char *attrs,
	       const char *comment)
{
	fprintf(f,
		"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
		"<svg version=\"1.1\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" "
		"height=\"%u\" viewBox=\"0 0 %u %u\"%s>\n"
		"<!-- %s -->\n",
		width, height, width, height, attrs, comment);
}

void svg_write_style(FILE *f, const char *css)
{
	fprintf(f, "<style type=\"text/css\"><![CDATA[\n%s]]></style>\n", css);
}

void svg_write_script(FILE *f, const char *js)
{
	fprintf(f, "<script type=\"text/ecmascript\"><![CDATA[\n%s]]></script>\n", js);
}

int svg_end(FILE *f)
{
	fputs("</svg>\n", f);
	if (fflush(f) || ferror(f))
		return -EIO;
	return 0;
}

static const char *sign_of(double v, bool signed_)
{
	return signed_ && v > 0 ? "+" : v < 0 ? "-" : "";
}

const char *svg_byte_unit(double v, double *scale)
{
	static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
	double a = fabs(v);
	size_t u = 0;
	*scale = 1;
	while (a / *scale >= 1024 && u < sizeof(unit) / sizeof(unit[0]) - 1) {
		*scale *= 1024;
		u++;
	}
	return unit[u];
}

void svg_format_bytes(char *buf, size_t size, double v, bool signed_)
{
	double scale;
	const char *unit = svg_byte_unit(v, &scale);
	if (scale == 1)
		snprintf(buf, size, "%s%.0f B", sign_of(v, signed_), fabs(v));
	else
		snprintf(buf, size, "%s%.2f %s", sign_of(v, signed_), fabs(v) / scale, unit);
}

void svg_format_us(char *buf, size_t size, double v, bool signed_)
{
	double a = fabs(v);

	if (a < 1000)
		snprintf(buf, size, "%s%.0f us", sign_of(v, signed_), a);
	else if (a < 1e6)
		snprintf(buf, size, "%s%.1f ms", sign_of(v, signed_), a / 1e3);
	else
		snprintf(buf, size, "%s%.2f s", sign_of(v, signed_), a / 1e6);
}

void svg_format_samples(char *buf, size_t size, double v, bool signed_)
{
	double a = fabs(v);
	snprintf(buf, size, "%s%.0f %s", sign_of(v, signed_), a, a == 1 ? "sample" : "samples");
}
