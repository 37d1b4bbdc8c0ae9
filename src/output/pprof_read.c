/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The pprof reader: a gzipped or raw perftools.profiles.Profile to stacks in a flame tree. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "output/pprof_read.h"
#include "output/profile.pb-c.h"

typedef Perftools__Profiles__Profile pb_profile;
typedef Perftools__Profiles__Sample pb_sample;
typedef Perftools__Profiles__Location pb_location;
typedef Perftools__Profiles__Line pb_line;
typedef Perftools__Profiles__Function pb_function;

/* Far beyond any real profile: what stops a gzip bomb. */
#define MS_PPROF_MAX_SIZE (1024UL << 20)

struct reader {
	pb_profile *p; /* locations and functions sorted by id, for bsearch */
	char *buf;     /* the stack being spelled, root first */
	size_t len, cap;
	const char *name; /* of the input, for messages */
	char *err;
	size_t errsize;
};

/* Unpack gzip data into *out (malloc'd). 0, -EINVAL when damaged, -EFBIG, -ENOMEM. */
static int gunzip(const uint8_t *in, size_t len, uint8_t **out, size_t *out_len)
{
	z_stream z = {0};
	uint8_t *buf = NULL;
	size_t cap = 0;
	int err = 0, zr;

	if (len > MS_PPROF_MAX_SIZE)
		return -EFBIG;
	if (inflateInit2(&z, 15 + 32) != Z_OK)
		return -ENOMEM;
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)len;
	for (;;) {
		if (!z.avail_out) {
			size_t ncap = cap ? cap * 2 : len * 4 + 4096;
			uint8_t *q;

			if (cap >= MS_PPROF_MAX_SIZE) {
				err = -EFBIG;
				break;
			}
			if (ncap > MS_PPROF_MAX_SIZE)
				ncap = MS_PPROF_MAX_SIZE;
			q = realloc(buf, ncap);
			if (!q) {
				err = -ENOMEM;
				break;
			}
			buf = q;
			cap = ncap;
			z.next_out = buf + z.total_out;
			z.avail_out = (uInt)(cap - z.total_out);
		}
		zr = inflate(&z, Z_NO_FLUSH);
		if (zr == Z_STREAM_END)
			break;
		/* no progress with room left: the data ends before the stream does */
		if ((zr != Z_OK && zr != Z_BUF_ERROR) || (zr == Z_BUF_ERROR && z.avail_out)) {
			err = -EINVAL;
			break;
		}
	}
	*out_len = z.total_out;
	inflateEnd(&z);
	if (err)
		free(buf);
	else
		*out = buf;
	return err;
}

static const char *gunzip_why(int err)
{
	if (err == -EFBIG)
		return "gzip data that unpacks to more than 1 GiB";
	if (err == -ENOMEM)
		return "out of memory";
	return "damaged gzip data (truncated or corrupt)";
}

static const char *str(const pb_profile *p, int64_t i)
{
	return i >= 0 && (size_t)i < p->n_string_table && p->string_table[i] ? p->string_table[i]
									     : "";
}

static int cmp_location(const void *a, const void *b)
{
	uint64_t x = (*(pb_location *const *)a)->id, y = (*(pb_location *const *)b)->id;
	return x < y ? -1 : x > y;
}

static int cmp_function(const void *a, const void *b)
{
	uint64_t x = (*(pb_function *const *)a)->id, y = (*(pb_function *const *)b)->id;
	return x < y ? -1 : x > y;
}

static const pb_location *find_location(const pb_profile *p, uint64_t id)
{
	pb_location key = {.id = id}, *k = &key, **l;

	if (!p->n_location)
		return NULL; /* no array at all: bsearch must not see NULL */
	l = bsearch(&k, p->location, p->n_location, sizeof(*l), cmp_location);
	return l ? *l : NULL;
}

static const pb_function *find_function(const pb_profile *p, uint64_t id)
{
	pb_function key = {.id = id}, *k = &key, **f;

	if (!p->n_function)
		return NULL;
	f = bsearch(&k, p->function, p->n_function, sizeof(*f), cmp_function);
	return f ? *f : NULL;
}

/* Append n bytes of a frame name; ';' separates frames and a line break ends a
 * folded line, so they are spelled ':' and '?' (folded.c does the same). */
static int put(struct reader *r, const char *s, size_t n)
{
	if (r->len + n + 1 > r->cap) {
		size_t cap = (r->len + n + 1) * 2;
		char *q = realloc(r->buf, cap);

		if (!q)
			return -ENOMEM;
		r->buf = q;
		r->cap = cap;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		r->buf[r->len++] = c == ';' ? ':' : c < 0x20 ? '?' : (char)c;
	}
	return 0;
}

static int put_str(struct reader *r, const char *s)
{
	return put(r, s, strlen(s));
}

/* Start a new frame: the separator after the frames before it. */
static int put_sep(struct reader *r)
{
	if (!r->len)
		return 0;
	if (put(r, "", 0))
		return -ENOMEM;
	r->buf[r->len++] = ';';
	return 0;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && !strcmp(s + n - m, suffix);
}

/* One line of a location as a frame: "func", "func (file.py:LINE)", "func_[i]". */
static int put_line(struct reader *r, const pb_location *l, const pb_line *ln, bool inlined)
{
	const pb_function *f = find_function(r->p, ln->function_id);
	const char *name = f ? str(r->p, f->name) : "", *file = f ? str(r->p, f->filename) : "";
	char pos[48];
	int err;

	if (!*name && f)
		name = str(r->p, f->system_name);
	err = put_sep(r) ?: put_str(r, *name ? name : "[unknown]");
	if (!err && *file && ln->line > 0 && (ends_with(file, ".py") || !l->address)) {
		snprintf(pos, sizeof(pos), ":%" PRId64 ")", ln->line);
		err = put_str(r, " (") ?: put_str(r, file) ?: put_str(r, pos);
	}
	if (!err && inlined)
		err = put_str(r, "_[i]");
	return err;
}

/* A location's frames, root first: its outermost line, then what was inlined into it. */
static int put_location(struct reader *r, uint64_t id)
{
	const pb_location *l = find_location(r->p, id);
	char addr[32];
	int err = 0;

	if (!l)
		return flame_read_error(r->err, r->errsize, -EINVAL,
				 "%s: damaged pprof profile: a sample refers to location %" PRIu64
				 ", which it does not have",
				 r->name, id);
	if (!l->n_line) {
		snprintf(addr, sizeof(addr), "0x%" PRIx64, l->address);
		return put_sep(r) ?: put_str(r, l->address ? addr : "[unknown]");
	}
	for (size_t k = l->n_line; k-- > 0 && !err;)
		err = put_line(r, l, l->line[k], k != l->n_line - 1);
	return err;
}

static int add_sample(struct reader *r, struct flame_tree *t, const pb_sample *s, size_t idx,
		      bool to_base)
{
	int err = 0;

	if (s->n_value != r->p->n_sample_type)
		return flame_read_error(r->err, r->errsize, -EINVAL,
				 "%s: damaged pprof profile: a sample has %zu values for %zu "
				 "sample types",
				 r->name, s->n_value, r->p->n_sample_type);
	if (s->value[idx] <= 0)
		return 0;
	r->len = 0;
	/* locations run leaf first */
	for (size_t i = s->n_location_id; i-- > 0 && !err;)
		err = put_location(r, s->location_id[i]);
	if (!err && !r->len)
		err = put_str(r, "[unknown]");
	if (!err)
		err = flame_tree__add(t, r->buf, r->len, (uint64_t)s->value[idx], to_base);
	if (err == -EOVERFLOW)
		return flame_read_error(r->err, r->errsize, err, "%s: total of sample values too large",
				 r->name);
	if (err == -ENOMEM)
		return flame_read_error(r->err, r->errsize, err, "%s: out of memory", r->name);
	return err;
}

static const char *type_name(const pb_profile *p, size_t i)
{
	return p->sample_type[i] ? str(p, p->sample_type[i]->type) : "";
}

/* "0 alloc_objects, 1 alloc_space, ...", for a message. */
static void list_types(const pb_profile *p, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < p->n_sample_type && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s%zu %s", i ? ", " : "", i,
					 type_name(p, i));
}

/* Which value of the samples to take: in->sample_index by number or name, else
 * the default type, else the last, as go tool pprof chooses. */
static int choose_type(const pb_profile *p, const struct flame_input *in, size_t *idx,
		       struct reader *r)
{
	const char *want = in->sample_index, *def = str(p, p->default_sample_type);
	char types[256], *end;

	*idx = p->n_sample_type - 1;
	if (!want) {
		for (size_t i = 0; *def && i < p->n_sample_type; i++)
			if (!strcmp(type_name(p, i), def))
				*idx = i;
		return 0;
	}
	unsigned long n = want[0] >= '0' && want[0] <= '9' ? strtoul(want, &end, 10) : 0;
	if (want[0] >= '0' && want[0] <= '9' && !*end && n < p->n_sample_type) {
		*idx = n;
		return 0;
	}
	for (size_t i = 0; i < p->n_sample_type; i++)
		if (!strcmp(type_name(p, i), want)) {
			*idx = i;
			return 0;
		}
	list_types(p, types, sizeof(types));
	return flame_read_error(r->err, r->errsize, -EINVAL, "%s: no sample type %s; the profile has %s",
			 r->name, want, types);
}

static int profile_read(struct flame_tree *t, struct reader *r, bool to_base,
			struct flame_input *in)
{
	pb_profile *p = r->p;
	size_t idx;
	int err = choose_type(p, in, &idx, r);

	if (err)
		return err;
	in->is_pprof = true;
	snprintf(in->type, sizeof(in->type), "%s", type_name(p, idx));
	snprintf(in->unit, sizeof(in->unit), "%s",
		 p->sample_type[idx] ? str(p, p->sample_type[idx]->unit) : "");
	/* A profile without locations or functions has NULL arrays, which qsort
	 * must not be given even to sort nothing. */
	if (p->n_location > 1)
		qsort(p->location, p->n_location, sizeof(*p->location), cmp_location);
	if (p->n_function > 1)
		qsort(p->function, p->n_function, sizeof(*p->function), cmp_function);
	for (size_t i = 0; i < p->n_sample && !err; i++)
		err = add_sample(r, t, p->sample[i], idx, to_base);
	free(r->buf);
	return err;
}

int pprof_read(struct flame_tree *t, const uint8_t *buf, size_t len, const char *name, bool to_base,
	       struct flame_input *in, char *err, size_t errsize)
{
	bool gz = len >= 2 && buf[0] == 0x1f && buf[1] == 0x8b;
	struct flame_input defaults = {0};
	struct reader r = {.name = name, .err = err, .errsize = errsize};
	uint8_t *raw = NULL;
	size_t raw_len = 0;
	int ret;

	if (gz && (ret = gunzip(buf, len, &raw, &raw_len)))
		return flame_read_error(err, errsize, ret, "%s: %s", name, gunzip_why(ret));
	r.p = perftools__profiles__profile__unpack(NULL, gz ? raw_len : len, gz ? raw : buf);
	free(raw);
	if (!r.p || !r.p->n_sample_type) {
		bool unpacked = r.p;

		if (r.p)
			perftools__profiles__profile__free_unpacked(r.p, NULL);
		if (!gz)
			return -ENOMSG;
		return flame_read_error(err, errsize, -EINVAL,
				 "%s: gzip data but not a pprof profile (%s)", name,
				 unpacked ? "no sample types" : "not a Profile protobuf");
	}
	ret = profile_read(t, &r, to_base, in ? in : &defaults);
	perftools__profiles__profile__free_unpacked(r.p, NULL);
	return ret;
}
