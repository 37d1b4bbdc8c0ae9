/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of pprof: a tiny profile written, gunzipped and read back by protobuf-c's
 * unpacker, inlined frames as one location's lines, Python frames with file and line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "check_suites.h"
#include "output/pprof.h"
#include "output/profile.pb-c.h"

typedef Perftools__Profiles__Profile pb_profile;

static const struct pprof_type types[] = {{"alloc_space", "bytes"}, {"inuse_space", "bytes"}};

static uint32_t intern(struct stacktab *t, const char *const *names, size_t n, bool trunc)
{
	uint32_t frames[16], id;

	for (size_t i = 0; i < n; i++)
		frames[i] = stacktab__frame(t, names[i]);
	ck_assert_int_eq(stacktab__intern(t, frames, n, trunc, &id), 0);
	return id;
}

/* Three stacks: inlined calls, Python frames in a truncated stack, and one whose
 * values are all 0, left out. Written to a temporary directory and read back. */
static pb_profile *round_trip(void)
{
	static const char *const inl[] = {"main", "outer", "mid_[i]", "leaf_[i]"};
	static const char *const py[] = {"main", "run (app.py:12)", "work (app.py:30)"};
	static const char *const zero[] = {"main", "idle"};
	struct stacktab *t = stacktab__new();
	uint32_t ids[3] = {intern(t, inl, 4, false), intern(t, py, 3, true),
			   intern(t, zero, 2, false)};
	int64_t vals[6] = {100, 40, 7, 0, 0, 0};
	struct pprof_desc d = {.types = types, .nr_types = 2, .period_type = {"space", "bytes"},
			       .period = 524288, .duration_ns = 5, .mapping_name = "target"};
	char dir[] = "/tmp/check_pprof.XXXXXX", path[64];
	uint8_t buf[65536];

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(pprof_write(dir, "p.pb.gz", t, ids, vals, 3, &d), 0);
	snprintf(path, sizeof(path), "%s/p.pb.gz", dir);
	gzFile gz = gzopen(path, "rb");
	ck_assert_ptr_nonnull(gz);
	int len = gzread(gz, buf, sizeof(buf));
	ck_assert_int_gt(len, 0);
	gzclose(gz);
	unlink(path);
	rmdir(dir);
	stacktab__free(t);
	return perftools__profiles__profile__unpack(NULL, (size_t)len, buf);
}

static const Perftools__Profiles__Location *location(const pb_profile *p, uint64_t id)
{
	for (size_t i = 0; i < p->n_location; i++)
		if (p->location[i]->id == id)
			return p->location[i];
	return NULL;
}

static const Perftools__Profiles__Function *function(const pb_profile *p, uint64_t id)
{
	for (size_t i = 0; i < p->n_function; i++)
		if (p->function[i]->id == id)
			return p->function[i];
	return NULL;
}

/* Name of line k of the location of the sample's frame i (leaf first). */
static const char *line_name(const pb_profile *p, size_t sample, size_t i, size_t k)
{
	const Perftools__Profiles__Location *l = location(p, p->sample[sample]->location_id[i]);

	ck_assert_ptr_nonnull(l);
	ck_assert_uint_gt(l->n_line, k);
	const Perftools__Profiles__Function *f = function(p, l->line[k]->function_id);
	ck_assert_ptr_nonnull(f);
	return p->string_table[f->name];
}

START_TEST(test_header)
{
	pb_profile *p = round_trip();

	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p->string_table[0], "");
	ck_assert_uint_eq(p->n_sample_type, 2);
	ck_assert_str_eq(p->string_table[p->sample_type[0]->type], "alloc_space");
	ck_assert_str_eq(p->string_table[p->sample_type[1]->unit], "bytes");
	ck_assert_str_eq(p->string_table[p->period_type->type], "space");
	ck_assert_int_eq(p->period, 524288);
	ck_assert_int_eq(p->duration_nanos, 5);
	ck_assert_uint_eq(p->n_mapping, 1);
	ck_assert(p->mapping[0]->has_functions);
	ck_assert_str_eq(p->string_table[p->mapping[0]->filename], "target");
	/* the all-zero stack is left out */
	ck_assert_uint_eq(p->n_sample, 2);
	ck_assert_int_eq(p->sample[0]->value[0], 100);
	ck_assert_int_eq(p->sample[1]->value[1], 0);
	perftools__profiles__profile__free_unpacked(p, NULL);
}
END_TEST

START_TEST(test_inlined)
{
	pb_profile *p = round_trip();
	const Perftools__Profiles__Sample *s = p->sample[0];

	/* outer with mid and leaf inlined: one location, innermost line first */
	ck_assert_uint_eq(s->n_location_id, 2);
	ck_assert_uint_eq(location(p, s->location_id[0])->n_line, 3);
	ck_assert_str_eq(line_name(p, 0, 0, 0), "leaf");
	ck_assert_str_eq(line_name(p, 0, 0, 1), "mid");
	ck_assert_str_eq(line_name(p, 0, 0, 2), "outer");
	ck_assert_str_eq(line_name(p, 0, 1, 0), "main");
	perftools__profiles__profile__free_unpacked(p, NULL);
}
END_TEST

START_TEST(test_python)
{
	pb_profile *p = round_trip();
	const Perftools__Profiles__Sample *s = p->sample[1];
	const Perftools__Profiles__Location *l;

	/* work, run, main, then the truncated stack's marker at the root */
	ck_assert_uint_eq(s->n_location_id, 4);
	ck_assert_str_eq(line_name(p, 1, 0, 0), "work");
	ck_assert_str_eq(line_name(p, 1, 1, 0), "run");
	ck_assert_str_eq(line_name(p, 1, 2, 0), "main");
	ck_assert_str_eq(line_name(p, 1, 3, 0), "[truncated]");
	l = location(p, s->location_id[0]);
	ck_assert_int_eq(l->line[0]->line, 30);
	ck_assert_str_eq(p->string_table[function(p, l->line[0]->function_id)->filename],
			 "app.py");
	/* main is one location for both samples */
	ck_assert_uint_eq(s->location_id[2], p->sample[0]->location_id[1]);
	perftools__profiles__profile__free_unpacked(p, NULL);
}
END_TEST

Suite *suite_pprof(void)
{
	Suite *s = suite_create("pprof");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_header);
	tcase_add_test(tc, test_inlined);
	tcase_add_test(tc, test_python);
	suite_add_tcase(s, tc);
	return s;
}
