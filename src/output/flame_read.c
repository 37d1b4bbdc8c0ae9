/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reading folded stacks ("a;b;c 123" lines) into a flame tree, with messages that name the line. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "output/flame_tree.h"

static const char not_a_number[] = "missing sample count (expected 'frame;frame;... COUNT')";

/* Parse the count at the end of a folded line; NULL or why it is wrong. */
static const char *parse_count(const char *s, size_t len, uint64_t *value)
{
	size_t i = 0;
	uint64_t v = 0;
	if (i < len && s[i] == '-' && len > 1 && s[1] >= '0' && s[1] <= '9')
		return "negative sample count";
	if (i == len || s[i] < '0' || s[i] > '9')
		return not_a_number;
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		uint64_t d = (uint64_t)(s[i] - '0');
		if (v > UINT64_MAX / 10 || (v == UINT64_MAX / 10 && d > UINT64_MAX % 10))
			return "sample count too large";
		v = v * 10 + d;
	}
	if (i < len && s[i] == '.') {
		i++;
		if (i < len && s[i] >= '5' && s[i] <= '9')
			v++;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	if (i != len)
		return not_a_number;
	*value = v;
	return NULL;
}

int flame_read_error(char *err, size_t size, int ret, const char *fmt, ...)
{
	if (err && size) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, size, fmt, ap);
		va_end(ap);
	}
	return ret;
}

int flame_tree__read(struct flame_tree *t, FILE *f, const char *name, bool to_base, char *err,
		     size_t errsize)
{
	char *line = NULL;
	size_t cap = 0;
	unsigned long lineno = 0;
	ssize_t got;
	int ret = 0;

	errno = 0;
	while ((got = getline(&line, &cap, f)) >= 0) {
		size_t len = (size_t)got;
		lineno++;
		if (memchr(line, '\0', len)) {
			ret = flame_read_error(err, errsize, -EINVAL,
					 "%s:%lu: not text (NUL byte); expected folded stacks",
					 name, lineno);
			break;
		}
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r' ||
			       line[len - 1] == ' ' || line[len - 1] == '\t'))
			len--;
		size_t start = 0;
		while (start < len && (line[start] == ' ' || line[start] == '\t'))
			start++;
		if (start == len || line[start] == '#')
			continue;
		size_t sp = len;
		while (sp > start && line[sp - 1] != ' ' && line[sp - 1] != '\t')
			sp--;
		uint64_t value = 0;
		const char *why =
		    sp > start ? parse_count(line + sp, len - sp, &value) : not_a_number;
		if (why) {
			ret = flame_read_error(err, errsize, -EINVAL, "%s:%lu: %s", name, lineno, why);
			break;
		}
		size_t end = sp;
		while (end > start && (line[end - 1] == ' ' || line[end - 1] == '\t'))
			end--;
		if (end == start) {
			ret =
			    flame_read_error(err, errsize, -EINVAL,
				       "%s:%lu: empty stack before the sample count", name, lineno);
			break;
		}
		if (!value)
			continue;
		ret = flame_tree__add(t, line + start, end - start, value, to_base);
		if (ret == -EOVERFLOW) {
			flame_read_error(err, errsize, ret, "%s:%lu: total of sample counts too large",
				   name, lineno);
			break;
		}
		if (ret) {
			flame_read_error(err, errsize, ret, "%s:%lu: %s", name, lineno, strerror(-ret));
			break;
		}
	}
	if (!ret && ferror(f))
		ret = flame_read_error(err, errsize, -EIO, "%s: read error: %s", name,
				 strerror(errno ? errno : EIO));
	free(line);
	return ret;
}

int flame_tree__read_file(struct flame_tree *t, const char *path, bool to_base)
{
	char err[512];
	bool is_stdin = !strcmp(path, "-");
	FILE *f = is_stdin ? stdin : fopen(path, "r");
	if (!f) {
		int e = errno;
		ms_err("cannot open %s: %s", path, strerror(e));
		return -e;
	}
	int ret = flame_tree__read(t, f, is_stdin ? "stdin" : path, to_base, err, sizeof(err));
	if (!is_stdin)
		fclose(f);
	if (ret)
		ms_err("%s", err);
	return ret;
}
