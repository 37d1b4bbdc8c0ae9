/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The run's output directory, and files that appear whole or not at all. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
	fd = mkostemp(af->tmp_path, O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		free(af->tmp_path); /* nothing to remove: never created */
		af->tmp_path = NULL;
		goto fail;
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

int atomic_file__commit(struct atomic_file *af)
{
	int err = 0;
	char *slash;

	if (!af->f || !af->tmp_path || !af->path)
		return -EINVAL;
	if (fflush(af->f) || ferror(af->f) || fsync(fileno(af->f)))
		err = errno ? -errno : -EIO;
	if (fclose(af->f) && !err)
		err = errno ? -errno : -EIO;
	af->f = NULL;
	if (!err && rename(af->tmp_path, af->path))
		err = -errno;
	if (err) {
		atomic_file__abort(af);
		return err;
	}
	/* The rename itself is durable once the directory is synced; a failure here
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
	if (af->tmp_path)
		unlink(af->tmp_path);
	free(af->tmp_path);
	free(af->path);
	memset(af, 0, sizeof(*af));
}
