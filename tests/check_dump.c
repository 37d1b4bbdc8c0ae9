/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of memspy dump's plain parts: the thread list (sorted with the main
 * thread first, frames reversed into innermost-first order), its text and JSON
 * printers (strings escaped, nulls where a value is unknown) and syscall names. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_suites.h"
#include "output/dump_print.h"
#include "profile/thread_dump.h"
#include "target/syscalls.h"

static char *print(const struct thread_dump *d, bool json)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	if (json)
		dump_print_json(f, d);
	else
		dump_print_text(f, d);
	fclose(f);
	return buf;
}

/* Two threads given out of order, the main thread second; frames root first. */
static struct thread_dump *sample_dump(void)
{
	struct thread_dump *d = thread_dump__new(100);
	struct dump_thread *t;

	ck_assert_ptr_nonnull(d);
	snprintf(d->comm, sizeof(d->comm), "app");
	snprintf(d->python, sizeof(d->python), "CPython 3.11.2");
	d->gil_known = true;
	t = thread_dump__add_thread(d, 105);
	snprintf(t->name, sizeof(t->name), "w\"q");
	t->state = 'S';
	t->syscall = 202;
	snprintf(t->syscall_name, sizeof(t->syscall_name), "futex");
	t->gil = MS_DUMP_GIL_WAITS;
	t->complete = true;
	ck_assert_int_eq(dump_thread__add_frame(t, "start_thread", "pthread_create.c", 442,
						"libc.so.6", false, false), 0);
	ck_assert_int_eq(dump_thread__add_frame(t, "handle", "app.py", 42, NULL, true, false), 0);
	ck_assert_int_eq(dump_thread__add_frame(t, "futex_wait", NULL, 0, "libc.so.6", false,
						true), 0);
	dump_thread__reverse(t);
	t = thread_dump__add_thread(d, 100);
	snprintf(t->name, sizeof(t->name), "app");
	t->state = 'R';
	t->on_cpu = true;
	t->how = MS_DUMP_READ_SAMPLED;
	t->gil = MS_DUMP_GIL_HOLDS;
	ck_assert_int_eq(dump_thread__add_frame(t, "spin", "app.py", 7, NULL, true, false), 0);
	thread_dump__sort(d);
	return d;
}

START_TEST(test_text)
{
	struct thread_dump *d = sample_dump();
	char *out = print(d, false);
	const char *main_t = strstr(out, "Thread 100 \"app\": running, holds the GIL [sampled while running]\n"
					 "    spin (app.py:7)\n"
					 "    ... (stack truncated");
	const char *worker = strstr(out, "Thread 105 \"w\"q\": sleeping in futex\n"
					 "    futex_wait [libc.so.6] (inlined)\n"
					 "    handle (app.py:42)\n"
					 "    start_thread (pthread_create.c:442) [libc.so.6]\n");

	ck_assert_msg(main_t && worker && main_t < worker, "unexpected text:\n%s", out);
	ck_assert_ptr_nonnull(strstr(out, "Python: CPython 3.11.2\n"));
	ck_assert_ptr_null(strstr(out, "held for"));
	free(out);
	thread_dump__free(d);
}
END_TEST

START_TEST(test_json)
{
	struct thread_dump *d = sample_dump();
	char *out;

	d->stopped_ms = 1.5;
	out = print(d, true);
	ck_assert_msg(strstr(out, "\"stopped_ms\": 1.500") && strstr(out, "\"name\": \"w\\\"q\"") &&
			      strstr(out, "\"syscall\": null, \"read\": \"sampled\", \"gil\": true") &&
			      strstr(out, "\"syscall\": \"futex\", \"read\": \"blocked\", \"gil\": false") &&
			      strstr(out, "{\"function\": \"futex_wait\", \"file\": null, \"line\": 0, "
					  "\"module\": \"libc.so.6\", \"python\": false, \"inlined\": true}") &&
			      strstr(out, "{\"function\": \"handle\", \"file\": \"app.py\", \"line\": 42, "
					  "\"module\": null, \"python\": true, \"inlined\": false}"),
		      "unexpected JSON:\n%s", out);
	free(out);
	thread_dump__free(d);
}
END_TEST

START_TEST(test_syscall_names)
{
	char buf[32];

	ck_assert_str_eq(syscall_name(232, buf, sizeof(buf)), "epoll_wait");
	ck_assert_str_eq(syscall_name(202, buf, sizeof(buf)), "futex");
	ck_assert_str_eq(syscall_name(0, buf, sizeof(buf)), "read");
	ck_assert_str_eq(syscall_name(99999, buf, sizeof(buf)), "syscall_99999");
	ck_assert_str_eq(syscall_name(-5, buf, sizeof(buf)), "syscall_-5");
}
END_TEST

Suite *suite_dump(void)
{
	Suite *s = suite_create("dump");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_text);
	tcase_add_test(tc, test_json);
	tcase_add_test(tc, test_syscall_names);
	suite_add_tcase(s, tc);
	return s;
}
