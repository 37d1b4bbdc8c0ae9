/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of slot discovery on real Debian binaries: this test program itself,
 * python3 and, when installed, redis-server (jemalloc and its hiredis table). */
#include <dlfcn.h>
#include <elf.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check_suites.h"
#include "target/alloc_slots.h"
#include "target/allocator.h"

/* map_files needs CAP_SYS_ADMIN */
#define NEED_ROOT()                                                              \
	do {                                                                     \
		if (geteuid() != 0) {                                            \
			fprintf(stderr, "alloc_slots: skipped, needs root\n");   \
			return;                                                  \
		}                                                                \
	} while (0)

static bool path_ends(const char *path, const char *base)
{
	size_t n = strlen(path), k = strlen(base);
	return n >= k && !strcmp(path + n - k, base);
}

/* Slots of hook h in modules whose path ends in base, of relocation type rtype
 * (0: any). */
static size_t count_slots(const struct alloc_slots *s, const char *base, unsigned h,
			  unsigned rtype)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n; i++)
		n += s->slots[i].hook == h && (!rtype || s->slots[i].rtype == rtype) &&
		     path_ends(s->modules[s->slots[i].module].path, base);
	return n;
}

START_TEST(finds_own_slots)
{
	struct allocator a;
	struct alloc_slots s;
	char exe[4096];
	ssize_t n;

	NEED_ROOT();
	ck_assert_int_eq(allocator_resolve_pid(getpid(), &a), 0);
	ck_assert_int_eq(alloc_slots_find(getpid(), &a, 0, 0, &s), 0);
	/* originals are the resolved definitions */
	ck_assert_uint_eq(s.orig[MS_HOOK_MALLOC], (uint64_t)(uintptr_t)dlsym(RTLD_DEFAULT, "malloc"));
	ck_assert_uint_eq(s.orig[MS_HOOK_FREE], (uint64_t)(uintptr_t)dlsym(RTLD_DEFAULT, "free"));
	ck_assert_uint_eq(s.orig[MS_HOOK_MALLOCX], 0);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	ck_assert_int_gt(n, 0);
	exe[n] = '\0';
	/* this program calls malloc and free; libc calls them through its own GOT */
	ck_assert_uint_ge(count_slots(&s, strrchr(exe, '/'), MS_HOOK_MALLOC, 0), 1);
	ck_assert_uint_ge(count_slots(&s, strrchr(exe, '/'), MS_HOOK_FREE, 0), 1);
	ck_assert_uint_eq(count_slots(&s, "/libc.so.6", MS_HOOK_MALLOC, R_X86_64_GLOB_DAT), 1);
	for (size_t i = 0; i < s.n; i++) {
		const struct alloc_slot *sl = &s.slots[i];
		/* listed in install order, each holding what it says */
		if (i)
			ck_assert_uint_le(s.slots[i - 1].hook, sl->hook);
		ck_assert_uint_eq(sl->addr & 7, 0);
		ck_assert(sl->value == s.orig[sl->hook] || sl->rtype == R_X86_64_JUMP_SLOT);
		ck_assert_uint_eq(*(uint64_t *)(uintptr_t)sl->addr, sl->value);
		ck_assert(sl->prot & PROT_READ);
	}
	alloc_slots_release(&s);
	allocator_release(&a);
}
END_TEST

/* Start argv and wait until its maps name lib; 0 when it could not start. */
static pid_t spawn(char *const argv[], const char *lib)
{
	pid_t pid = fork();
	char path[64], line[512];

	if (pid == 0) {
		freopen("/dev/null", "w", stdout);
		execv(argv[0], argv);
		_exit(127);
	}
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	for (int i = 0; i < 100; i++) {
		FILE *f = fopen(path, "r");
		bool seen = false;
		while (f && !seen && fgets(line, sizeof(line), f))
			seen = strstr(line, lib) != NULL;
		if (f)
			fclose(f);
		if (seen) {
			nanosleep(&(struct timespec){0, 100 * 1000000}, NULL);
			return pid;
		}
		nanosleep(&(struct timespec){0, 50 * 1000000}, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return 0;
}

static void stop(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

START_TEST(finds_python_slots)
{
	char *argv[] = {"/usr/bin/python3", "-c", "import time; time.sleep(30)", NULL};
	struct allocator a;
	struct alloc_slots s;
	pid_t pid;

	NEED_ROOT();
	if (access(argv[0], X_OK) || !(pid = spawn(argv, "libm.so"))) {
		fprintf(stderr, "alloc_slots: skipped python3, not installed\n");
		return;
	}
	ck_assert_int_eq(allocator_resolve_pid(pid, &a), 0);
	ck_assert(path_ends(a.module, "/libc.so.6"));
	ck_assert_int_eq(alloc_slots_find(pid, &a, 0, 0, &s), 0);
	/* Debian's python3.11 is not PIE and calls the allocator through its PLT */
	ck_assert_uint_eq(count_slots(&s, "/python3.11", MS_HOOK_MALLOC, R_X86_64_JUMP_SLOT), 1);
	ck_assert_uint_eq(count_slots(&s, "/python3.11", MS_HOOK_FREE, R_X86_64_JUMP_SLOT), 1);
	ck_assert_uint_eq(count_slots(&s, "/python3.11", MS_HOOK_REALLOC, R_X86_64_JUMP_SLOT), 1);
	alloc_slots_release(&s);
	allocator_release(&a);
	stop(pid);
}
END_TEST

START_TEST(finds_redis_slots)
{
	char sock[64];
	/* with neither a port nor a socket redis exits at once */
	char *argv[] = {"/usr/bin/redis-server", "--port", "0", "--unixsocket", sock, "--save", "",
			"--appendonly", "no", NULL};
	struct allocator a;
	struct alloc_slots s;
	pid_t pid;

	NEED_ROOT();
	snprintf(sock, sizeof(sock), "/tmp/check-alloc-slots-%d.sock", (int)getpid());
	if (access(argv[0], X_OK) || !(pid = spawn(argv, "libjemalloc"))) {
		fprintf(stderr, "alloc_slots: skipped redis-server, not installed\n");
		return;
	}
	ck_assert_int_eq(allocator_resolve_pid(pid, &a), 0);
	ck_assert(path_ends(a.module, "/libjemalloc.so.2"));
	ck_assert_int_eq(alloc_slots_find(pid, &a, 0, 0, &s), 0);
	/* Debian's redis-server is a link to redis-check-rdb */
	char *exe = realpath(argv[0], NULL);
	ck_assert_ptr_nonnull(exe);
	ck_assert_uint_ne(s.orig[MS_HOOK_MALLOCX], 0);
	ck_assert_uint_ne(s.orig[MS_HOOK_NEW], 0);
	/* jemalloc's deletes are "jmp free@plt", its aligned new calls aligned_alloc
	 * through its PLT: both reach a hooked entry already */
	ck_assert_uint_eq(s.orig[MS_HOOK_DELETE], 0);
	ck_assert_uint_eq(s.orig[MS_HOOK_NEW_ALIGNED], 0);
	/* the executable calls through GLOB_DAT, and hiredis's allocator table
	 * holds absolute pointers */
	for (unsigned h = MS_HOOK_FREE; h < MS_HOOK_COUNT; h++) {
		if (h != MS_HOOK_FREE && h != MS_HOOK_MALLOC && h != MS_HOOK_CALLOC &&
		    h != MS_HOOK_REALLOC)
			continue;
		ck_assert_uint_eq(count_slots(&s, strrchr(exe, '/'), h, R_X86_64_GLOB_DAT), 1);
		ck_assert_uint_eq(count_slots(&s, strrchr(exe, '/'), h, R_X86_64_64), 1);
	}
	/* libc's own calls to malloc go to jemalloc through libc's GOT */
	ck_assert_uint_eq(count_slots(&s, "/libc.so.6", MS_HOOK_MALLOC, R_X86_64_GLOB_DAT), 1);
	free(exe);
	alloc_slots_release(&s);
	allocator_release(&a);
	stop(pid);
	unlink(sock);
}
END_TEST

/* Slots added by hand (CPython's domains) keep the install order: releases,
 * resizes, allocations. */
START_TEST(adds_in_install_order)
{
	struct alloc_slots s = {0};
	const uint32_t add[] = {MS_HOOK_MALLOC, MS_HOOK_FREE, MS_HOOK_PYOBJ_MALLOC,
				MS_HOOK_PYOBJ_FREE, MS_HOOK_PYOBJ_REALLOC, MS_HOOK_REALLOC};

	for (size_t i = 0; i < sizeof(add) / sizeof(add[0]); i += 2) {
		struct alloc_slot sl[2] = {{.addr = 0x1000 + 8 * i, .value = 0x5000 + i, .hook = add[i]},
					   {.addr = 0x1008 + 8 * i, .value = 0x5001 + i,
					    .hook = add[i + 1]}};
		uint64_t orig[2] = {sl[0].value, sl[1].value};
		ck_assert_int_eq(alloc_slots_add(&s, sl, orig, 2), 0);
	}
	ck_assert_uint_eq(s.n, 6);
	for (size_t i = 1; i < s.n; i++)
		ck_assert_uint_le(s.slots[i - 1].hook, s.slots[i].hook);
	ck_assert_uint_eq(s.slots[0].hook, MS_HOOK_FREE);
	ck_assert_uint_eq(s.slots[1].hook, MS_HOOK_PYOBJ_FREE);
	ck_assert_uint_eq(s.slots[5].hook, MS_HOOK_PYOBJ_MALLOC);
	ck_assert_uint_eq(s.orig[MS_HOOK_PYOBJ_FREE], 0x5003);
	alloc_slots_release(&s);
}
END_TEST

Suite *suite_alloc_slots(void)
{
	Suite *s = suite_create("alloc_slots");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, adds_in_install_order);
	tcase_add_test(tc, finds_own_slots);
	tcase_add_test(tc, finds_python_slots);
	tcase_add_test(tc, finds_redis_slots);
	suite_add_tcase(s, tc);
	return s;
}
