/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A profile file for the flame graph commands: pprof or folded stacks, told by content. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "base/log.h"
#include "output/pprof_read.h"

/* What is peeked at to tell binary from text; the rest is read only for binary. */
#define MS_PEEK_SIZE	  4096
#define MS_INPUT_MAX_SIZE (1024UL << 20)

/* The bytes already read, then the rest of the file: folded stacks are streamed,
 * never held whole, and stdin cannot be rewound. */
struct peeked {
	const uint8_t *head;
	size_t n, pos;
	FILE *rest; /* NULL: head is all of it */
};

static ssize_t peeked_read(void *cookie, char *buf, size_t size)
{
	struct peeked *pk = cookie;

	if (pk->pos < pk->n) {
		size_t k = pk->n - pk->pos < size ? pk->n - pk->pos : size;

		memcpy(buf, pk->head + pk->pos, k);
		pk->pos += k;
		return (ssize_t)k;
	}
	if (!pk->rest)
		return 0;
	size_t got = fread(buf, 1, size, pk->rest);
	return got || !ferror(pk->rest) ? (ssize_t)got : -1;
}

/* Folded text has no control characters but tabs and line ends; gzip and
 * protobuf data have them in their first bytes. */
static bool looks_binary(const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
			return true;
	return false;
}

static int read_folded(struct flame_tree *t, const uint8_t *head, size_t n, FILE *rest,
		       const char *name, bool to_base)
{
	struct peeked pk = {.head = head, .n = n, .rest = rest};
	cookie_io_functions_t io = {.read = peeked_read};
	char err[512];
	FILE *f = fopencookie(&pk, "r", io);
	int ret;

	if (!f) {
		ms_err("cannot read %s: out of memory", name);
		return -ENOMEM;
	}
	ret = flame_tree__read(t, f, name, to_base, err, sizeof(err));
	fclose(f);
	if (ret)
		ms_err("%s", err);
	return ret;
}

/* head and the rest of f in one malloc'd buffer: a profile is decoded whole. */
static int slurp(FILE *f, const uint8_t *head, size_t n, uint8_t **buf, size_t *len)
{
	size_t cap = n * 4, got;
	uint8_t *b = malloc(cap), *q;

	if (!b)
		return -ENOMEM;
	memcpy(b, head, n);
	*len = n;
	while ((got = fread(b + *len, 1, cap - *len, f)) > 0) {
		*len += got;
		if (*len < cap)
			continue;
		if (cap >= MS_INPUT_MAX_SIZE || !(q = realloc(b, cap * 2))) {
			free(b);
			return cap >= MS_INPUT_MAX_SIZE ? -EFBIG : -ENOMEM;
		}
		b = q;
		cap *= 2;
	}
	if (ferror(f)) {
		free(b);
		return -EIO;
	}
	*buf = b;
	return 0;
}

static int read_binary(struct flame_tree *t, const uint8_t *head, size_t n, FILE *f,
		       const char *name, bool to_base, struct flame_input *in)
{
	char err[512];
	uint8_t *buf;
	size_t len;
	int ret = slurp(f, head, n, &buf, &len);

	if (ret) {
		ms_err("cannot read %s: %s", name, strerror(-ret));
		return ret;
	}
	ret = pprof_read(t, buf, len, name, to_base, in, err, sizeof(err));
	/* not a profile: the folded reader says what is wrong with it as text */
	if (ret == -ENOMSG)
		ret = read_folded(t, buf, len, NULL, name, to_base);
	else if (ret)
		ms_err("%s", err);
	free(buf);
	return ret;
}

int flame_tree__read_input(struct flame_tree *t, const char *path, bool to_base,
			   struct flame_input *in)
{
	bool is_stdin = !strcmp(path, "-");
	const char *name = is_stdin ? "stdin" : path;
	FILE *f = is_stdin ? stdin : fopen(path, "r");
	uint8_t head[MS_PEEK_SIZE];
	size_t n;
	int ret;

	if (in) {
		in->is_pprof = false;
		in->type[0] = in->unit[0] = '\0';
	}
	if (!f) {
		int e = errno;
		ms_err("cannot open %s: %s", path, strerror(e));
		return -e;
	}
	n = fread(head, 1, sizeof(head), f);
	if (ferror(f)) {
		ms_err("%s: read error: %s", name, strerror(errno ? errno : EIO));
		ret = -EIO;
	} else if (looks_binary(head, n)) {
		ret = read_binary(t, head, n, f, name, to_base, in);
	} else {
		ret = read_folded(t, head, n, f, name, to_base);
	}
	if (!is_stdin)
		fclose(f);
	return ret;
}
