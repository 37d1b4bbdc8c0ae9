/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The run's output directory, and files that appear whole or not at all. */
#include <errno.h>
#include <fcntl.h>
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

static int mkdir_one(const char *path)
{
	struct stat st;

	if (!mkdir(path, 0755))
		return 0;
	if (errno != EEXIST)
		return -errno;
	if (stat(path, &st))
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

int outdir_create(const char *dir)
{
	char *path;
	int err = 0;

	if (!dir || !*dir)
		return -EINVAL;
	path = strdup(dir);
	if (!path)
		return -ENOMEM;
	/* Each parent in turn: like mkdir -p, an existing one is fine. */
	for (char *p = path + 1; *p && !err; p++) {
		if (*p != '/' || p[-1] == '/')
			continue;
		*p = '\0';
		err = mkdir_one(path);
		*p = '/';
	}
	if (!err)
		err = mkdir_one(path);
	free(path);
	return err;
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
