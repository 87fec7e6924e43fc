/*
 * The write-back journal and the rejected texts (cache/journal.h): the
 * user's text on disk before a save's first request, removed when the save
 * lands, renamed to rejected/ when it fails or is found after a crash.
 * Called by the FUSE threads that save (cache/save.c) and, at mount, by
 * cmd/; every function is safe on any thread.
 */
#include "cache/journal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/file.h"
#include "util/io.h"
#include "util/log.h"

#define NAME_MAX_BYTES 255
#define COLLISION_TRIES 100

struct journal {
	int jfd; /* journal/ */
	int rfd; /* rejected/ */
	pthread_mutex_t lock;
	uint64_t seq;
};

struct journal_entry {
	char key[64]; /* "<wall ms>-<pid>-<seq>" */
	char *path;
};

/* Open dir/sub (made 0700 if missing): ours, a folder, not a link, and
 * not writable by others. The fd, or -1 with err. */
static int open_folder(const char *dir, const char *sub, char *err,
		       size_t errlen)
{
	char *p = NULL, failed[256] = "";
	struct stat st;
	int fd, rc;

	if (asprintf(&p, "%s/%s", dir, sub) < 0) {
		io_say(err, errlen, "%s: out of memory", dir);
		return -1;
	}
	rc = file_mkdirs(p, failed, sizeof(failed));
	if (rc) {
		io_say(err, errlen, "%s: cannot create it: %s", failed,
		       strerror(-rc));
		free(p);
		return -1;
	}
	fd = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		io_say(err, errlen, "%s: %s", p, strerror(errno));
	} else if (st.st_uid != geteuid()) {
		io_say(err, errlen, "%s: belongs to uid %u, not to us", p,
		       (unsigned)st.st_uid);
	} else if (st.st_mode & 022) {
		io_say(err, errlen, "%s: others may write it (chmod 700 it)",
		       p);
	} else {
		free(p);
		return fd;
	}
	if (fd >= 0)
		close(fd);
	free(p);
	return -1;
}

struct journal *journal_open(const char *dir, char *err, size_t errlen)
{
	struct journal *j = calloc(1, sizeof(*j));

	if (!j) {
		io_say(err, errlen, "%s: out of memory", dir);
		return NULL;
	}
	j->jfd = open_folder(dir, "journal", err, errlen);
	j->rfd = j->jfd < 0 ? -1 : open_folder(dir, "rejected", err, errlen);
	if (j->rfd < 0) {
		if (j->jfd >= 0)
			close(j->jfd);
		free(j);
		return NULL;
	}
	pthread_mutex_init(&j->lock, NULL);
	return j;
}

void journal_close(struct journal *j)
{
	if (!j)
		return;
	close(j->jfd);
	close(j->rfd);
	pthread_mutex_destroy(&j->lock);
	free(j);
}

/* Write name (relative to dirfd) through a temporary file, fsynced. */
static int write_at(int dirfd, const char *name, const void *data,
		    size_t len)
{
	struct file_tmp t;
	int rc = file_tmp_open(&t, dirfd, name, 0600);

	if (!rc)
		rc = io_write_all(t.fd, data, len);
	if (!rc)
		rc = file_tmp_close(&t, true);
	if (!rc)
		rc = file_tmp_commit(&t, name);
	file_tmp_discard(&t);
	return rc;
}

static int sync_dir(int dirfd)
{
	return fsync(dirfd) && errno != EINVAL ? -errno : 0;
}

static void entry_name(const struct journal_entry *e, const char *ext,
		       char *out, size_t n)
{
	snprintf(out, n, "%s.%s", e->key, ext);
}

void journal_entry_drop(struct journal_entry *e)
{
	if (!e)
		return;
	free(e->path);
	free(e);
}

int journal_begin(struct journal *j, const char *path, const void *text,
		  size_t len, struct journal_entry **out)
{
	struct journal_entry *e = calloc(1, sizeof(*e));
	char meta[96], data[96];
	uint64_t seq;
	int rc;

	if (!e || !(e->path = strdup(path))) {
		free(e);
		return -ENOMEM;
	}
	pthread_mutex_lock(&j->lock);
	seq = ++j->seq;
	pthread_mutex_unlock(&j->lock);
	snprintf(e->key, sizeof(e->key), "%" PRId64 "-%ld-%" PRIu64,
		 clock_wall_ms(), (long)getpid(), seq);
	entry_name(e, "meta", meta, sizeof(meta));
	entry_name(e, "data", data, sizeof(data));
	/* The path first: a .meta alone means no request was made. */
	rc = write_at(j->jfd, meta, path, strlen(path));
	if (!rc)
		rc = write_at(j->jfd, data, text, len);
	if (!rc)
		rc = sync_dir(j->jfd);
	if (rc) {
		log_err("journal: cannot keep the text of %s: %s", path,
			  strerror(-rc));
		(void)unlinkat(j->jfd, data, 0);
		(void)unlinkat(j->jfd, meta, 0);
		journal_entry_drop(e);
		return rc;
	}
	*out = e;
	return 0;
}

void journal_commit(struct journal *j, struct journal_entry *e)
{
	char name[96];

	entry_name(e, "data", name, sizeof(name));
	(void)unlinkat(j->jfd, name, 0);
	entry_name(e, "meta", name, sizeof(name));
	(void)unlinkat(j->jfd, name, 0);
	journal_entry_drop(e);
}

/* The largest prefix of s of at most max bytes that ends on a UTF-8
 * character boundary. */
static size_t utf8_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	return max;
}

/*
 * The rejected name for path at wall time ms, try k (0: none): "<stem>
 * <YYYYMMDDTHHMMSSZ>[-k].<ext>", at most 255 bytes. The time has no ':'
 * (a name with one breaks scp, rsync host:path and Windows shares).
 */
static void rejected_name(const char *path, int64_t ms, int k, char *out,
			  size_t n)
{
	const char *base = strrchr(path, '/'), *dot;
	char when[32], tail[48];
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	size_t stem, room;

	base = base ? base + 1 : path;
	dot = strrchr(base, '.');
	if (!dot || dot == base)
		dot = base + strlen(base);
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y%m%dT%H%M%SZ", &tm);
	if (k)
		snprintf(tail, sizeof(tail), " %s-%d", when, k);
	else
		snprintf(tail, sizeof(tail), " %s", when);
	room = NAME_MAX_BYTES - strlen(tail) - strlen(dot);
	stem = utf8_cut(base, (size_t)(dot - base), room);
	snprintf(out, n, "%.*s%s%.16s", (int)stem, base, tail, dot);
}

/* Rename journal/<from> to a free rejected name for path. */
static int move_to_rejected(struct journal *j, const char *from,
			    const char *path, char *name, size_t namelen)
{
	char cand[NAME_MAX_BYTES + 1];
	int64_t now = clock_wall_ms();
	int k, rc = -EEXIST;

	pthread_mutex_lock(&j->lock);
	for (k = 0; k < COLLISION_TRIES && rc == -EEXIST; k++) {
		rejected_name(path, now, k, cand, sizeof(cand));
		if (faccessat(j->rfd, cand, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
			continue;
		rc = renameat(j->jfd, from, j->rfd, cand) ? -errno : 0;
	}
	pthread_mutex_unlock(&j->lock);
	if (!rc)
		rc = sync_dir(j->rfd);
	if (!rc) {
		(void)sync_dir(j->jfd);
		io_say(name, namelen, "%s", cand);
	}
	return rc;
}

int journal_reject(struct journal *j, struct journal_entry *e, char *name,
		   size_t namelen)
{
	char data[96], meta[96];
	int rc;

	entry_name(e, "data", data, sizeof(data));
	entry_name(e, "meta", meta, sizeof(meta));
	rc = move_to_rejected(j, data, e->path, name, namelen);
	if (!rc)
		(void)unlinkat(j->jfd, meta, 0);
	else
		log_err("journal: cannot move the text of %s to rejected/ "
			  "(it stays in journal/ for the next mount): %s",
			  e->path, strerror(-rc));
	journal_entry_drop(e);
	return rc;
}

int journal_keep(struct journal *j, const char *path, const void *text,
		 size_t len, char *name, size_t namelen)
{
	struct journal_entry *e;
	int rc = journal_begin(j, path, text, len, &e);

	return rc ? rc : journal_reject(j, e, name, namelen);
}

/* The path a .meta holds, as a new string; NULL if unreadable. */
static char *read_meta(int dirfd, const char *name)
{
	char buf[4096];
	ssize_t n;
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	return strdup(buf);
}

/* Whether name ends in suffix (and is not a temporary file). */
static bool has_suffix(const char *name, const void *suffix)
{
	size_t len = strlen(name), sl = strlen(suffix);

	return len > sl && strcmp(name + len - sl, suffix) == 0 &&
	       !strstr(name, FILE_TMP_TAG);
}

/* The names in dirfd that keep() takes: a NULL-terminated array
 * (journal_names_free), NULL when out of memory or on error. Listed whole
 * before anything in the folder is renamed. */
static char **list_names(int dirfd, bool (*keep)(const char *, const void *),
			 const void *arg)
{
	int fd = dup(dirfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	size_t n = 0, cap = 8;
	char **v, **nv;
	struct dirent *de;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	rewinddir(d);
	v = calloc(cap, sizeof(*v));
	if (!v) {
		closedir(d);
		return NULL;
	}
	while ((de = readdir(d))) {
		if (!keep(de->d_name, arg) || de->d_type == DT_DIR)
			continue;
		if (n + 1 >= cap) {
			nv = realloc(v, cap * 2 * sizeof(*v));
			if (!nv)
				break;
			v = nv;
			cap *= 2;
		}
		v[n] = strdup(de->d_name);
		if (!v[n])
			break;
		v[++n] = NULL;
	}
	closedir(d);
	return v;
}

/* "<key><ext>" for "<key><old ext>" (same length exts), in out. */
static bool sibling(const char *name, const char *ext, char *out, size_t n)
{
	size_t len = strlen(name), el = strlen(ext);

	if (len < el || len + 1 > n)
		return false;
	snprintf(out, n, "%.*s%s", (int)(len - el), name, ext);
	return true;
}

int journal_recover(struct journal *j,
		    void (*found)(void *ctx, const char *path,
				  const char *name),
		    void *ctx)
{
	char **datas = list_names(j->jfd, has_suffix, ".data"), **metas, **p;
	char other[NAME_MAX_BYTES + 1], name[NAME_MAX_BYTES + 1];
	int count = 0;

	if (!datas)
		return -ENOMEM;
	for (p = datas; *p; p++) {
		char *path;

		if (!sibling(*p, ".meta", other, sizeof(other)))
			continue;
		path = read_meta(j->jfd, other);
		if (move_to_rejected(j, *p, path ? path : "unknown.txt", name,
				     sizeof(name)) == 0) {
			(void)unlinkat(j->jfd, other, 0);
			count++;
			if (found)
				found(ctx, path ? path : "unknown.txt", name);
		}
		free(path);
	}
	journal_names_free(datas);
	/* A .meta alone: the daemon stopped before the text was kept, so
	 * no request was made. */
	metas = list_names(j->jfd, has_suffix, ".meta");
	for (p = metas; p && *p; p++)
		if (sibling(*p, ".data", other, sizeof(other)) &&
		    faccessat(j->jfd, other, F_OK, AT_SYMLINK_NOFOLLOW))
			(void)unlinkat(j->jfd, *p, 0);
	journal_names_free(metas);
	return count;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A name of rejected/ the mount may show: no temporary, no dot files. */
static bool shown(const char *name)
{
	return name[0] != '.' && !strstr(name, FILE_TMP_TAG);
}

static bool shown_name(const char *name, const void *arg)
{
	(void)arg;
	return shown(name);
}

char **journal_rejected(struct journal *j)
{
	char **v = list_names(j->rfd, shown_name, NULL);
	size_t n = 0;

	while (v && v[n])
		n++;
	if (v)
		qsort(v, n, sizeof(*v), cmp_names);
	return v;
}

void journal_names_free(char **names)
{
	char **p;

	for (p = names; p && *p; p++)
		free(*p);
	free(names);
}

static bool valid_name(const char *name)
{
	return *name && shown(name) && !strchr(name, '/');
}

int journal_rejected_stat(struct journal *j, const char *name,
			  struct stat *st)
{
	if (!valid_name(name))
		return -ENOENT;
	if (fstatat(j->rfd, name, st, AT_SYMLINK_NOFOLLOW))
		return -errno;
	return S_ISREG(st->st_mode) ? 0 : -ENOENT;
}

int journal_rejected_open(struct journal *j, const char *name)
{
	int fd;

	if (!valid_name(name))
		return -ENOENT;
	fd = openat(j->rfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int journal_rejected_remove(struct journal *j, const char *name)
{
	if (!valid_name(name))
		return -ENOENT;
	if (unlinkat(j->rfd, name, 0))
		return -errno;
	return sync_dir(j->rfd);
}
