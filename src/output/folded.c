/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The folded-stack writer: one "root;...;leaf value" line per stack, as flamegraph.pl reads. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "output/folded.h"

/* Frames a line starts with when the stack is not whole or has no frames at all, so
 * flame graphs group them instead of passing them off as complete stacks. */
#define MS_FOLDED_TRUNCATED "[truncated]"
#define MS_FOLDED_UNKNOWN "[unknown]"

struct line {
	char *text;
	uint64_t value;
};

struct strbuf {
	char *s;
	size_t len, cap;
};

static int sb_append(struct strbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->s, cap);
		if (!p)
			return -ENOMEM;
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
	return 0;
}

void folded_escape_frame(const char *name, char *buf, size_t size)
{
	size_t len = 0;

	if (!size)
		return;
	/* Leading spaces go, so do control characters anywhere. */
	while (*name == ' ' || (*name > 0 && *name < 0x20))
		name++;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		unsigned char c = *p;

		if (c < 0x20 || c == 0x7f)
			continue;
		if (len + 1 >= size)
			break;
		buf[len++] = c == ';' ? ':' : (char)c;
	}
	/* Truncation must not leave half a UTF-8 sequence behind. */
	if (len + 1 >= size && len > 0) {
		size_t end = len;

		while (end > 0 && ((unsigned char)buf[end - 1] & 0xc0) == 0x80)
			end--;
		if (end > 0 && ((unsigned char)buf[end - 1] & 0xc0) == 0xc0) {
			unsigned char lead = (unsigned char)buf[end - 1];
			size_t need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;

			if (len - (end - 1) < need)
				len = end - 1;
		}
	}
	while (len > 0 && buf[len - 1] == ' ')
		len--;
	buf[len] = '\0';
}

static int append_frame(struct strbuf *b, const char *name, bool first)
{
	char esc[1024];

	folded_escape_frame(name ? name : "", esc, sizeof(esc));
	if (!esc[0])
		strcpy(esc, MS_FOLDED_UNKNOWN);
	if (!first && sb_append(b, ";", 1))
		return -ENOMEM;
	return sb_append(b, esc, strlen(esc));
}

static int cmp_line(const void *a, const void *b)
{
	return strcmp(((const struct line *)a)->text, ((const struct line *)b)->text);
}

int folded_write(FILE *f, const struct stacktab *t, const uint32_t *stack_ids,
		 const uint64_t *values, size_t n, const char *prefix)
{
	struct line *lines = calloc(n ? n : 1, sizeof(*lines));
	size_t nr = 0;
	int err = 0;

	if (!lines)
		return -ENOMEM;
	for (size_t i = 0; i < n && !err; i++) {
		struct strbuf b = { 0 };
		const uint32_t *frames;
		size_t nf;
		bool first = true;

		if (!values[i])
			continue;
		nf = stacktab__stack(t, stack_ids[i], &frames);
		if (prefix) {
			err = append_frame(&b, prefix, first);
			first = false;
		}
		if (!err && stacktab__truncated(t, stack_ids[i])) {
			err = append_frame(&b, MS_FOLDED_TRUNCATED, first);
			first = false;
		}
		for (size_t k = 0; k < nf && !err; k++) {
			err = append_frame(&b, stacktab__frame_name(t, frames[k]), first);
			first = false;
		}
		if (!err && first)
			err = append_frame(&b, MS_FOLDED_UNKNOWN, first);
		if (err) {
			free(b.s);
			break;
		}
		lines[nr].text = b.s;
		lines[nr++].value = values[i];
	}
	if (!err) {
		qsort(lines, nr, sizeof(*lines), cmp_line);
		for (size_t i = 0; i < nr;) {
			uint64_t sum = 0;
			size_t j = i;

			/* Equal text, one line: saturate rather than wrap on absurd sums. */
			for (; j < nr && !strcmp(lines[j].text, lines[i].text); j++)
				sum = sum + lines[j].value < sum ? UINT64_MAX : sum + lines[j].value;
			if (fprintf(f, "%s %" PRIu64 "\n", lines[i].text, sum) < 0) {
				err = errno ? -errno : -EIO;
				break;
			}
			i = j;
		}
	}
	for (size_t i = 0; i < nr; i++)
		free(lines[i].text);
	free(lines);
	if (!err && (fflush(f) || ferror(f)))
		err = errno ? -errno : -EIO;
	return err;
}
