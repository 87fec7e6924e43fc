/*
 * Scratch files (SPEC §8): with -o write, any name that is not a sheet's
 * file may be created in sheets/, by-id/ and the workspace folders, for
 * editors' swap, backup and temporary files. They live in memory only,
 * keyed by their path, capped together by scratch_max=, and are gone at
 * unmount. An unlinked file lives on while a handle holds it, as on a
 * disk. One store per process (one session), under one lock. Called on
 * libfuse's worker threads, and from destroy at the end.
 */
#include "fs/write_i.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct scratch {
	char *path; /* NULL once unlinked */
	char *data; /* len bytes (alloc allocated) */
	size_t len, alloc;
	mode_t mode; /* permission bits */
	struct timespec mtime;
	int refs;	      /* the store's (while linked) and each handle's */
	struct scratch *next; /* the linked ones, under lock */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct scratch *files; /* linked, under lock */
static uint64_t total;	      /* bytes held by every scratch file alive */

/* Under lock: the linked file at path, or NULL. */
static struct scratch *find(const char *path, struct scratch ***link)
{
	struct scratch **p;

	for (p = &files; *p; p = &(*p)->next) {
		if (strcmp((*p)->path, path) == 0) {
			if (link)
				*link = p;
			return *p;
		}
	}
	return NULL;
}

/* Under lock: drop one reference; the last frees s. */
static void put_locked(struct scratch *s)
{
	if (--s->refs > 0)
		return;
	total -= s->len;
	free(s->path);
	free(s->data);
	free(s);
}

/* Under lock: take s out of the folder (its handles keep it). */
static void unlink_locked(struct scratch **link)
{
	struct scratch *s = *link;

	*link = s->next;
	s->next = NULL;
	free(s->path);
	s->path = NULL;
	put_locked(s);
}

int scratch_create(const char *path, mode_t mode, struct scratch **out)
{
	struct scratch *s = calloc(1, sizeof(*s));

	if (!s || !(s->path = strdup(path))) {
		free(s);
		return -ENOMEM;
	}
	s->mode = mode & 07777;
	s->refs = 2; /* the store's and the caller's */
	clock_gettime(CLOCK_REALTIME, &s->mtime);
	pthread_mutex_lock(&lock);
	if (find(path, NULL)) {
		pthread_mutex_unlock(&lock);
		free(s->path);
		free(s);
		return -EEXIST;
	}
	s->next = files;
	files = s;
	pthread_mutex_unlock(&lock);
	*out = s;
	return 0;
}

int scratch_get(const char *path, struct scratch **out)
{
	struct scratch *s;

	pthread_mutex_lock(&lock);
	s = find(path, NULL);
	if (s)
		s->refs++;
	pthread_mutex_unlock(&lock);
	*out = s;
	return s ? 0 : -ENOENT;
}

void scratch_put(struct scratch *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&lock);
	put_locked(s);
	pthread_mutex_unlock(&lock);
}

bool scratch_exists(const char *path)
{
	bool found;

	pthread_mutex_lock(&lock);
	found = find(path, NULL) != NULL;
	pthread_mutex_unlock(&lock);
	return found;
}

void scratch_stat(struct scratch *s, struct stat *st)
{
	pthread_mutex_lock(&lock);
	st->st_mode = S_IFREG | s->mode;
	st->st_nlink = s->path ? 1 : 0;
	st->st_size = (off_t)s->len;
	st->st_blksize = 4096;
	st->st_blocks = (st->st_size + 511) / 512;
	st->st_mtim = st->st_ctim = st->st_atim = s->mtime;
	pthread_mutex_unlock(&lock);
}

int scratch_read(struct scratch *s, char *buf, size_t size, off_t off)
{
	size_t n = 0;

	if (off < 0)
		return -EINVAL;
	pthread_mutex_lock(&lock);
	if ((uint64_t)off < s->len) {
		n = s->len - (size_t)off;
		if (n > size)
			n = size;
		memcpy(buf, s->data + off, n);
	}
	pthread_mutex_unlock(&lock);
	return (int)n;
}

/* Under lock: make s len bytes long (new bytes zero), within max. */
static int resize_locked(struct scratch *s, size_t len, uint64_t max)
{
	size_t old = s->len;
	int rc;

	if (len > old && total + (len - old) > max)
		return -ENOSPC;
	rc = fsw_resize(&s->data, &s->len, &s->alloc, len);
	if (rc)
		return rc;
	total = total - old + len;
	clock_gettime(CLOCK_REALTIME, &s->mtime);
	return 0;
}

int scratch_write(struct scratch *s, const char *buf, size_t size, off_t off,
		  uint64_t max)
{
	int rc = 0;

	if (off < 0 || (uint64_t)off > SIZE_MAX - size || size > INT_MAX)
		return -EFBIG;
	pthread_mutex_lock(&lock);
	if ((size_t)off + size > s->len)
		rc = resize_locked(s, (size_t)off + size, max);
	if (!rc && size) {
		memcpy(s->data + off, buf, size);
		clock_gettime(CLOCK_REALTIME, &s->mtime);
	}
	pthread_mutex_unlock(&lock);
	return rc ? rc : (int)size;
}

int scratch_truncate(struct scratch *s, off_t size, uint64_t max)
{
	int rc;

	if (size < 0)
		return -EINVAL;
	if ((uint64_t)size > SIZE_MAX)
		return -EFBIG;
	pthread_mutex_lock(&lock);
	rc = resize_locked(s, (size_t)size, max);
	pthread_mutex_unlock(&lock);
	return rc;
}

void scratch_chmod(struct scratch *s, mode_t mode)
{
	pthread_mutex_lock(&lock);
	s->mode = mode & 07777;
	pthread_mutex_unlock(&lock);
}

void scratch_touch(struct scratch *s, const struct timespec tv[2])
{
	pthread_mutex_lock(&lock);
	if (!tv || tv[1].tv_nsec == UTIME_NOW)
		clock_gettime(CLOCK_REALTIME, &s->mtime);
	else if (tv[1].tv_nsec != UTIME_OMIT)
		s->mtime = tv[1];
	pthread_mutex_unlock(&lock);
}

int scratch_copy(struct scratch *s, char **text, size_t *len)
{
	int rc = 0;

	pthread_mutex_lock(&lock);
	*len = s->len;
	*text = malloc(s->len ? s->len : 1);
	if (*text)
		memcpy(*text, s->data ? s->data : "", s->len);
	else
		rc = -ENOMEM;
	pthread_mutex_unlock(&lock);
	return rc;
}

int scratch_unlink(const char *path)
{
	struct scratch **link = NULL;
	int rc = 0;

	pthread_mutex_lock(&lock);
	if (find(path, &link))
		unlink_locked(link);
	else
		rc = -ENOENT;
	pthread_mutex_unlock(&lock);
	return rc;
}

int scratch_rename(const char *from, const char *to)
{
	struct scratch **link = NULL, *s;
	char *p = strdup(to);
	int rc = 0;

	if (!p)
		return -ENOMEM;
	pthread_mutex_lock(&lock);
	s = find(from, NULL);
	if (!s) {
		rc = -ENOENT;
	} else if (strcmp(from, to) != 0) {
		struct scratch *t = find(to, &link);

		if (t && t != s)
			unlink_locked(link); /* replaced */
		free(s->path);
		s->path = p;
		p = NULL;
	}
	pthread_mutex_unlock(&lock);
	free(p);
	return rc;
}

void scratch_list(const char *dir, void *buf,
		  int (*fill)(void *buf, const char *name))
{
	size_t dlen = strlen(dir);
	struct scratch *s;

	pthread_mutex_lock(&lock);
	for (s = files; s; s = s->next) {
		if (strncmp(s->path, dir, dlen) != 0 || s->path[dlen] != '/' ||
		    strchr(s->path + dlen + 1, '/'))
			continue;
		if (fill(buf, s->path + dlen + 1))
			break;
	}
	pthread_mutex_unlock(&lock);
}

void scratch_release_all(void)
{
	pthread_mutex_lock(&lock);
	while (files)
		unlink_locked(&files);
	pthread_mutex_unlock(&lock);
}
