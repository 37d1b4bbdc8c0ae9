/* SPDX-License-Identifier: GPL-2.0-or-later */
/* python_globals against Debian's python3: a script whose module-level dict grows
 * through one function while a list stays put and another dict is refilled. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check_suites.h"
#include "base/clock.h"
#include "python/python.h"
#include "python/python_globals.h"
#include "run/python_growth.h"

static const char script[] =
	"import time\n"
	"registry = {}\n"
	"steady = [1, 2, 3]\n"
	"churn = {}\n"
	"\n"
	"class Store:\n"
	"    def keep(self, i):\n"
	"        registry['key%d' % i] = 'value' * 4\n"
	"\n"
	"def refill(i):\n"
	"    churn.clear()\n"
	"    churn[i] = i\n"
	"\n"
	"s = Store()\n"
	"i = 0\n"
	"while True:\n"
	"    s.keep(i)\n"
	"    refill(i)\n"
	"    i += 1\n"
	"    time.sleep(0.002)\n";

const char *python313_root(void)
{
	const char *root = getenv("MEMSPY_TRIXIE");

	return root && *root ? root : "/var/lib/memspy/trixie";
}

const char *python_sid_root(void)
{
	const char *root = getenv("MEMSPY_SID");

	return root && *root ? root : "/var/lib/memspy/sid";
}

/* Run the script under python (in root, when given: a chroot) and watch it. */
static void check_registry(const char *root, const char *python)
{
	char path[700], dir[600];
	struct container_growth g[8];
	pid_t pid;
	int fd;

	snprintf(dir, sizeof(dir), "%s/tmp", root ? root : "");
	snprintf(path, sizeof(path), "%s/memspy-globals-XXXXXX.py", dir);
	fd = mkstemps(path, 3);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, script, sizeof(script) - 1), (ssize_t)sizeof(script) - 1);
	close(fd);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		if (root && (chroot(root) || chdir("/")))
			_exit(126);
		execl(python, python, path + (root ? strlen(root) : 0), (char *)NULL);
		_exit(127);
	}
	usleep(500 * 1000); /* imports done, the loop running */
	struct python *py = python__open(pid, true, 0, NULL, 0);
	ck_assert_msg(py, "%s not readable: Debian's 3.11, trixie's 3.13 or sid's expected", python);
	struct python_globals *pg =
		python_globals__new(pid, python__offsets(py), python__code_layout(py));
	ck_assert_ptr_nonnull(pg);
	for (int i = 0; i < 8; i++) {
		python_globals__tick(pg, clock_now_ns());
		usleep(150 * 1000);
	}
	static const struct leak_work by_time; /* no heap: time is the work */
	size_t n = python_growth_rank(pg, &by_time, g, 8);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	unlink(path);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(g[0].name, "__main__.registry");
	ck_assert_str_eq(g[0].type, "dict");
	ck_assert_int_gt(g[0].len_end, g[0].len_start);
	ck_assert_double_gt(g[0].entries_per_s, 50);
	ck_assert_double_gt(g[0].bytes_per_entry, 48);
	/* the method of a module-level class, the line of the subscript store */
	char want[128];
	snprintf(want, sizeof(want), "keep (%s:8)", strrchr(path, '/') + 1);
	ck_assert_str_eq(g[0].writer, want);
	python_globals__free(pg);
	python__free(py);
}

START_TEST(test_growing_registry)
{
	check_registry(NULL, "/usr/bin/python3");
}
END_TEST

/* The same under CPython 3.13: other offsets, other opcodes (LOAD_ATTR carries
 * the method call), the same answer. Run by check_python313_globals, which skips
 * where it cannot chroot into the trixie tree. */
START_TEST(test_growing_registry_313)
{
	check_registry(python313_root(), "/usr/bin/python3");
}
END_TEST

/* 3.14 and 3.15: offsets and a tuple's items from _Py_DebugOffsets, other opcodes.
 * Run by check_python_sid_globals, which skips where it cannot chroot. */
START_TEST(test_growing_registry_314)
{
	check_registry(python_sid_root(), "/usr/bin/python3.14");
}
END_TEST

START_TEST(test_growing_registry_315)
{
	check_registry(python_sid_root(), "/usr/bin/python3.15");
}
END_TEST

START_TEST(test_not_python)
{
	ck_assert_ptr_null(python_globals__new(getpid(), NULL, NULL));
	ck_assert_uint_eq(python_growth_rank(NULL, NULL, NULL, 0), 0);
	python_globals__tick(NULL, 0);
}
END_TEST

Suite *suite_python_globals(void)
{
	Suite *s = suite_create("python_globals");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_growing_registry);
	tcase_add_test(tc, test_not_python);
	suite_add_tcase(s, tc);
	return s;
}

Suite *suite_python_globals_313(void)
{
	Suite *s = suite_create("python_globals_313");
	TCase *tc = tcase_create("chroot");

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_growing_registry_313);
	suite_add_tcase(s, tc);
	return s;
}

Suite *suite_python_globals_sid(void)
{
	Suite *s = suite_create("python_globals_sid");
	TCase *tc = tcase_create("chroot");

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_growing_registry_314);
	tcase_add_test(tc, test_growing_registry_315);
	suite_add_tcase(s, tc);
	return s;
}
