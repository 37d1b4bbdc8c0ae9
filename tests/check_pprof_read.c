/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of the pprof reader: memspy's own profiles read back as their folded
 * stacks (raw and gzipped), the sample index by number, name and default, and
 * damaged input refused with one message naming the file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "check_suites.h"
#include "output/pprof.h"
#include "output/pprof_read.h"

static const struct pprof_type types[] = {{"alloc_space", "bytes"}, {"inuse_space", "bytes"}};

static uint32_t intern(struct stacktab *t, const char *const *names, size_t n, bool trunc)
{
	uint32_t frames[16], id;

	for (size_t i = 0; i < n; i++)
		frames[i] = stacktab__frame(t, names[i]);
	ck_assert_int_eq(stacktab__intern(t, frames, n, trunc, &id), 0);
	return id;
}

/* Stacks as a folded file would hold them, encoded as memspy writes its profiles. */
static void encode(const char *default_type, uint8_t **buf, size_t *len)
{
	static const char *const inl[] = {"main", "outer", "mid_[i]", "leaf_[i]"};
	static const char *const py[] = {"main", "run (app.py:12)", "work (app.py:30)"};
	static const char *const odd[] = {"main", "f (x.c:3)_[i]", "k_[k]", "[unknown]"};
	struct stacktab *t = stacktab__new();
	uint32_t ids[3] = {intern(t, inl, 4, false), intern(t, py, 3, true),
			   intern(t, odd, 4, false)};
	int64_t vals[6] = {100, 7, 9, 40, 0, 5}; /* alloc, inuse of each stack */
	struct pprof_desc d = {.types = types,
			       .nr_types = 2,
			       .period_type = {"space", "bytes"},
			       .period = 1,
			       .default_type = default_type};

	ck_assert_int_eq(pprof_encode(t, ids, vals, 3, &d, buf, len), 0);
	stacktab__free(t);
}

static void gzip(const uint8_t *in, size_t len, uint8_t *out, size_t *out_len)
{
	z_stream z = {0};

	ck_assert_int_eq(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (uint8_t *)in;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)*out_len;
	ck_assert_int_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
	*out_len = z.total_out;
	deflateEnd(&z);
}

static int collect(void *arg, const char *stack, uint64_t value, uint64_t base)
{
	char *out = arg;
	size_t n = strlen(out);

	snprintf(out + n, 1024 - n, "%s %llu\n", stack, (unsigned long long)value);
	return 0;
}

/* The tree read from buf as folded lines in name order; the read's return in *ret. */
static char *read_back(const uint8_t *buf, size_t len, struct flame_input *in, int *ret, char *err)
{
	static char out[1024];
	struct flame_tree *t = flame_tree__new();

	out[0] = '\0';
	err[0] = '\0';
	*ret = pprof_read(t, buf, len, "p.pb.gz", false, in, err, 256);
	if (!*ret)
		ck_assert_int_eq(flame_tree__foreach_stack(t, collect, out), 0);
	flame_tree__free(t);
	return out;
}

static const char inuse[] = "[truncated];main;run (app.py:12);work (app.py:30) 40\n"
			    "main;f (x.c:3)_[i];k_[k];[unknown] 5\n"
			    "main;outer;mid_[i];leaf_[i] 7\n";

START_TEST(test_round_trip)
{
	struct flame_input in = {.sample_index = "inuse_space"};
	uint8_t *buf, gz[8192];
	size_t len, gz_len = sizeof(gz);
	char err[256];
	int ret;

	encode(NULL, &buf, &len);
	ck_assert_str_eq(read_back(buf, len, &in, &ret, err), inuse);
	ck_assert_int_eq(ret, 0);
	ck_assert(in.is_pprof);
	ck_assert_str_eq(in.unit, "bytes");
	gzip(buf, len, gz, &gz_len);
	ck_assert_str_eq(read_back(gz, gz_len, &in, &ret, err), inuse);
	free(buf);
}
END_TEST

START_TEST(test_sample_index)
{
	struct flame_input in = {.sample_index = "0"};
	uint8_t *buf;
	size_t len;
	char err[256];
	int ret;

	encode("alloc_space", &buf, &len);
	ck_assert_str_eq(read_back(buf, len, &in, &ret, err),
			 "[truncated];main;run (app.py:12);work (app.py:30) 9\n"
			 "main;outer;mid_[i];leaf_[i] 100\n");
	/* the default type, then the last when there is none */
	in.sample_index = NULL;
	read_back(buf, len, &in, &ret, err);
	ck_assert_str_eq(in.type, "alloc_space");
	free(buf);
	encode(NULL, &buf, &len);
	ck_assert_str_eq(read_back(buf, len, &in, &ret, err), inuse);
	ck_assert_str_eq(in.type, "inuse_space");
	in.sample_index = "inuse_objects";
	read_back(buf, len, &in, &ret, err);
	ck_assert_int_eq(ret, -EINVAL);
	ck_assert_str_eq(err, "p.pb.gz: no sample type inuse_objects; the profile has "
			      "0 alloc_space, 1 inuse_space");
	in.sample_index = "2";
	read_back(buf, len, &in, &ret, err);
	ck_assert_int_eq(ret, -EINVAL);
	free(buf);
}
END_TEST

START_TEST(test_damaged)
{
	static const uint8_t text[] = "main;f 12\n";
	uint8_t *buf, gz[8192];
	size_t len, gz_len = sizeof(gz);
	char err[256];
	int ret;

	/* raw bytes that are no profile: left for the folded reader */
	read_back(text, sizeof(text) - 1, NULL, &ret, err);
	ck_assert_int_eq(ret, -ENOMSG);
	/* gzipped text is not a profile */
	gzip(text, sizeof(text) - 1, gz, &gz_len);
	read_back(gz, gz_len, NULL, &ret, err);
	ck_assert_int_eq(ret, -EINVAL);
	ck_assert_str_eq(err, "p.pb.gz: gzip data but not a pprof profile (not a Profile "
			      "protobuf)");
	/* a profile cut short, gzipped or not */
	encode(NULL, &buf, &len);
	gz_len = sizeof(gz);
	gzip(buf, len, gz, &gz_len);
	read_back(gz, gz_len / 2, NULL, &ret, err);
	ck_assert_int_eq(ret, -EINVAL);
	ck_assert_str_eq(err, "p.pb.gz: damaged gzip data (truncated or corrupt)");
	read_back(buf, len - 3, NULL, &ret, err);
	ck_assert_int_eq(ret, -ENOMSG);
	free(buf);
}
END_TEST

/* Through the file reader: a damaged profile fails with one message naming the
 * file, and a folded file next to it still reads as folded stacks. */
START_TEST(test_read_input)
{
	char dir[] = "/tmp/check_pprof_read.XXXXXX", path[64];
	static const uint8_t cut[] = {0x1f, 0x8b, 0x08, 0x00, 0x00};
	struct flame_input in = {0};
	struct flame_tree *t = flame_tree__new();
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/cut.pb.gz", dir);
	f = fopen(path, "w");
	fwrite(cut, 1, sizeof(cut), f);
	fclose(f);
	ck_assert_int_eq(flame_tree__read_input(t, path, false, &in), -EINVAL);
	unlink(path);
	snprintf(path, sizeof(path), "%s/x.folded", dir);
	f = fopen(path, "w");
	fputs("main;f 12\nmain;g 30\n", f);
	fclose(f);
	ck_assert_int_eq(flame_tree__read_input(t, path, false, &in), 0);
	ck_assert(!in.is_pprof);
	ck_assert_uint_eq(flame_tree__total(t, false), 42);
	unlink(path);
	rmdir(dir);
	flame_tree__free(t);
}
END_TEST

Suite *suite_pprof_read(void)
{
	Suite *s = suite_create("pprof_read");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_sample_index);
	tcase_add_test(tc, test_damaged);
	tcase_add_test(tc, test_read_input);
	suite_add_tcase(s, tc);
	return s;
}
