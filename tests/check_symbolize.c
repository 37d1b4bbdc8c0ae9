/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of symbolization (issue 7): inlined frames with file:line, C++ names,
 * debug info found by build-id, debuglink and MiniDebugInfo, deleted binaries,
 * exited targets, JIT maps and malformed input, on programs built for the test
 * from tests/data/symbolize/ and run as child processes; the DWARF scope index
 * against libdw's dwarf_getscopes at every address; the symcache sessions share. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <dwarf.h>
#include <elfutils/libdw.h>

#include "check_suites.h"
#include "symbolize/debuginfo_root.h"
#include "symbolize/debuginfod_fetch.h"
#include "symbolize/dwarf_index.h"
#include "symbolize/jitmap.h"
#include "symbolize/symcache.h"
#include "symbolize/target_dwfl.h"
#include "target/procroot.h"

#ifndef MS_TEST_DATA
#define MS_TEST_DATA "tests/data"
#endif
#define SRC_DIR MS_TEST_DATA "/symbolize"

static char build_dir[] = "/tmp/memspy-symtest.XXXXXX";
static bool built;

/* A running test program: its pid, the pipe that keeps it alive, its addresses. */
struct child {
	pid_t pid;
	int in_fd; /* closing it lets the child exit */
	uint64_t pc, static_fn, anon;
};

static void build_targets(void)
{
	char cmd[1024];

	if (!mkdtemp(build_dir))
		return;
	snprintf(cmd, sizeof(cmd), "sh '%s/build.sh' '%s' '%s' >'%s/build.log' 2>&1", SRC_DIR,
		 SRC_DIR, build_dir, build_dir);
	built = system(cmd) == 0;
	if (!built) {
		snprintf(cmd, sizeof(cmd), "cat '%s/build.log' >&2", build_dir);
		if (system(cmd)) {
		}
	}
}

static void remove_targets(void)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", build_dir);
	if (system(cmd)) {
	}
}

static void setup_debug_path(void)
{
	char path[512];

	ck_assert_msg(built, "test programs did not build (see build.log above)");
	snprintf(path, sizeof(path), ":.debug:/usr/lib/debug:%s/dbg", build_dir);
	ck_assert_int_eq(target_dwfl__set_debuginfo_path(path), 0);
}

static void teardown_debug_path(void)
{
	target_dwfl__set_debuginfo_path(NULL);
}

static void start_child(const char *name, struct child *c)
{
	char path[512], line[256];
	int in[2], out[2];

	snprintf(path, sizeof(path), "%s/%s", build_dir, name);
	ck_assert_int_eq(pipe(in), 0);
	ck_assert_int_eq(pipe(out), 0);
	memset(c, 0, sizeof(*c));
	c->pid = fork();
	ck_assert_int_ge(c->pid, 0);
	if (c->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[1]);
		close(out[0]);
		execl(path, path, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	c->in_fd = in[1];
	FILE *f = fdopen(out[0], "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f) && strcmp(line, "ready\n")) {
		unsigned long v;
		if (sscanf(line, "pc %lx", &v) == 1)
			c->pc = v;
		else if (sscanf(line, "static %lx", &v) == 1)
			c->static_fn = v;
		else if (sscanf(line, "anon %lx", &v) == 1)
			c->anon = v;
	}
	fclose(f);
	ck_assert_msg(c->pc != 0, "%s printed no pc", path);
}

static void stop_child(struct child *c)
{
	int status;

	if (c->in_fd >= 0)
		close(c->in_fd);
	c->in_fd = -1;
	if (c->pid > 0)
		ck_assert_int_eq(waitpid(c->pid, &status, 0), c->pid);
	c->pid = 0;
}

/* Line number of the line with "MARK:mark" in a test source. */
static uint32_t marked_line(const char *file, const char *mark)
{
	char path[512], line[512], tag[64];
	uint32_t n = 0;

	snprintf(path, sizeof(path), "%s/%s", SRC_DIR, file);
	snprintf(tag, sizeof(tag), "MARK:%s ", mark);
	FILE *f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		n++;
		char *p = strstr(line, "MARK:");
		if (p && !strncmp(p, tag, strlen(tag) - 1) &&
		    (p[strlen(tag) - 1] == ' ' || p[strlen(tag) - 1] == '\n')) {
			fclose(f);
			return n;
		}
	}
	fclose(f);
	ck_abort_msg("no MARK:%s in %s", mark, file);
	return 0;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = s ? strlen(s) : 0, b = strlen(suffix);
	return s && a >= b && !strcmp(s + a - b, suffix);
}

/* The inline chain of inline.c's probe call with its source lines. */
static void check_inline_chain(struct target_dwfl *t, uint64_t pc)
{
	const char *names[8];
	struct frame_loc loc[8];

	size_t n = target_dwfl__symbolize(t, pc, names, 8);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(names[0], "sym_host");
	ck_assert_str_eq(names[1], "sym_outer_[i]");
	ck_assert_str_eq(names[2], "sym_inner_[i]");

	ck_assert_uint_eq(target_dwfl__symbolize_loc(t, pc, loc, 8), 3);
	for (size_t i = 0; i < 3; i++) {
		ck_assert_ptr_eq(loc[i].name, names[i]);
		ck_assert_msg(ends_with(loc[i].file, "/inline.c"), "level %zu file %s", i,
			      loc[i].file ? loc[i].file : "(null)");
		ck_assert(loc[i].inlined == (i > 0));
	}
	ck_assert_uint_eq(loc[0].line, marked_line("inline.c", "host"));
	ck_assert_uint_eq(loc[1].line, marked_line("inline.c", "outer"));
	ck_assert_uint_eq(loc[2].line, marked_line("inline.c", "inner"));
	/* A short array keeps the outermost levels. */
	ck_assert_uint_eq(target_dwfl__symbolize_loc(t, pc, loc, 1), 1);
	ck_assert_str_eq(loc[0].name, "sym_host");
}

static void check_variant(const char *name)
{
	struct child c;

	start_child(name, &c);
	struct target_dwfl *t = target_dwfl__open(c.pid);
	ck_assert_ptr_nonnull(t);
	check_inline_chain(t, c.pc);
	const char *names[4];
	ck_assert_uint_eq(target_dwfl__symbolize(t, c.static_fn, names, 4), 1);
	ck_assert_str_eq(names[0], "sym_static");
	target_dwfl__free(t);
	stop_child(&c);
}

START_TEST(test_debug_in_binary)
{
	check_variant("full");
}
END_TEST

START_TEST(test_debug_by_build_id)
{
	check_variant("bid");
}
END_TEST

START_TEST(test_debug_by_debuglink)
{
	check_variant("link/linked");
}
END_TEST

START_TEST(test_minidebuginfo)
{
	struct child c;
	const char *names[4];
	struct frame_loc loc[4];

	/* No DWARF: no inline levels, no lines, but the names of the functions. */
	start_child("mini", &c);
	struct target_dwfl *t = target_dwfl__open(c.pid);
	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(target_dwfl__symbolize(t, c.pc, names, 4), 1);
	ck_assert_str_eq(names[0], "sym_host");
	ck_assert_uint_eq(target_dwfl__symbolize(t, c.static_fn, names, 4), 1);
	ck_assert_str_eq(names[0], "sym_static");
	ck_assert_uint_eq(target_dwfl__symbolize_loc(t, c.pc, loc, 4), 1);
	ck_assert_ptr_null(loc[0].file);
	ck_assert_uint_eq(loc[0].line, 0);
	target_dwfl__free(t);
	stop_child(&c);

	/* The same stripped without it: module and file offset. */
	start_child("fetched", &c);
	t = target_dwfl__open(c.pid);
	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(target_dwfl__symbolize(t, c.static_fn, names, 4), 1);
	ck_assert_msg(!strncmp(names[0], "[fetched+0x", 11), "got %s", names[0]);
	target_dwfl__free(t);
	stop_child(&c);
}
END_TEST

START_TEST(test_cxx)
{
	struct child c;
	const char *names[4];
	struct frame_loc loc[4];

	start_child("cxx", &c);
	struct target_dwfl *t = target_dwfl__open(c.pid);
	ck_assert_ptr_nonnull(t);
	size_t n = target_dwfl__symbolize(t, c.pc, names, 4);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(names[0], "shapes::Box<int>::poke(int)");
	ck_assert_str_eq(names[1], "shapes::Box<int>::touch(int)_[i]");
	ck_assert_uint_eq(target_dwfl__symbolize_loc(t, c.pc, loc, 4), 2);
	ck_assert(ends_with(loc[1].file, "/cxx.cpp"));
	ck_assert_uint_eq(loc[0].line, marked_line("cxx.cpp", "poke"));
	ck_assert_uint_eq(loc[1].line, marked_line("cxx.cpp", "touch"));
	target_dwfl__free(t);
	stop_child(&c);
}
END_TEST

/* Deleted before memspy opens it, exited before memspy symbolizes: the binary is
 * read through map_files, and was opened while the target ran. */
START_TEST(test_deleted_and_exited)
{
	struct child c;
	char src[512], copy[512], cmd[1200];

	snprintf(src, sizeof(src), "%s/link/linked", build_dir);
	snprintf(copy, sizeof(copy), "%s/link/gone", build_dir);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", src, copy);
	ck_assert_int_eq(system(cmd), 0);
	start_child("link/gone", &c);
	ck_assert_int_eq(unlink(copy), 0);
	/* Another file under the same name: it must not be read instead. */
	snprintf(cmd, sizeof(cmd), "cp '%s/strip' '%s'", build_dir, copy);
	ck_assert_int_eq(system(cmd), 0);

	struct target_dwfl *t = target_dwfl__open(c.pid);
	ck_assert_ptr_nonnull(t);
	stop_child(&c);
	unlink(copy);
	/* linked.debug, the debuglink, lies beside the name the target knew. */
	check_inline_chain(t, c.pc);
	const char *names[4];
	ck_assert_uint_eq(target_dwfl__symbolize(t, c.static_fn, names, 4), 1);
	ck_assert_str_eq(names[0], "sym_static");
	target_dwfl__free(t);
}
END_TEST

/* Exits between open and symbolize, with its DWARF in a separate file. */
START_TEST(test_exited_with_debug)
{
	struct child c;

	start_child("bid", &c);
	struct target_dwfl *t = target_dwfl__open(c.pid);
	ck_assert_ptr_nonnull(t);
	uint64_t pc = c.pc;
	stop_child(&c);
	check_inline_chain(t, pc);
	target_dwfl__free(t);
}
END_TEST

START_TEST(test_jit_map)
{
	struct child c;
	char path[64];
	const char *names[4];
	struct frame_loc loc[2];

	start_child("full", &c);
	snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)c.pid);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "%lx 100 py::hot_loop:/app/x.py\n", (unsigned long)c.anon);
	fprintf(f, "garbage line\n%lx zz bad\n", (unsigned long)c.anon + 0x100);
	fclose(f);
	struct target_dwfl *t = target_dwfl__open(c.pid);
	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(target_dwfl__symbolize(t, c.anon + 0x10, names, 4), 1);
	ck_assert_str_eq(names[0], "py::hot_loop:/app/x.py_[j]");
	ck_assert_uint_eq(target_dwfl__symbolize(t, c.anon + 0x200, names, 4), 1);
	ck_assert_str_eq(names[0], "[unknown]");
	/* Appended later: read again once the file has grown. */
	f = fopen(path, "a");
	fprintf(f, "0x%lx 0x40 LazyCompile:*handler app.js:10\n", (unsigned long)c.anon + 0x200);
	fclose(f);
	usleep(30000);
	ck_assert_uint_eq(target_dwfl__symbolize_loc(t, c.anon + 0x210, loc, 2), 1);
	ck_assert_str_eq(loc[0].name, "LazyCompile:*handler app.js:10_[j]");
	ck_assert_ptr_null(loc[0].file);
	/* The first name is still valid after the re-read. */
	ck_assert_str_eq(names[0], "[unknown]");
	target_dwfl__free(t);
	unlink(path);
	stop_child(&c);
}
END_TEST

START_TEST(test_jitmap_parse)
{
	char path[] = "/tmp/memspy-jit.XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	static const char text[] = "1000 100 one\n"
				   "1050 10 inner overlap later\n"
				   "ffffffffffffffff 10 wraps\n"
				   "2000 0 empty\n"
				   "3000 10\n"
				   "12345678901234567890 10 too long\n"
				   "4000 10 name with  spaces \r\n"
				   "5000 10 partial line without newline";
	ck_assert_int_eq(write(fd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
	close(fd);
	struct jitmap *m = jitmap__new_path(path);
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(jitmap__lookup(m, 0x1000), "one_[j]");
	ck_assert_str_eq(jitmap__lookup(m, 0x1055), "inner overlap later_[j]");
	ck_assert_str_eq(jitmap__lookup(m, 0x10ff), "one_[j]");
	ck_assert_ptr_null(jitmap__lookup(m, 0x1100));
	ck_assert_ptr_null(jitmap__lookup(m, 0x2000));
	ck_assert_ptr_null(jitmap__lookup(m, 0x3005));
	ck_assert_str_eq(jitmap__lookup(m, 0x4001), "name with  spaces_[j]");
	ck_assert_ptr_null(jitmap__lookup(m, 0x5001));
	ck_assert_uint_eq(jitmap__count(m), 3);
	jitmap__free(m);
	unlink(path);
	jitmap__free(NULL);
}
END_TEST

/* A perf map read through a symlink, or owned by another user than the target's
 * (here: this process), is not read; the target's own is. */
START_TEST(test_jitmap_refused)
{
	char path[64], real[] = "/tmp/memspy-jit-real.XXXXXX";
	struct jitmap *m;
	int fd = mkstemp(real);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "1000 100 planted\n", 17), 17);
	close(fd);
	snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)getpid());
	unlink(path);
	ck_assert_int_eq(symlink(real, path), 0);
	m = jitmap__new(getpid());
	ck_assert_ptr_null(jitmap__lookup(m, 0x1010));
	jitmap__free(m);
	m = jitmap__new_path(path); /* a host path too */
	ck_assert_ptr_null(jitmap__lookup(m, 0x1010));
	jitmap__free(m);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rename(real, path), 0);
	m = jitmap__new(getpid());
	ck_assert_str_eq(jitmap__lookup(m, 0x1010), "planted_[j]");
	jitmap__free(m);
	if (geteuid() == 0) {
		ck_assert_int_eq(chown(path, 65534, 65534), 0);
		m = jitmap__new(getpid());
		ck_assert_ptr_null(jitmap__lookup(m, 0x1010));
		jitmap__free(m);
	}
	unlink(path);
}
END_TEST

/* Files of a target's root: only regular files are opened, a symlink is refused
 * when asked, and a debuglink must be a plain name. */
START_TEST(test_procroot_refuses)
{
	char dir[] = "/tmp/memspy-root.XXXXXX", fifo[96], file[96], link[96];
	int fd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	snprintf(file, sizeof(file), "%s/file", dir);
	snprintf(link, sizeof(link), "%s/link", dir);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	fd = open(file, O_WRONLY | O_CREAT, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(symlink(file, link), 0);
	/* A FIFO would block an open for reading: it is not opened at all. */
	ck_assert_int_eq(procroot_open(getpid(), fifo), -EINVAL);
	ck_assert_int_eq(procroot_open_nofollow(getpid(), link), -ELOOP);
	fd = procroot_open(getpid(), link);
	ck_assert_int_ge(fd, 0);
	close(fd);
	fd = procroot_open_nofollow(getpid(), file);
	ck_assert_int_ge(fd, 0);
	close(fd);
	unlink(fifo);
	unlink(link);
	unlink(file);
	rmdir(dir);
	ck_assert(debuginfo_link_is_name("libc.so.6.debug"));
	ck_assert(!debuginfo_link_is_name("../../etc/shadow"));
	ck_assert(!debuginfo_link_is_name("/etc/shadow"));
	ck_assert(!debuginfo_link_is_name(".."));
	ck_assert(!debuginfo_link_is_name(""));
	ck_assert(!debuginfo_link_is_name(NULL));
}
END_TEST

/* Files that are not ELF, or are cut short, are refused or named by module. */
START_TEST(test_malformed_modules)
{
	char path[600], cmd[1400];
	const char *names[4];
	struct frame_loc loc[4];
	static const size_t cuts[] = {0, 16, 64, 200, 1000, 4096, 9000};

	struct target_dwfl *t = target_dwfl__open_offline();
	ck_assert_ptr_nonnull(t);
	snprintf(path, sizeof(path), "%s/junk", build_dir);
	FILE *f = fopen(path, "w");
	for (int i = 0; i < 4096; i++)
		fputc((i * 7919) & 0xff, f);
	fclose(f);
	ck_assert_int_lt(target_dwfl__report_elf(t, path, 0x10000), 0);
	ck_assert_int_eq(target_dwfl__report_elf(t, "/nonexistent/x", 0), -ENOENT);
	ck_assert_uint_eq(target_dwfl__symbolize(t, 0x10010, names, 4), 1);
	ck_assert_str_eq(names[0], "[unknown]");
	target_dwfl__free(t);

	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		snprintf(path, sizeof(path), "%s/cut%zu", build_dir, cuts[i]);
		snprintf(cmd, sizeof(cmd), "head -c %zu '%s/full' > '%s'", cuts[i], build_dir,
			 path);
		ck_assert_int_eq(system(cmd), 0);
		t = target_dwfl__open_offline();
		ck_assert_ptr_nonnull(t);
		target_dwfl__report_elf(t, path, 0x100000);
		for (uint64_t a = 0x100000; a < 0x106000; a += 0x123) {
			ck_assert_uint_ge(target_dwfl__symbolize(t, a, names, 4), 1);
			ck_assert_uint_ge(target_dwfl__symbolize_loc(t, a, loc, 4), 1);
		}
		target_dwfl__free(t);
	}
}
END_TEST

/* Start of the first mapping of a file named name in pid: its load bias. */
static uint64_t load_bias(pid_t pid, const char *name)
{
	char path[64], line[1024];
	unsigned long start = 0;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	FILE *f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		if (ends_with(strtok(line, "\n"), name) && sscanf(line, "%lx-", &start) == 1)
			break;
	fclose(f);
	return start;
}

/* A module without any debug file is named from its symbols without libdwfl
 * reaching for debuginfod: loading its client costs 45 ms from a cold cache. */
START_TEST(test_no_debuginfod)
{
	char path[600];
	const char *names[4];

	snprintf(path, sizeof(path), "%s/nodbg", build_dir);
	struct target_dwfl *t = target_dwfl__open_offline();
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(target_dwfl__report_elf(t, path, 0x555500000000ull), 0);
	ck_assert_uint_ge(target_dwfl__symbolize(t, 0x555500001100ull, names, 4), 1);
	target_dwfl__free(t);
	ck_assert_ptr_null(dlopen("libdebuginfod.so.1", RTLD_LAZY | RTLD_NOLOAD));
}
END_TEST

/* A debug file that arrives once a stripped module's addresses were named: the
 * names given before (placeholders) are replaced in the symcache, and listed as
 * renamed; from then on the module is named with inline chains and lines. */
START_TEST(test_adopt_debuginfo)
{
	static const unsigned char id[] = {0x66, 0x65, 0x74, 0x63, 0x68, 0x65, 0x64, 0, 0, 0,
					   0, 0, 0, 0, 0, 0, 0, 0, 0, 0xaa}; /* build.sh's */
	char path[600];
	const char *names[8];
	const struct symcache_rename *rn;
	struct symcache *cache = symcache__new();
	struct child c;

	start_child("fetched", &c);
	struct target_dwfl *t = target_dwfl__open(c.pid);
	ck_assert_ptr_nonnull(t);
	target_dwfl__share_symcache(t, cache);
	ck_assert_uint_eq(target_dwfl__symbolize(t, c.pc, names, 8), 1);
	ck_assert_msg(!strncmp(names[0], "[fetched+0x", 11), "named %s", names[0]);
	const char *placeholder = names[0];

	size_t len = sizeof(id);
	ck_assert_int_eq(target_dwfl__adopt_debuginfo(t, (const unsigned char *)"nope", 4, path),
			 -ENOENT);
	snprintf(path, sizeof(path), "%s/dbg", build_dir); /* not an ELF file */
	ck_assert_int_eq(target_dwfl__adopt_debuginfo(t, id, len, path), -ENOEXEC);
	snprintf(path, sizeof(path), "%s/full", build_dir); /* DWARF, another build-id */
	ck_assert_int_eq(target_dwfl__adopt_debuginfo(t, id, len, path), -ENOEXEC);
	ck_assert_uint_eq(symcache__renames(cache, &rn), 0);

	snprintf(path, sizeof(path), "%s/aside/fetched.debug", build_dir);
	ck_assert_int_eq(target_dwfl__adopt_debuginfo(t, id, len, path), 0);
	ck_assert_uint_eq(symcache__renames(cache, &rn), 1);
	ck_assert_uint_eq(rn[0].old_n, 1);
	ck_assert_str_eq(rn[0].old_names[0], placeholder); /* still valid */
	ck_assert_uint_eq(rn[0].e->n, 3);
	ck_assert_str_eq(rn[0].e->names[0], "sym_host");
	symcache__clear_renames(cache);
	check_inline_chain(t, c.pc);
	ck_assert_uint_eq(target_dwfl__symbolize(t, c.static_fn, names, 4), 1);
	ck_assert_str_eq(names[0], "sym_static");
	target_dwfl__free(t);
	symcache__free(cache);
	stop_child(&c);
}
END_TEST

/* An offline session over a file names what a process session names. */
START_TEST(test_offline_file)
{
	char path[600];
	struct child c;
	const uint64_t base = 0x555500000000ull;

	start_child("full", &c);
	uint64_t bias = load_bias(c.pid, "/full");
	ck_assert_uint_ne(bias, 0);
	stop_child(&c);
	snprintf(path, sizeof(path), "%s/full", build_dir);
	struct target_dwfl *t = target_dwfl__open_offline();
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(target_dwfl__report_elf(t, path, base), 0);
	const char *names[4];
	ck_assert_uint_eq(target_dwfl__symbolize(t, c.static_fn - bias + base, names, 4), 1);
	ck_assert_str_eq(names[0], "sym_static");
	check_inline_chain(t, c.pc - bias + base);
	/* Unwinding needs a process. */
	uint64_t regs[17] = {0}, pcs[4];
	bool complete;
	ck_assert_uint_eq(target_dwfl__unwind(t, 1, regs, NULL, 0, false, pcs, 4, &complete), 0);
	ck_assert_int_eq(target_dwfl__refresh(t), 0);
	target_dwfl__free(t);
}
END_TEST

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* Every address of a test binary's first 16 KiB (its code among them) named by
 * the scope index and by dwarf_getscopes per address: the same names, files,
 * lines and columns. Returns how many addresses had inline levels, and the
 * deepest chain seen. */
static size_t compare_index_scan(const char *name, size_t *deepest)
{
	char path[600];
	const uint64_t base = 0x7f1200000000ull;
	size_t inlined = 0;

	snprintf(path, sizeof(path), "%s/%s", build_dir, name);
	struct target_dwfl *t = target_dwfl__open_offline();
	struct target_dwfl *ref = target_dwfl__open_offline();
	ck_assert_ptr_nonnull(t);
	ck_assert_ptr_nonnull(ref);
	target_dwfl__scan_scopes(ref, true);
	ck_assert_int_eq(target_dwfl__report_elf(t, path, base), 0);
	ck_assert_int_eq(target_dwfl__report_elf(ref, path, base), 0);
	*deepest = 0;
	for (uint64_t a = base; a < base + 0x4000; a++) {
		const char *na[8], *nb[8];
		struct frame_loc la[8], lb[8];
		size_t n = target_dwfl__symbolize(t, a, na, 8);
		ck_assert_uint_eq(target_dwfl__symbolize(ref, a, nb, 8), n);
		for (size_t i = 0; i < n; i++)
			ck_assert_msg(!strcmp(na[i], nb[i]), "%s+%#llx level %zu: %s, scan: %s",
				      name, (unsigned long long)(a - base), i, na[i], nb[i]);
		ck_assert_uint_eq(target_dwfl__symbolize_loc(t, a, la, 8), n);
		ck_assert_uint_eq(target_dwfl__symbolize_loc(ref, a, lb, 8), n);
		for (size_t i = 0; i < n; i++) {
			ck_assert_msg(
			    same_str(la[i].file, lb[i].file) && la[i].line == lb[i].line &&
				la[i].column == lb[i].column && la[i].inlined == lb[i].inlined,
			    "%s+%#llx level %zu: %s:%u:%u, scan: %s:%u:%u", name,
			    (unsigned long long)(a - base), i, la[i].file, la[i].line, la[i].column,
			    lb[i].file, lb[i].line, lb[i].column);
		}
		inlined += n > 1;
		if (n > *deepest)
			*deepest = n;
	}
	target_dwfl__free(t);
	target_dwfl__free(ref);
	return inlined;
}

START_TEST(test_index_matches_scan)
{
	size_t deepest;

	ck_assert_uint_gt(compare_index_scan("full", &deepest), 0);
	ck_assert_uint_eq(deepest, 3);
	ck_assert_uint_gt(compare_index_scan("bid", &deepest), 0);
	ck_assert_uint_gt(compare_index_scan("cxx", &deepest), 0);
	/* scopes.c: sc_host > sc_top > sc_mid > sc_leaf, in loops and blocks. */
	ck_assert_uint_gt(compare_index_scan("multi", &deepest), 100);
	ck_assert_uint_eq(deepest, 4);
	compare_index_scan("mini", &deepest);
	ck_assert_uint_eq(deepest, 1);
}
END_TEST

/* The scopes of pc as libdw walks them: dwarf_getscopes, then the parents of its
 * innermost result, without the unit DIE that ends them. */
static size_t scan_chain(Dwarf_Die *cu, uint64_t pc, Dwarf_Die *chain, size_t max)
{
	Dwarf_Die *scopes = NULL;

	int n = dwarf_getscopes(cu, pc, &scopes);
	if (n <= 0) {
		free(scopes);
		return 0;
	}
	Dwarf_Die innermost = scopes[0];
	free(scopes);
	scopes = NULL;
	n = dwarf_getscopes_die(&innermost, &scopes);
	size_t k = 0;
	for (; n > 0 && k < (size_t)n && k < max; k++)
		chain[k] = scopes[k];
	free(scopes);
	if (k && (dwarf_tag(&chain[k - 1]) == DW_TAG_compile_unit ||
		  dwarf_tag(&chain[k - 1]) == DW_TAG_partial_unit))
		k--;
	return k;
}

/* dwarf_index on its own, with a budget too small for two CUs: each CU's index
 * is freed when another is built, rebuilt when needed again, and answers the
 * same as an index that keeps everything and as dwarf_getscopes. */
START_TEST(test_index_eviction)
{
	char path[600];
	Dwarf_Die cus[8];
	size_t ncus = 0, compared = 0;

	snprintf(path, sizeof(path), "%s/multi", build_dir);
	int fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	Dwarf *dbg = dwarf_begin(fd, DWARF_C_READ);
	ck_assert_ptr_nonnull(dbg);
	Dwarf_Off off = 0, next;
	size_t hsize;
	while (ncus < 8 && dwarf_nextcu(dbg, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		if (dwarf_offdie(dbg, off + hsize, &cus[ncus]) &&
		    dwarf_hasattr(&cus[ncus], DW_AT_name))
			ncus++;
		off = next;
	}
	ck_assert_uint_ge(ncus, 2);

	struct dwarf_index *small = dwarf_index__new(1), *big = dwarf_index__new(64 << 20);
	ck_assert_ptr_nonnull(small);
	ck_assert_ptr_nonnull(big);
	for (int round = 0; round < 2; round++) {
		for (size_t c = 0; c < ncus; c++) {
			Dwarf_Addr rbase, lo, hi;
			ptrdiff_t roff = 0;
			while ((roff = dwarf_ranges(&cus[c], roff, &rbase, &lo, &hi)) > 0) {
				for (Dwarf_Addr pc = lo; pc < hi && pc < lo + 0x2000; pc++) {
					Dwarf_Die a[64], b[64], r[64];
					int na = dwarf_index__scopes(small, &cus[c], pc, a, 64);
					int nb = dwarf_index__scopes(big, &cus[c], pc, b, 64);
					size_t nr = scan_chain(&cus[c], pc, r, 64);
					ck_assert_int_ge(na, 0);
					ck_assert_int_eq(na, nb);
					ck_assert_uint_eq((size_t)na, nr);
					for (int i = 0; i < na; i++) {
						ck_assert_uint_eq(dwarf_dieoffset(&a[i]),
								  dwarf_dieoffset(&r[i]));
						ck_assert_uint_eq(dwarf_dieoffset(&b[i]),
								  dwarf_dieoffset(&r[i]));
					}
					compared++;
				}
			}
		}
	}
	ck_assert_uint_gt(compared, 500);
	/* One CU at a time in the small index, every CU in the big one. */
	ck_assert_uint_eq(dwarf_index__builds(big), ncus);
	ck_assert_uint_eq(dwarf_index__builds(small), 2 * ncus);
	ck_assert_uint_lt(dwarf_index__bytes(small), dwarf_index__bytes(big));
	/* A chain cut short keeps the innermost scopes. */
	Dwarf_Die one[1];
	ck_assert_int_le(dwarf_index__scopes(big, &cus[0], 0, one, 1), 1);
	ck_assert_int_eq(dwarf_index__scopes(big, NULL, 0, one, 1), -EINVAL);
	dwarf_index__free(small);
	dwarf_index__free(big);
	dwarf_index__free(NULL);
	dwarf_end(dbg);
	close(fd);
}
END_TEST

/* ---------------------------------------------------------------- shared symcache */

/* An offline session over full and nodbg at the given bases, naming through c
 * (NULL: its own cache). */
static struct target_dwfl *open_pair(struct symcache *c, uint64_t full_base, uint64_t nodbg_base)
{
	char path[600];
	struct target_dwfl *t = target_dwfl__open_offline();

	ck_assert_ptr_nonnull(t);
	if (c)
		target_dwfl__share_symcache(t, c);
	snprintf(path, sizeof(path), "%s/full", build_dir);
	ck_assert_int_eq(target_dwfl__report_elf(t, path, full_base), 0);
	snprintf(path, sizeof(path), "%s/nodbg", build_dir);
	ck_assert_int_eq(target_dwfl__report_elf(t, path, nodbg_base), 0);
	return t;
}

/* Offsets into full's and nodbg's first 16 KiB, every third byte: code with
 * inline chains and lines, and in nodbg (a build-id, no symbols) names with
 * the module's offset, "[nodbg+0x...]". */
#define PAIR_SPAN 0x4000
#define PAIR_STEP 3

static const uint64_t base_a[2] = {0x555500000000ull, 0x7f0000000000ull};
static const uint64_t base_b[2] = {0x561200000000ull, 0x7f3400000000ull};

static void assert_same_locs(const struct frame_loc *a, size_t na, const struct frame_loc *b,
			     size_t nb, uint64_t off)
{
	ck_assert_uint_eq(na, nb);
	for (size_t i = 0; i < na; i++)
		ck_assert_msg(!strcmp(a[i].name, b[i].name) && same_str(a[i].file, b[i].file) &&
				  a[i].line == b[i].line && a[i].column == b[i].column &&
				  a[i].inlined == b[i].inlined,
			      "offset %#llx level %zu: %s %s:%u:%u, other %s %s:%u:%u",
			      (unsigned long long)off, i, a[i].name, a[i].file, a[i].line,
			      a[i].column, b[i].name, b[i].file, b[i].line, b[i].column);
}

/* Two sessions of a run, the same files at other addresses: the second names
 * every address from the first's entries (the very strings), symbolizes nothing,
 * and its strings outlive the first session's libdw. */
START_TEST(test_symcache_shared)
{
	struct symcache *c = symcache__new();
	size_t named, hits, named_a, lookups = 0, inlined = 0, unnamed = 0;
	char *files[PAIR_SPAN / PAIR_STEP + 1] = {NULL};

	ck_assert_ptr_nonnull(c);
	struct target_dwfl *a = open_pair(c, base_a[0], base_a[1]);
	struct target_dwfl *b = open_pair(c, base_b[0], base_b[1]);
	for (int m = 0; m < 2; m++)
		for (uint64_t off = 0; off < PAIR_SPAN; off += PAIR_STEP)
			target_dwfl__symbolize_loc(a, base_a[m] + off, (struct frame_loc[8]){0}, 8);
	symcache__stats(c, &named_a, &hits);
	ck_assert_uint_gt(named_a, 0);
	ck_assert_uint_eq(hits, 0);

	for (int m = 0; m < 2; m++) {
		for (uint64_t off = 0; off < PAIR_SPAN; off += PAIR_STEP) {
			struct frame_loc la[8], lb[8];
			size_t nb = target_dwfl__symbolize_loc(b, base_b[m] + off, lb, 8);
			size_t na = target_dwfl__symbolize_loc(a, base_a[m] + off, la, 8);
			assert_same_locs(la, na, lb, nb, off);
			/* The entry a made: not a copy. */
			ck_assert_ptr_eq(la[0].name, lb[0].name);
			ck_assert_ptr_eq(la[na - 1].file, lb[nb - 1].file);
			/* Outside both modules: "[unknown]", never cached. */
			lookups += strcmp(lb[0].name, "[unknown]") != 0;
			inlined += nb > 1;
			unnamed += !strncmp(lb[0].name, "[nodbg+0x", 9);
			if (m == 0 && lb[nb - 1].file)
				files[off / PAIR_STEP] = strdup(lb[nb - 1].file);
		}
	}
	ck_assert_uint_gt(inlined, 0);
	ck_assert_uint_gt(unnamed, 0);
	/* a's own second lookups stop at its pc table; b's each found a's entry. */
	symcache__stats(c, &named, &hits);
	ck_assert_uint_eq(named, named_a);
	ck_assert_uint_eq(hits, lookups);

	/* The inline chain, located by a, read through b once a and its libdw are gone
	 * (valgrind sees any read of freed memory). */
	struct child ch;
	start_child("full", &ch);
	uint64_t bias = load_bias(ch.pid, "/full");
	stop_child(&ch);
	check_inline_chain(a, ch.pc - bias + base_a[0]);
	target_dwfl__free(a);
	check_inline_chain(b, ch.pc - bias + base_b[0]);
	for (uint64_t off = 0; off < PAIR_SPAN; off += PAIR_STEP) {
		struct frame_loc lb[8];
		size_t nb = target_dwfl__symbolize_loc(b, base_b[0] + off, lb, 8);
		ck_assert(same_str(lb[nb - 1].file, files[off / PAIR_STEP]));
		free(files[off / PAIR_STEP]);
	}
	symcache__stats(c, &named, &hits);
	ck_assert_uint_eq(named, named_a);
	target_dwfl__free(b);
	symcache__free(c);
}
END_TEST

/* Sessions that are not told to share name everything themselves. */
START_TEST(test_symcache_private)
{
	struct symcache *c = symcache__new();
	size_t named, hits, compared = 0;

	ck_assert_ptr_nonnull(c);
	struct target_dwfl *a = open_pair(NULL, base_a[0], base_a[1]);
	struct target_dwfl *b = open_pair(NULL, base_b[0], base_b[1]);
	struct target_dwfl *d = open_pair(c, base_b[0], base_b[1]);
	for (uint64_t off = 0; off < PAIR_SPAN; off += 0x101) {
		struct frame_loc la[8], lb[8], ld[8];
		size_t na = target_dwfl__symbolize_loc(a, base_a[0] + off, la, 8);
		size_t nb = target_dwfl__symbolize_loc(b, base_b[0] + off, lb, 8);
		size_t nd = target_dwfl__symbolize_loc(d, base_b[0] + off, ld, 8);
		assert_same_locs(la, na, lb, nb, off);
		assert_same_locs(la, na, ld, nd, off);
		if (strcmp(la[0].name, "[unknown]")) {
			ck_assert_ptr_ne(la[0].name, lb[0].name);
			ck_assert_ptr_ne(lb[0].name, ld[0].name);
			compared++;
		}
	}
	ck_assert_uint_gt(compared, 0);
	/* Only d's own lookups reached c. */
	symcache__stats(c, &named, &hits);
	ck_assert_uint_eq(named, compared);
	ck_assert_uint_eq(hits, 0);
	target_dwfl__free(a);
	target_dwfl__free(b);
	target_dwfl__free(d);
	symcache__free(c);
}
END_TEST

/* Two processes of the same program at other load addresses: the second is
 * named from the first's entries. */
START_TEST(test_symcache_processes)
{
	struct child c1, c2;
	struct symcache *c = symcache__new();
	size_t named, hits, named_1;
	const char *n1[8], *n2[8];

	ck_assert_ptr_nonnull(c);
	start_child("bid", &c1);
	start_child("bid", &c2);
	struct target_dwfl *t1 = target_dwfl__open(c1.pid);
	struct target_dwfl *t2 = target_dwfl__open(c2.pid);
	ck_assert_ptr_nonnull(t1);
	ck_assert_ptr_nonnull(t2);
	target_dwfl__share_symcache(t1, c);
	target_dwfl__share_symcache(t2, c);
	check_inline_chain(t1, c1.pc);
	ck_assert_uint_eq(target_dwfl__symbolize(t1, c1.static_fn, n1, 8), 1);
	symcache__stats(c, &named_1, &hits);
	ck_assert_uint_eq(hits, 0);
	target_dwfl__free(t1);
	check_inline_chain(t2, c2.pc);
	ck_assert_uint_eq(target_dwfl__symbolize(t2, c2.static_fn, n2, 8), 1);
	ck_assert_ptr_eq(n1[0], n2[0]);
	symcache__stats(c, &named, &hits);
	ck_assert_uint_eq(named, named_1);
	ck_assert_uint_eq(hits, 2);
	target_dwfl__free(t2);
	/* c2 holds a copy of the pipe keeping c1 alive: it goes first. */
	stop_child(&c2);
	stop_child(&c1);
	symcache__free(c);
}
END_TEST

/* One allocation holding the pointers and the strings, as target_dwfl packs them. */
static const char **packed(const char *name)
{
	size_t len = strlen(name) + 1;
	const char **p = malloc(sizeof(char *) + len);

	ck_assert_ptr_nonnull(p);
	p[0] = memcpy((char *)(p + 1), name, len);
	return p;
}

/* The cache alone: module ids by whole build-id and name, entries that keep
 * their address while the table grows, file strings copied. */
START_TEST(test_symcache_table)
{
	static const unsigned char id1[] = {1, 2, 3, 4, 5, 6, 7, 8};
	static const unsigned char id2[] = {1, 2, 3, 4, 5, 6, 7, 9};
	struct symcache *c = symcache__new();
	uint32_t m1, m1again, m2, mshort, mname, p1, p2;
	size_t named, hits;

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(symcache__module(c, id1, sizeof(id1), "libx.so", &m1), 0);
	ck_assert_int_eq(symcache__module(c, id1, sizeof(id1), "libx.so", &m1again), 0);
	ck_assert_int_eq(symcache__module(c, id2, sizeof(id2), "libx.so", &m2), 0);
	ck_assert_int_eq(symcache__module(c, id1, sizeof(id1) - 1, "libx.so", &mshort), 0);
	ck_assert_int_eq(symcache__module(c, id1, sizeof(id1), "liby.so", &mname), 0);
	ck_assert_int_eq(symcache__module(c, NULL, 0, "libz.so", &p1), 0);
	ck_assert_int_eq(symcache__module(c, NULL, 0, "libz.so", &p2), 0);
	ck_assert_uint_eq(m1, m1again);
	ck_assert_uint_ne(m1, m2);
	ck_assert_uint_ne(m1, mshort);
	ck_assert_uint_ne(m1, mname);
	ck_assert_uint_ne(p1, p2);

	ck_assert_ptr_null(symcache__find(c, m1, 0x10));
	struct symcache_entry *first = symcache__add(c, m1, 0x10, packed("f"), 1);
	ck_assert_ptr_nonnull(first);
	for (uint64_t off = 0x11; off < 0x11 + 5000; off++)
		ck_assert_ptr_nonnull(symcache__add(c, m2, off, packed("g"), 1));
	ck_assert_ptr_eq(symcache__find(c, m1, 0x10), first);
	ck_assert_str_eq(first->names[0], "f");
	ck_assert_ptr_null(symcache__find(c, m2, 0x10));
	ck_assert_ptr_null(symcache__find(c, m1, 0x11));
	symcache__stats(c, &named, &hits);
	ck_assert_uint_eq(named, 5001);
	ck_assert_uint_eq(hits, 1);

	char file[32] = "/src/f.c";
	struct frame_loc loc = {.file = file, .line = 7, .column = 3};
	ck_assert_int_eq(symcache__set_locs(c, first, &loc), 0);
	memset(file, 'x', sizeof(file) - 1);
	ck_assert_str_eq(first->locs[0].file, "/src/f.c");
	ck_assert_str_eq(first->locs[0].name, "f");
	ck_assert_uint_eq(first->locs[0].line, 7);
	ck_assert_uint_eq(first->locs[0].column, 3);
	/* Located once: a second call keeps the first locations. */
	loc.line = 8;
	ck_assert_int_eq(symcache__set_locs(c, first, &loc), 0);
	ck_assert_uint_eq(first->locs[0].line, 7);
	symcache__free(c);
	symcache__free(NULL);
}
END_TEST

/* The servers --debuginfod takes from /etc/debuginfod when sudo dropped
 * DEBUGINFOD_URLS: every word of every .urls file, comments left out; an
 * explicit list first, then the variable. Nothing is loaded for any of it. */
START_TEST(test_debuginfod_servers)
{
	char dir[] = "/tmp/memspy-urls.XXXXXX", path[64], cmd[128];
	char *s;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_ptr_null(dbgfetch_servers_from(dir));
	snprintf(path, sizeof(path), "%s/a.urls", dir);
	FILE *f = fopen(path, "w");
	fprintf(f, "# Debian's server\nhttps://a.example  http://b.example:8002 # two\n");
	fclose(f);
	snprintf(path, sizeof(path), "%s/b.urls", dir);
	f = fopen(path, "w");
	fprintf(f, "http://c.example\n");
	fclose(f);
	snprintf(path, sizeof(path), "%s/ignored.conf", dir);
	fclose(fopen(path, "w"));
	s = dbgfetch_servers_from(dir);
	ck_assert_str_eq(s, "https://a.example http://b.example:8002 http://c.example");
	free(s);
	setenv("DEBUGINFOD_URLS", "http://env.example", 1);
	s = dbgfetch_servers("http://given.example", true);
	ck_assert_str_eq(s, "http://given.example");
	free(s);
	s = dbgfetch_servers(NULL, false);
	ck_assert_str_eq(s, "http://env.example");
	free(s);
	setenv("DEBUGINFOD_URLS", "", 1);
	ck_assert_ptr_null(dbgfetch_servers(NULL, false));
	unsetenv("DEBUGINFOD_URLS");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_ptr_null(dlopen("libdebuginfod.so.1", RTLD_LAZY | RTLD_NOLOAD));
}
END_TEST

Suite *suite_symbolize(void)
{
	Suite *s = suite_create("symbolize");
	TCase *tc = tcase_create("targets");

	tcase_add_unchecked_fixture(tc, build_targets, remove_targets);
	tcase_add_checked_fixture(tc, setup_debug_path, teardown_debug_path);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_debug_in_binary);
	tcase_add_test(tc, test_debug_by_build_id);
	tcase_add_test(tc, test_debug_by_debuglink);
	tcase_add_test(tc, test_minidebuginfo);
	tcase_add_test(tc, test_cxx);
	tcase_add_test(tc, test_deleted_and_exited);
	tcase_add_test(tc, test_exited_with_debug);
	tcase_add_test(tc, test_jit_map);
	tcase_add_test(tc, test_malformed_modules);
	tcase_add_test(tc, test_no_debuginfod);
	tcase_add_test(tc, test_adopt_debuginfo);
	tcase_add_test(tc, test_offline_file);
	tcase_add_test(tc, test_index_matches_scan);
	tcase_add_test(tc, test_index_eviction);
	tcase_add_test(tc, test_symcache_shared);
	tcase_add_test(tc, test_symcache_private);
	tcase_add_test(tc, test_symcache_processes);
	suite_add_tcase(s, tc);

	TCase *tp = tcase_create("jitmap");
	tcase_add_test(tp, test_jitmap_parse);
	tcase_add_test(tp, test_jitmap_refused);
	tcase_add_test(tp, test_procroot_refuses);
	suite_add_tcase(s, tp);

	TCase *td = tcase_create("debuginfod");
	tcase_add_test(td, test_debuginfod_servers);
	suite_add_tcase(s, td);

	TCase *tsc = tcase_create("symcache");
	tcase_add_test(tsc, test_symcache_table);
	suite_add_tcase(s, tsc);
	return s;
}
