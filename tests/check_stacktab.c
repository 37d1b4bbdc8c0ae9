/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of stacktab: interning frames and stacks. */
#include <stdio.h>

#include "check_suites.h"
#include "profile/stacktab.h"

START_TEST(test_frames_interned)
{
	struct stacktab *t = stacktab__new();
	uint32_t a = stacktab__frame(t, "main"), b = stacktab__frame(t, "leak_d");
	char name[] = "main";

	ck_assert_uint_ne(a, b);
	ck_assert_uint_eq(stacktab__frame(t, name), a);
	name[0] = 'x'; /* the table keeps its own copy */
	ck_assert_str_eq(stacktab__frame_name(t, a), "main");
	ck_assert_uint_eq(stacktab__nr_frames(t), 2);
	ck_assert_ptr_null(stacktab__frame_name(t, 99));
	stacktab__free(t);
}
END_TEST

START_TEST(test_stacks_interned)
{
	struct stacktab *t = stacktab__new();
	uint32_t f[3] = { stacktab__frame(t, "_start"), stacktab__frame(t, "main"),
			  stacktab__frame(t, "leak") };
	uint32_t id1, id2, id3, id4, id5;
	const uint32_t *frames;

	ck_assert_int_eq(stacktab__intern(t, f, 3, false, &id1), 0);
	ck_assert_int_eq(stacktab__intern(t, f, 3, false, &id2), 0);
	ck_assert_uint_eq(id1, id2);
	/* truncated is part of the key */
	ck_assert_int_eq(stacktab__intern(t, f, 3, true, &id3), 0);
	ck_assert_uint_ne(id1, id3);
	ck_assert(stacktab__truncated(t, id3));
	ck_assert(!stacktab__truncated(t, id1));
	/* a prefix is another stack */
	ck_assert_int_eq(stacktab__intern(t, f, 2, false, &id4), 0);
	ck_assert_uint_ne(id1, id4);
	ck_assert_int_eq(stacktab__intern(t, f, 0, false, &id5), 0);
	ck_assert_uint_eq(stacktab__nr_stacks(t), 4);

	ck_assert_uint_eq(stacktab__stack(t, id1, &frames), 3);
	ck_assert_uint_eq(frames[0], f[0]);
	ck_assert_uint_eq(frames[2], f[2]);
	ck_assert_uint_eq(stacktab__stack(t, id5, &frames), 0);
	ck_assert_uint_eq(stacktab__stack(t, 1000, &frames), 0);
	ck_assert_ptr_null(frames);
	stacktab__free(t);
}
END_TEST

/* Many frames and stacks: the tables grow and every id stays stable. */
START_TEST(test_many)
{
	struct stacktab *t = stacktab__new();
	enum { N = 20000 };
	static uint32_t ids[N];
	char name[32];

	for (uint32_t i = 0; i < N; i++) {
		uint32_t fr[3];

		snprintf(name, sizeof(name), "fn_%u", i);
		fr[0] = stacktab__frame(t, "main");
		fr[1] = stacktab__frame(t, name);
		fr[2] = i % 7;
		ck_assert_int_eq(stacktab__intern(t, fr, 3, i & 1, &ids[i]), 0);
		ck_assert_uint_eq(ids[i], i);
	}
	for (uint32_t i = 0; i < N; i++) {
		uint32_t fr[3], id;

		snprintf(name, sizeof(name), "fn_%u", i);
		fr[0] = stacktab__frame(t, "main");
		fr[1] = stacktab__frame(t, name);
		fr[2] = i % 7;
		ck_assert_int_eq(stacktab__intern(t, fr, 3, i & 1, &id), 0);
		ck_assert_uint_eq(id, ids[i]);
	}
	ck_assert_uint_eq(stacktab__nr_stacks(t), N);
	ck_assert_uint_eq(stacktab__nr_frames(t), N + 1);
	stacktab__free(t);
}
END_TEST

/* A placeholder frame expanded into a function and its inlined call, in every
 * stack that has it: ids stay, interning the new frames finds the old stack. */
START_TEST(test_expand_frames)
{
	struct stacktab *t = stacktab__new();
	uint32_t main_id = stacktab__frame(t, "main");
	uint32_t ph = stacktab__frame(t, "[prog+0x10]");
	uint32_t leaf = stacktab__frame(t, "malloc");
	uint32_t a[] = {main_id, ph, leaf}, b[] = {ph}, c[] = {main_id, leaf};
	uint32_t ida, idb, idc, id;
	const uint32_t *fr;

	ck_assert_int_eq(stacktab__intern(t, a, 3, false, &ida), 0);
	ck_assert_int_eq(stacktab__intern(t, b, 1, true, &idb), 0);
	ck_assert_int_eq(stacktab__intern(t, c, 2, false, &idc), 0);
	ck_assert_uint_eq(stacktab__find_frame(t, "[prog+0x10]"), ph);
	ck_assert_uint_eq(stacktab__find_frame(t, "absent"), UINT32_MAX);
	ck_assert_uint_eq(stacktab__nr_frames(t), 3);

	uint32_t to[] = {stacktab__frame(t, "work"), stacktab__frame(t, "helper_[i]")};
	struct frame_expansion x = {.frame = ph, .to = to, .n = 2};
	ck_assert_int_eq(stacktab__expand_frames(t, &x, 1), 0);
	ck_assert_uint_eq(stacktab__stack(t, ida, &fr), 4);
	ck_assert_uint_eq(fr[0], main_id);
	ck_assert_uint_eq(fr[1], to[0]);
	ck_assert_uint_eq(fr[2], to[1]);
	ck_assert_uint_eq(fr[3], leaf);
	ck_assert_uint_eq(stacktab__stack(t, idb, &fr), 2);
	ck_assert(stacktab__truncated(t, idb));
	ck_assert_uint_eq(stacktab__stack(t, idc, &fr), 2);
	ck_assert_uint_eq(fr[1], leaf);

	uint32_t again[] = {main_id, to[0], to[1], leaf};
	ck_assert_int_eq(stacktab__intern(t, again, 4, false, &id), 0);
	ck_assert_uint_eq(id, ida);
	ck_assert_int_eq(stacktab__intern(t, to, 2, true, &id), 0);
	ck_assert_uint_eq(id, idb);
	ck_assert_uint_eq(stacktab__nr_stacks(t), 3);
	stacktab__free(t);
}
END_TEST

/* Past its bounds the table stops growing: new stacks come back as "[other
 * stacks]", new names as "[other frames]", each counted; known ones still match. */
START_TEST(test_bounded)
{
	struct stacktab *t = stacktab__new();
	struct stacktab_drops d;
	uint32_t f[3], id, first, other;

	ck_assert_ptr_nonnull(t);
	stacktab__set_limits(t, 4, 3);
	f[0] = stacktab__frame(t, "a");
	f[1] = stacktab__frame(t, "b");
	f[2] = stacktab__frame(t, "c");
	ck_assert_uint_eq(stacktab__frame(t, "d"), stacktab__frame(t, "e"));
	ck_assert_str_eq(stacktab__frame_name(t, stacktab__frame(t, "d")), "[other frames]");
	ck_assert_uint_eq(stacktab__frame(t, "b"), f[1]);
	ck_assert_int_eq(stacktab__intern(t, f, 1, false, &first), 0);
	for (size_t n = 2; n <= 3; n++)
		ck_assert_int_eq(stacktab__intern(t, f, n, false, &id), 0);
	ck_assert_int_eq(stacktab__intern(t, f + 1, 2, false, &id), 0);
	ck_assert_uint_eq(stacktab__nr_stacks(t), 4);
	for (int i = 0; i < 10; i++) {
		ck_assert_int_eq(stacktab__intern(t, f + 2, 1, i & 1, &other), 0);
		ck_assert_uint_eq(other, stacktab__other_stack(t));
	}
	const uint32_t *frames;
	ck_assert_uint_eq(stacktab__stack(t, other, &frames), 1);
	ck_assert_str_eq(stacktab__frame_name(t, frames[0]), "[other stacks]");
	ck_assert_int_eq(stacktab__intern(t, f, 1, false, &id), 0);
	ck_assert_uint_eq(id, first);
	stacktab__drops(t, &d);
	ck_assert_uint_eq(d.stacks, 10);
	ck_assert_uint_eq(d.frames, 3);
	ck_assert_uint_eq(d.max_stacks, 4);
	ck_assert_uint_eq(stacktab__nr_stacks(t), 5); /* the placeholder, past the bound */
	stacktab__free(t);
}
END_TEST

START_TEST(test_free_null)
{
	stacktab__free(NULL);
}
END_TEST

Suite *suite_stacktab(void)
{
	Suite *s = suite_create("stacktab");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_frames_interned);
	tcase_add_test(tc, test_stacks_interned);
	tcase_add_test(tc, test_many);
	tcase_add_test(tc, test_expand_frames);
	tcase_add_test(tc, test_bounded);
	tcase_add_test(tc, test_free_null);
	suite_add_tcase(s, tc);
	return s;
}
