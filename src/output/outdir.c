/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The run's output directory, and files that appear whole or not at all. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/testpoint.h"
#include "output/outdir.h"

void outdir_default_name(pid_t pid, time_t when, char *buf, size_t size)
{
	struct tm tm;
	char stamp[32] = "00000000-000000";

	if (localtime_r(&when, &tm))
		strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	snprintf(buf, size, "memspy-%d-%s", (int)pid, stamp);
}

/* Whether a symlink on the way to the output directory may be followed: one of
 * root or of memspy's own user, as fs.protected_symlinks has it in sticky
 * directories. Anyone can plant one in /tmp (memspy-<pid>-<time> is easy to
 * guess) to make root write where they like. */
static bool symlink_trusted(const struct stat *st)
{
	return st->st_uid == 0 || st->st_uid == geteuid();
}

/* Step from directory dfd into its entry name, creating it (mode 0755) when
 * missing; last: name is the output directory itself, which must be a real one.
 * The new O_PATH dir fd, or -errno. */
static int step(int dfd, const char *name, bool last)
{
	struct stat st;
	int fd;

	if (mkdirat(dfd, name, 0755) && errno != EEXIST)
		return -errno;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW))
		return -errno;
	if (S_ISLNK(st.st_mode) && (last || !symlink_trusted(&st)))
		return -ELOOP;
	/* O_NOFOLLOW: what was checked to be a directory is not swapped for a
	 * symlink between the check and the open. */
	fd = openat(dfd, name,
		    O_PATH | O_DIRECTORY | O_CLOEXEC | (S_ISLNK(st.st_mode) ? 0 : O_NOFOLLOW));
	if (fd < 0)
		return errno == ELOOP || errno == ENOTDIR ? -ENOTDIR : -errno;
	return fd;
}

int outdir_create(const char *dir)
{
	char *path, *save = NULL, *name, *next;
	int dfd, err = 0;

	if (!dir || !*dir)
		return -EINVAL;
	path = strdup(dir);
	if (!path)
		return -ENOMEM;
	dfd = open(dir[0] == '/' ? "/" : ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		err = -errno;
	/* One component at a time, like mkdir -p, each looked at before it is
	 * entered. */
	for (name = strtok_r(path, "/", &save); name && !err; name = next) {
		next = strtok_r(NULL, "/", &save);
		int fd = step(dfd, name, !next);
		if (fd < 0)
			err = fd;
		else {
			close(dfd);
			dfd = fd;
		}
	}
	if (dfd >= 0)
		close(dfd);
	free(path);
	return err;
}

const char *outdir_strerror(int err)
{
	switch (err) {
	case ELOOP:
		return "a symlink is in the way, which memspy does not follow into an output "
		       "directory (give the real directory, or one of root's symlinks)";
	case EEXIST:
		return "a file memspy did not write is in the way (a symlink, a file of another "
		       "user or with other links): move it, or choose another -o directory";
	default:
		return strerror(err);
	}
}

static char *join(const char *dir, const char *prefix, const char *name, const char *suffix)
{
	char *s;

	if (asprintf(&s, "%s/%s%s%s", dir, prefix, name, suffix) < 0)
		return NULL;
	return s;
}

/* An unnamed file in dir (O_TMPFILE): a kill before commit leaves nothing at all,
 * not even a hidden temporary. -EOPNOTSUPP and friends: the filesystem cannot. */
static int open_unnamed(const char *dir)
{
	int fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);

	return fd < 0 ? -errno : fd;
}

int atomic_file__open(struct atomic_file *af, const char *dir, const char *name)
{
	int fd, err;

	memset(af, 0, sizeof(*af));
	if (!dir || !*dir)
		dir = ".";
	af->path = join(dir, "", name, "");
	/* Hidden and in the same directory: rename(2) is atomic only within a filesystem. */
	af->tmp_path = join(dir, ".", name, ".XXXXXX");
	if (!af->path || !af->tmp_path) {
		err = -ENOMEM;
		goto fail;
	}
	fd = open_unnamed(dir);
	if (fd >= 0) {
		af->unnamed = true;
	} else {
		fd = mkostemp(af->tmp_path, O_CLOEXEC);
		if (fd < 0) {
			err = -errno;
			free(af->tmp_path); /* nothing to remove: never created */
			af->tmp_path = NULL;
			goto fail;
		}
	}
	/* mkostemp makes 0600; a profile is for the user to read, like any output file. */
	if (fchmod(fd, 0644) || !(af->f = fdopen(fd, "w"))) {
		err = -errno;
		close(fd);
		goto fail;
	}
	return 0;
fail:
	atomic_file__abort(af);
	return err;
}

/* Whether path may be replaced: nothing there, or a regular file of memspy's
 * user with no other link (what an earlier run wrote). rename(2) replaces a
 * symlink itself, never what it points to, but a file someone else put there
 * is not memspy's to remove. 0 or -EEXIST. */
static int check_replaceable(const char *path)
{
	struct stat st;

	if (lstat(path, &st))
		return 0;
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || st.st_nlink != 1)
		return -EEXIST;
	return 0;
}

/* Link the unnamed file under path. Returns 0 or -errno. */
static int link_unnamed(struct atomic_file *af, const char *path)
{
	char fdpath[64];

	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fileno(af->f));
	if (linkat(AT_FDCWD, fdpath, AT_FDCWD, path, AT_SYMLINK_FOLLOW))
		return -errno;
	af->unnamed = false;
	af->named = path == af->path;
	return 0;
}

/* Give the unnamed file its hidden temporary name, whole: from here a kill leaves
 * a complete file under a hidden name at worst. */
static int name_unnamed(struct atomic_file *af)
{
	int fd = fileno(af->f);
	/* The template's XXXXXX become the fd and pid: unique among our own files. */
	unsigned tag = ((unsigned)fd * 7919u + (unsigned)getpid()) % 1000000u;
	char *x = af->tmp_path + strlen(af->tmp_path) - 6;

	for (int i = 5; i >= 0; i--, tag /= 10)
		x[i] = (char)('0' + tag % 10);
	unlink(af->tmp_path); /* a leftover of an earlier killed run of ours */
	return link_unnamed(af, af->tmp_path);
}

int atomic_file__commit(struct atomic_file *af)
{
	int err = 0;
	char *slash;

	if (!af->f || !af->tmp_path || !af->path)
		return -EINVAL;
	if (fflush(af->f) || ferror(af->f) || fsync(fileno(af->f)))
		err = errno ? -errno : -EIO;
	if (!err)
		ms_testpoint(MS_STEP_OUTPUT_COMMIT);
	/* Before anything gets the name: what holds it may not be ours to replace. */
	if (!err)
		err = check_replaceable(af->path);
	/* An unnamed file takes its name in one step when the name is free (a new
	 * output directory); over an older file, through a hidden name and rename. */
	if (!err && af->unnamed) {
		err = link_unnamed(af, af->path);
		if (err == -EEXIST)
			err = name_unnamed(af);
	}
	if (fclose(af->f) && !err)
		err = errno ? -errno : -EIO;
	af->f = NULL;
	if (!err && !af->named && rename(af->tmp_path, af->path))
		err = -errno;
	if (err) {
		atomic_file__abort(af);
		return err;
	}
	/* The name itself is durable once the directory is synced; a failure here
	 * leaves a complete file in place, so it is not worth failing the run for. */
	slash = strrchr(af->path, '/');
	if (slash) {
		int dfd;

		*slash = '\0';
		dfd = open(*af->path ? af->path : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		*slash = '/';
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
	}
	free(af->tmp_path);
	free(af->path);
	memset(af, 0, sizeof(*af));
	return 0;
}

void atomic_file__abort(struct atomic_file *af)
{
	if (!af)
		return;
	if (af->f)
		fclose(af->f);
	if (af->tmp_path && !af->unnamed)
		unlink(af->tmp_path);
	free(af->tmp_path);
	free(af->path);
	memset(af, 0, sizeof(*af));
}
