/*
 * Files and folders shared by the settings store, the disk cache and
 * config import (util/file.h): mkdir -p, and replacing a file through a
 * temporary one and rename(). Every function returns 0 or a negative errno
 * and keeps no state, so any thread may call them.
 */
#include "util/file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/io.h"

/* The XXXXXX of a temporary name, and how many names to try. */
#define FILE_TMP_RANDOM 6
#define FILE_TMP_TRIES 100

char *file_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

int file_mkdirs(const char *path, char *failed, size_t failedlen)
{
	struct stat st;
	char *dir, *p, c;
	int rc = 0;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	if (!path[0])
		return -ENOENT;
	dir = strdup(path);
	if (!dir)
		return -ENOMEM;
	/* Each prefix that ends before a '/' (or at the end) is a folder. */
	for (p = dir + 1; !rc; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		c = *p;
		*p = '\0';
		if (p[-1] != '/' && mkdir(dir, 0700) && errno != EEXIST) {
			rc = -errno;
			io_say(failed, failedlen, "%s", dir);
		}
		*p = c;
		if (!c)
			break;
	}
	/* EEXIST says nothing of what is there: a file, a dangling link. */
	if (!rc && (stat(path, &st) || !S_ISDIR(st.st_mode))) {
		rc = -ENOTDIR;
		io_say(failed, failedlen, "%s", path);
	}
	free(dir);
	return rc;
}

/* FILE_TMP_RANDOM letters and digits at out (no NUL). The name only needs
 * to be unlikely to be taken: O_EXCL makes it ours. */
static void random_suffix(char *out)
{
	static const char abc[] = "abcdefghijklmnopqrstuvwxyz"
				  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	unsigned char r[FILE_TMP_RANDOM];
	struct timespec ts;
	uint64_t mix;
	size_t i;

	if (getrandom(r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r)) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		mix = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ULL ^
		      (uint64_t)getpid() ^ (uint64_t)(uintptr_t)out;
		for (i = 0; i < sizeof(r); i++, mix >>= 8)
			r[i] = (unsigned char)mix;
	}
	for (i = 0; i < sizeof(r); i++)
		out[i] = abc[r[i] % (sizeof(abc) - 1)];
}

int file_tmp_open(struct file_tmp *t, int dirfd, const char *name, mode_t mode)
{
	size_t n = strlen(name), tag = strlen(FILE_TMP_TAG);
	char *tmp = malloc(n + tag + FILE_TMP_RANDOM + 1);
	int fd = -1, tries = 0, rc;

	t->dirfd = dirfd;
	t->fd = -1;
	t->name = NULL;
	if (!tmp)
		return -ENOMEM;
	memcpy(tmp, name, n);
	memcpy(tmp + n, FILE_TMP_TAG, tag);
	tmp[n + tag + FILE_TMP_RANDOM] = '\0';
	do {
		random_suffix(tmp + n + tag);
		fd = openat(
		    dirfd, tmp,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	} while (fd < 0 && errno == EEXIST && ++tries < FILE_TMP_TRIES);
	if (fd < 0) {
		rc = -errno;
		free(tmp);
		return rc;
	}
	/* Exactly mode: the umask took bits away at the open. */
	if (fchmod(fd, mode)) {
		rc = -errno;
		close(fd);
		unlinkat(dirfd, tmp, 0);
		free(tmp);
		return rc;
	}
	t->fd = fd;
	t->name = tmp;
	return 0;
}

int file_tmp_close(struct file_tmp *t, bool sync)
{
	int rc = 0;

	if (t->fd < 0)
		return -EBADF;
	if (sync && fsync(t->fd))
		rc = -errno;
	if (close(t->fd) && !rc)
		rc = -errno;
	t->fd = -1;
	return rc;
}

int file_tmp_commit(struct file_tmp *t, const char *name)
{
	if (!t->name)
		return -EINVAL;
	/* Paths take rename() itself: the integration tests' fault shim
	 * (tests/support/shim) interposes on it to fail a save. */
	if (t->dirfd == AT_FDCWD ? rename(t->name, name)
				 : renameat(t->dirfd, t->name, t->dirfd, name))
		return -errno;
	free(t->name);
	t->name = NULL;
	return 0;
}

void file_tmp_discard(struct file_tmp *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	if (t->name)
		unlinkat(t->dirfd, t->name, 0);
	free(t->name);
	t->name = NULL;
}

/* fsync the folder of path: -EIO when the disk says so, else 0 (a folder
 * that cannot be opened, or a file system that cannot sync one). */
static int sync_folder(const char *path)
{
	char *dir = file_dirname(path);
	int fd, rc = 0;

	if (!dir)
		return 0;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 && fsync(fd) && errno == EIO)
		rc = -EIO;
	if (fd >= 0)
		close(fd);
	free(dir);
	return rc;
}

int file_write_atomic(const char *path, const void *data, size_t len,
		      mode_t mode, char *err, size_t errlen)
{
	const char *step = "cannot create a temporary file beside it";
	struct file_tmp t;
	int rc;

	rc = file_tmp_open(&t, AT_FDCWD, path, mode);
	if (!rc) {
		step = "cannot write";
		rc = io_write_all(t.fd, data, len);
	}
	if (!rc)
		rc = file_tmp_close(&t, true);
	if (!rc) {
		step = "cannot replace it";
		rc = file_tmp_commit(&t, path);
	}
	if (!rc) {
		step = "cannot sync its folder";
		rc = sync_folder(path);
	}
	if (rc)
		io_say(err, errlen, "%s: %s: %s", path, step, strerror(-rc));
	file_tmp_discard(&t);
	return rc;
}

void file_sweep_temps(const char *path, long max_age_s)
{
	const char *slash = strrchr(path, '/');
	char *dir =
	    slash ? strndup(path, (size_t)(slash - path) + 1) : strdup(".");
	const char *base = slash ? slash + 1 : path;
	size_t blen = strlen(base), tlen = strlen(FILE_TMP_TAG);
	time_t now = time(NULL);
	struct dirent *de;
	struct stat st;
	DIR *d;

	if (!dir)
		return;
	d = opendir(dir);
	while (d && (de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, base, blen) != 0 ||
		    strncmp(de->d_name + blen, FILE_TMP_TAG, tlen) != 0)
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) ==
			0 &&
		    S_ISREG(st.st_mode) && now - st.st_mtime > max_age_s)
			unlinkat(dirfd(d), de->d_name, 0);
	}
	if (d)
		closedir(d);
	free(dir);
}
