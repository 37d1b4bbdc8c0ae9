/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The pprof writer: stacks and values to a gzipped perftools.profiles.Profile. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "base/hashtab.h"
#include "base/log.h"
#include "output/outdir.h"
#include "output/pprof.h"
#include "output/profile.pb-c.h"

typedef Perftools__Profiles__Profile pb_profile;
typedef Perftools__Profiles__ValueType pb_value_type;
typedef Perftools__Profiles__Sample pb_sample;
typedef Perftools__Profiles__Mapping pb_mapping;
typedef Perftools__Profiles__Location pb_location;
typedef Perftools__Profiles__Line pb_line;
typedef Perftools__Profiles__Function pb_function;

#define MS_PPROF_INLINED "_[i]"
/* frames folded.c adds: ids no stack table hands out */
#define MS_PPROF_TRUNCATED (UINT32_MAX - 1)
#define MS_PPROF_UNKNOWN (UINT32_MAX - 2)

/* A string table: pprof refers to every string by its index. */
struct strtab {
	char **s;
	size_t n, cap;
	struct hashtab h;
};

/* A location and the key it is found by: the frames it stands for, root first. */
struct loc {
	pb_location msg;
	pb_line *lines;
	pb_line **line_ptrs;
	uint32_t *frames;
};

struct builder {
	const struct stacktab *t;
	struct strtab str;
	pb_function *fn;
	size_t nr_fn, cap_fn;
	struct hashtab fn_h;
	struct loc *loc;
	size_t nr_loc, cap_loc;
	struct hashtab loc_h;
	pb_sample *samples;
	size_t nr_samples;
};

/* A frame name split as pprof wants it. */
struct frame_parts {
	char name[1024];
	char file[512]; /* "": none */
	int line;	/* 0: none */
	bool inlined;
};

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t cap2 = *cap ? *cap : 64;
	void *q;

	if (need <= *cap)
		return 0;
	while (cap2 < need)
		cap2 *= 2;
	q = realloc(*p, cap2 * size);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = cap2;
	return 0;
}

/* The index of s, added when new; -1 when out of memory. */
static int64_t strtab_add(struct strtab *st, const char *s)
{
	uint64_t h = hash_bytes(s, strlen(s), 0);
	size_t pos;
	char *copy;

	for (uint32_t i = hashtab__first(&st->h, h, &pos); i != MS_HASHTAB_NONE;
	     i = hashtab__next(&st->h, h, &pos))
		if (!strcmp(st->s[i], s))
			return i;
	if (grow((void **)&st->s, &st->cap, st->n + 1, sizeof(*st->s)))
		return -1;
	copy = strdup(s);
	if (!copy || hashtab__insert(&st->h, h, (uint32_t)st->n)) {
		free(copy);
		return -1;
	}
	st->s[st->n] = copy;
	return (int64_t)st->n++;
}

/* "func (file.py:LINE)", as the Python reader names frames: true when s is one. */
static bool parse_python(const char *s, struct frame_parts *p)
{
	const char *open = strrchr(s, '('), *colon;
	size_t len = strlen(s);
	char *end;
	long line;

	if (!open || open == s || open[-1] != ' ' || s[len - 1] != ')')
		return false;
	colon = strrchr(open, ':');
	if (!colon || colon[1] < '0' || colon[1] > '9')
		return false;
	line = strtol(colon + 1, &end, 10);
	if (end != s + len - 1 || line <= 0 || line > INT32_MAX)
		return false;
	snprintf(p->name, sizeof(p->name), "%.*s", (int)(open - 1 - s), s);
	snprintf(p->file, sizeof(p->file), "%.*s", (int)(colon - open - 1), open + 1);
	p->line = (int)line;
	return true;
}

static void frame_parse(const char *s, struct frame_parts *p)
{
	size_t len = strlen(s), sl = strlen(MS_PPROF_INLINED);

	p->file[0] = '\0';
	p->line = 0;
	p->inlined = len > sl && !strcmp(s + len - sl, MS_PPROF_INLINED);
	if (p->inlined) {
		snprintf(p->name, sizeof(p->name), "%.*s", (int)(len - sl), s);
		return;
	}
	if (!parse_python(s, p))
		snprintf(p->name, sizeof(p->name), "%s", s);
}

static const char *frame_name(const struct builder *b, uint32_t frame)
{
	const char *s;

	if (frame == MS_PPROF_TRUNCATED)
		return "[truncated]";
	if (frame == MS_PPROF_UNKNOWN)
		return "[unknown]";
	s = stacktab__frame_name(b->t, frame);
	return s && *s ? s : "[unknown]";
}

/* The id of the function a frame is in, added when new; 0 when out of memory. */
static uint64_t function_id(struct builder *b, const struct frame_parts *p)
{
	int64_t name = strtab_add(&b->str, p->name), file = strtab_add(&b->str, p->file);
	uint64_t h = hash_u64(((uint64_t)name << 32) ^ (uint64_t)file);
	size_t pos;

	if (name < 0 || file < 0)
		return 0;
	for (uint32_t i = hashtab__first(&b->fn_h, h, &pos); i != MS_HASHTAB_NONE;
	     i = hashtab__next(&b->fn_h, h, &pos))
		if (b->fn[i].name == name && b->fn[i].filename == file)
			return b->fn[i].id;
	if (grow((void **)&b->fn, &b->cap_fn, b->nr_fn + 1, sizeof(*b->fn)) ||
	    hashtab__insert(&b->fn_h, h, (uint32_t)b->nr_fn))
		return 0;
	b->fn[b->nr_fn] = (pb_function)PERFTOOLS__PROFILES__FUNCTION__INIT;
	b->fn[b->nr_fn].id = b->nr_fn + 1;
	b->fn[b->nr_fn].name = name;
	b->fn[b->nr_fn].system_name = name;
	b->fn[b->nr_fn].filename = file;
	return b->fn[b->nr_fn++].id;
}

/* Fill a new location's lines: frames[n - 1], the innermost, first. 0 or -ENOMEM. */
static int location_fill(struct builder *b, struct loc *l, const uint32_t *frames, size_t n)
{
	struct frame_parts p;

	l->lines = calloc(n, sizeof(*l->lines));
	l->line_ptrs = calloc(n, sizeof(*l->line_ptrs));
	l->frames = malloc(n * sizeof(*l->frames));
	if (!l->lines || !l->line_ptrs || !l->frames)
		return -ENOMEM;
	memcpy(l->frames, frames, n * sizeof(*frames));
	for (size_t k = 0; k < n; k++) {
		frame_parse(frame_name(b, frames[n - 1 - k]), &p);
		l->lines[k] = (pb_line)PERFTOOLS__PROFILES__LINE__INIT;
		l->lines[k].function_id = function_id(b, &p);
		l->lines[k].line = p.line;
		if (!l->lines[k].function_id)
			return -ENOMEM;
		l->line_ptrs[k] = &l->lines[k];
	}
	l->msg.n_line = n;
	return 0;
}

/* The id of the location of frames[0..n) (a function and what was inlined into
 * it), added when new; 0 when out of memory. */
static uint64_t location_id(struct builder *b, const uint32_t *frames, size_t n)
{
	uint64_t h = hash_bytes(frames, n * sizeof(*frames), n);
	struct loc *l;
	size_t pos;

	for (uint32_t i = hashtab__first(&b->loc_h, h, &pos); i != MS_HASHTAB_NONE;
	     i = hashtab__next(&b->loc_h, h, &pos))
		if (b->loc[i].msg.n_line == n &&
		    !memcmp(b->loc[i].frames, frames, n * sizeof(*frames)))
			return b->loc[i].msg.id;
	if (grow((void **)&b->loc, &b->cap_loc, b->nr_loc + 1, sizeof(*b->loc)))
		return 0;
	l = &b->loc[b->nr_loc];
	*l = (struct loc){.msg = PERFTOOLS__PROFILES__LOCATION__INIT};
	/* counted before filling, so builder_free frees what a failure leaves */
	b->nr_loc++;
	if (location_fill(b, l, frames, n) || hashtab__insert(&b->loc_h, h, (uint32_t)b->nr_loc - 1))
		return 0;
	l->msg.id = b->nr_loc;
	l->msg.mapping_id = 1;
	return l->msg.id;
}

static bool frame_inlined(const struct builder *b, uint32_t frame)
{
	const char *s = frame_name(b, frame);
	size_t len = strlen(s), sl = strlen(MS_PPROF_INLINED);

	return len > sl && !strcmp(s + len - sl, MS_PPROF_INLINED);
}

/* The locations of a stack, leaf first, into out (room for n + 1). Returns
 * their number, 0 when out of memory. */
static size_t stack_locations(struct builder *b, uint32_t stack, uint64_t *out)
{
	const uint32_t *frames;
	size_t n = stacktab__stack(b->t, stack, &frames), nr = 0, end;
	static const uint32_t truncated = MS_PPROF_TRUNCATED, unknown = MS_PPROF_UNKNOWN;

	/* from the leaf: a location runs back to the frame its inlined ones are in */
	for (end = n; end > 0;) {
		size_t start = end - 1;

		while (start > 0 && frame_inlined(b, frames[start]))
			start--;
		if (!(out[nr++] = location_id(b, frames + start, end - start)))
			return 0;
		end = start;
	}
	if (stacktab__truncated(b->t, stack) || !n)
		if (!(out[nr++] = location_id(b, n ? &truncated : &unknown, 1)))
			return 0;
	return nr;
}

static int add_sample(struct builder *b, uint32_t stack, const int64_t *values, size_t nv)
{
	const uint32_t *frames;
	size_t n = stacktab__stack(b->t, stack, &frames);
	pb_sample *s = &b->samples[b->nr_samples++];

	*s = (pb_sample)PERFTOOLS__PROFILES__SAMPLE__INIT;
	s->location_id = calloc(n + 1, sizeof(*s->location_id));
	s->value = malloc(nv * sizeof(*s->value));
	if (!s->location_id || !s->value)
		return -ENOMEM;
	memcpy(s->value, values, nv * sizeof(*values));
	s->n_value = nv;
	s->n_location_id = stack_locations(b, stack, s->location_id);
	return s->n_location_id ? 0 : -ENOMEM;
}

static bool all_zero(const int64_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i])
			return false;
	return true;
}

static int builder_add(struct builder *b, const uint32_t *ids, const int64_t *values, size_t n,
		       size_t nv)
{
	int err = 0;

	b->samples = calloc(n ? n : 1, sizeof(*b->samples));
	if (!b->samples || strtab_add(&b->str, "") != 0)
		return -ENOMEM;
	for (size_t i = 0; i < n && !err; i++)
		if (!all_zero(values + i * nv, nv))
			err = add_sample(b, ids[i], values + i * nv, nv);
	return err;
}

static void builder_free(struct builder *b)
{
	for (size_t i = 0; i < b->str.n; i++)
		free(b->str.s[i]);
	free(b->str.s);
	hashtab__fini(&b->str.h);
	free(b->fn);
	hashtab__fini(&b->fn_h);
	for (size_t i = 0; i < b->nr_loc; i++) {
		free(b->loc[i].lines);
		free(b->loc[i].line_ptrs);
		free(b->loc[i].frames);
	}
	free(b->loc);
	hashtab__fini(&b->loc_h);
	for (size_t i = 0; i < b->nr_samples; i++) {
		free(b->samples[i].location_id);
		free(b->samples[i].value);
	}
	free(b->samples);
}

/* An array of pointers to n elements of size bytes from base; NULL on ENOMEM. */
static void *ptr_array(void *base, size_t n, size_t size)
{
	void **p = calloc(n ? n : 1, sizeof(*p));

	for (size_t i = 0; p && i < n; i++)
		p[i] = (char *)base + i * size;
	return p;
}

static pb_value_type value_type(struct builder *b, const struct pprof_type *t)
{
	pb_value_type v = PERFTOOLS__PROFILES__VALUE_TYPE__INIT;

	v.type = strtab_add(&b->str, t->type);
	v.unit = strtab_add(&b->str, t->unit);
	return v;
}

/* Pack the built profile into *buf. 0 or -ENOMEM. */
static int builder_pack(struct builder *b, const struct pprof_desc *d, uint8_t **buf,
			size_t *len)
{
	pb_profile pr = PERFTOOLS__PROFILES__PROFILE__INIT;
	pb_mapping map = PERFTOOLS__PROFILES__MAPPING__INIT, *map_ptr = &map;
	pb_value_type *types = calloc(d->nr_types ? d->nr_types : 1, sizeof(*types));
	pb_value_type period = value_type(b, &d->period_type);
	int err = -ENOMEM;

	for (size_t i = 0; types && i < d->nr_types; i++)
		types[i] = value_type(b, &d->types[i]);
	map.id = 1;
	map.filename = strtab_add(&b->str, d->mapping_name ? d->mapping_name : "");
	map.has_functions = map.has_filenames = map.has_line_numbers = true;
	map.has_inline_frames = true;
	if (d->default_type)
		pr.default_sample_type = strtab_add(&b->str, d->default_type);
	pr.sample_type = ptr_array(types, d->nr_types, sizeof(*types));
	pr.sample = ptr_array(b->samples, b->nr_samples, sizeof(*b->samples));
	pr.location = calloc(b->nr_loc ? b->nr_loc : 1, sizeof(*pr.location));
	pr.function = ptr_array(b->fn, b->nr_fn, sizeof(*b->fn));
	for (size_t i = 0; pr.location && i < b->nr_loc; i++) {
		b->loc[i].msg.line = b->loc[i].line_ptrs;
		pr.location[i] = &b->loc[i].msg;
	}
	pr.n_sample_type = d->nr_types;
	pr.n_sample = b->nr_samples;
	pr.mapping = &map_ptr;
	pr.n_mapping = 1;
	pr.n_location = b->nr_loc;
	pr.n_function = b->nr_fn;
	pr.string_table = b->str.s;
	pr.n_string_table = b->str.n;
	pr.time_nanos = d->time_ns;
	pr.duration_nanos = d->duration_ns;
	pr.period_type = &period;
	pr.period = d->period;
	/* a failed strtab_add left a -1 behind: no profile rather than a wrong one */
	bool ok = types && pr.sample_type && pr.sample && pr.location && pr.function &&
		  map.filename >= 0 && pr.default_sample_type >= 0 && period.type >= 0 &&
		  period.unit >= 0;
	for (size_t i = 0; ok && i < d->nr_types; i++)
		ok = types[i].type >= 0 && types[i].unit >= 0;
	if (ok) {
		*len = perftools__profiles__profile__get_packed_size(&pr);
		*buf = malloc(*len ? *len : 1);
		if (*buf) {
			perftools__profiles__profile__pack(&pr, *buf);
			err = 0;
		}
	}
	free(pr.sample_type);
	free(pr.sample);
	free(pr.location);
	free(pr.function);
	free(types);
	return err;
}

int pprof_encode(const struct stacktab *t, const uint32_t *ids, const int64_t *values,
		 size_t n, const struct pprof_desc *d, uint8_t **buf, size_t *len)
{
	struct builder b = {.t = t};
	int err = hashtab__init(&b.str.h, 256, 0);

	if (!err)
		err = hashtab__init(&b.fn_h, 64, 0);
	if (!err)
		err = hashtab__init(&b.loc_h, 64, 0);
	if (!err)
		err = builder_add(&b, ids, values, n, d->nr_types);
	if (!err)
		err = builder_pack(&b, d, buf, len);
	builder_free(&b);
	return err;
}

/* in gzipped into f, as go tool pprof reads profiles. 0 or -errno. */
static int gzip_write(FILE *f, const uint8_t *in, size_t len)
{
	z_stream z = {0};
	uint8_t *out;
	size_t size;
	int err = 0;

	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY))
		return -ENOMEM;
	size = deflateBound(&z, len);
	out = malloc(size);
	if (!out) {
		deflateEnd(&z);
		return -ENOMEM;
	}
	z.next_in = (uint8_t *)in;
	z.avail_in = len;
	z.next_out = out;
	z.avail_out = size;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		err = -EIO;
	else if (fwrite(out, 1, z.total_out, f) != z.total_out)
		err = errno ? -errno : -EIO;
	deflateEnd(&z);
	free(out);
	return err;
}

int pprof_write(const char *dir, const char *name, const struct stacktab *t,
		const uint32_t *ids, const int64_t *values, size_t n, const struct pprof_desc *d)
{
	struct atomic_file af = {0};
	uint8_t *buf = NULL;
	size_t len = 0;
	int err = pprof_encode(t, ids, values, n, d, &buf, &len);

	if (!err)
		err = atomic_file__open(&af, dir, name);
	if (!err)
		err = gzip_write(af.f, buf, len);
	if (!err)
		err = atomic_file__commit(&af);
	free(buf);
	if (err) {
		atomic_file__abort(&af);
		ms_err("cannot write %s/%s: %s", dir, name, outdir_strerror(-err));
	}
	return err;
}
