#include "cache/diskcache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "util/file.h"
#include "util/io.h"
#include "util/log.h"

#define MAGIC "smartsheetfs-cache 1 "
#define SHA_LEN 32
/* The longest valid header line is 149 bytes. */
#define HDR_MAX 256
/* "<id>.<variant>": at most 20 + 1 + DISKCACHE_VARIANT_MAX bytes. */
#define NAME_LEN 64
#define TMP_TAG FILE_TMP_TAG
/* Read and hash in pieces that stay in the CPU cache between the two. */
#define READ_CHUNK (1u << 20)

struct diskcache {
	pthread_mutex_t lock;
	int dirfd; /* dir/<ns>; every file call is relative to it */
	uint64_t max_bytes;
	uint64_t bytes;	  /* protected by lock */
	uint64_t entries; /* protected by lock */
	int64_t last_ns;  /* protected by lock: the last LRU stamp given */
};

/* One entry file as found by scan(). */
struct entry {
	char name[NAME_LEN];
	uint64_t size;
	int64_t mtime_ns;
};

/* An entry file opened by open_entry(): its header and first bytes. */
struct opened {
	int fd;
	struct stat st;
	struct diskcache_meta meta;
	char hex[2 * SHA_LEN + 1]; /* the header's SHA-256 */
	char buf[HDR_MAX + 1];	   /* NUL-terminated */
	size_t got;		   /* bytes of the file in buf */
	size_t hdrlen;		   /* bytes of the header line, '\n' included */
};

/* 1..max letters, digits or '-' (no locale: isalnum would take more). */
static bool valid_word(const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i]; i++) {
		char c = s[i];

		if (i >= max ||
		    !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	return i > 0;
}

/* "<id>.<variant>" as entry_name() writes it; temporary files are not. */
static bool is_entry_name(const char *s)
{
	const char *p = s + (*s == '-');
	const char *dot = p;

	while (*dot >= '0' && *dot <= '9')
		dot++;
	return dot > p && *dot == '.' && strlen(s) < NAME_LEN &&
	       valid_word(dot + 1, DISKCACHE_VARIANT_MAX);
}

static int entry_name(char *buf, int64_t id, const char *variant)
{
	if (!variant || !valid_word(variant, DISKCACHE_VARIANT_MAX))
		return -EINVAL;
	snprintf(buf, NAME_LEN, "%" PRId64 ".%s", id, variant);
	return 0;
}

/* A stamp later than any this handle gave before. Called with d->lock. */
static struct timespec next_stamp(struct diskcache *d)
{
	struct timespec ts;
	int64_t ns;

	clock_gettime(CLOCK_REALTIME, &ts);
	ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	if (ns <= d->last_ns)
		ns = d->last_ns + 1;
	d->last_ns = ns;
	ts.tv_sec = ns / 1000000000;
	ts.tv_nsec = ns % 1000000000;
	return ts;
}

/* Set fd's mtime to a new stamp: the entry is the most recently used. */
static int touch(struct diskcache *d, int fd)
{
	struct timespec ts[2] = {{.tv_nsec = UTIME_OMIT}};

	pthread_mutex_lock(&d->lock);
	ts[1] = next_stamp(d);
	pthread_mutex_unlock(&d->lock);
	return futimens(fd, ts) ? -errno : 0;
}

static int format_header(char *buf, const struct diskcache_meta *m,
			 const char *hex)
{
	return snprintf(buf, HDR_MAX,
			MAGIC "%" PRId64 " %" PRId64 " %" PRIu64 " %s\n",
			m->version, m->mtime_s, m->size, hex);
}

/*
 * Parse the header line at the start of o->buf. strto* are lax (signs,
 * leading zeros, spaces, saturation on overflow), so the line is formatted
 * again from what they read and must come out byte for byte the same.
 */
static int parse_header(struct opened *o)
{
	const char *nl = memchr(o->buf, '\n', o->got);
	char again[HDR_MAX], *p = o->buf + strlen(MAGIC), *end;
	size_t len;

	if (!nl || strncmp(o->buf, MAGIC, strlen(MAGIC)) != 0)
		return -EBADMSG;
	len = (size_t)(nl - o->buf) + 1;
	o->meta.version = strtoll(p, &end, 10);
	p = end + (*end == ' ');
	o->meta.mtime_s = strtoll(p, &end, 10);
	p = end + (*end == ' ');
	o->meta.size = strtoull(p, &end, 10);
	p = end + (*end == ' ');
	if (nl - p != 2 * SHA_LEN ||
	    strspn(p, "0123456789abcdef") != 2 * SHA_LEN)
		return -EBADMSG;
	memcpy(o->hex, p, 2 * SHA_LEN);
	o->hex[2 * SHA_LEN] = '\0';
	if ((size_t)format_header(again, &o->meta, o->hex) != len ||
	    memcmp(again, o->buf, len) != 0)
		return -EBADMSG;
	o->hdrlen = len;
	return 0;
}

/* Read up to len bytes; fewer only at the end of the file. */
static ssize_t read_full(int fd, char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = read(fd, buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/*
 * A damaged entry: remove it, unless another writer has renamed a new
 * file over it since we opened it (same name, other inode).
 */
static void discard(struct diskcache *d, const char *name,
		    const struct stat *was)
{
	struct stat now;

	log_warn("disk cache: %s is damaged, removing it", name);
	if (fstatat(d->dirfd, name, &now, AT_SYMLINK_NOFOLLOW) ||
	    now.st_ino != was->st_ino || now.st_dev != was->st_dev ||
	    unlinkat(d->dirfd, name, 0))
		return;
	pthread_mutex_lock(&d->lock);
	d->bytes -= d->bytes < (uint64_t)was->st_size ? d->bytes
						      : (uint64_t)was->st_size;
	d->entries -= d->entries > 0;
	pthread_mutex_unlock(&d->lock);
}

/*
 * Open name and read its header (and the first content bytes) into o.
 * 0 with o->fd open, or a negative errno with it closed (-EBADMSG: the
 * file was damaged and has been discarded).
 */
static int open_entry(struct diskcache *d, const char *name, struct opened *o)
{
	ssize_t n;
	int rc;

	*o = (struct opened){.fd = -1};
	o->fd = openat(d->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (o->fd < 0 && errno == ELOOP) {
		unlinkat(d->dirfd, name, 0); /* a link: not ours */
		return -EBADMSG;
	}
	if (o->fd < 0)
		return -errno;
	if (fstat(o->fd, &o->st)) {
		rc = -errno;
		goto out;
	}
	rc = -EBADMSG;
	if (!S_ISREG(o->st.st_mode))
		goto out;
	n = read_full(o->fd, o->buf, HDR_MAX);
	if (n < 0) {
		rc = (int)n;
		goto out;
	}
	o->got = (size_t)n;
	o->buf[o->got] = '\0';
	rc = parse_header(o);
	/* Files are only ever replaced, never changed: the size is final. */
	if (!rc && (o->meta.size > (uint64_t)o->st.st_size ||
		    (uint64_t)o->st.st_size - o->meta.size != o->hdrlen))
		rc = -EBADMSG;
out:
	if (rc) {
		close(o->fd);
		o->fd = -1;
		if (rc == -EBADMSG)
			discard(d, name, &o->st);
	}
	return rc;
}

static int cmp_lru(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->mtime_ns != y->mtime_ns)
		return x->mtime_ns < y->mtime_ns ? -1 : 1;
	return strcmp(x->name, y->name);
}

/*
 * List the entry files of the folder in *out (a new array, caller frees)
 * and remove stale temporary files on the way. Files that vanish while we
 * look (another process evicting) are skipped.
 */
static int scan(struct diskcache *d, struct entry **out, size_t *n_out)
{
	struct entry *list = NULL, *grown;
	size_t n = 0, alloc = 0;
	struct dirent *de;
	struct stat st;
	DIR *dir = NULL;
	time_t now = time(NULL);
	int fd, rc = 0;

	fd = openat(d->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	dir = fdopendir(fd);
	if (!dir) {
		rc = -errno;
		close(fd);
		return rc;
	}
	while ((de = readdir(dir)) != NULL) {
		bool tmp = strstr(de->d_name, TMP_TAG) != NULL;

		if ((!tmp && !is_entry_name(de->d_name)) ||
		    fstatat(d->dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
		    !S_ISREG(st.st_mode))
			continue;
		if (tmp) {
			if (st.st_mtime < now - DISKCACHE_TMP_STALE_S)
				unlinkat(d->dirfd, de->d_name, 0);
			continue;
		}
		if (n == alloc) {
			alloc = alloc ? 2 * alloc : 64;
			grown = realloc(list, alloc * sizeof(*list));
			if (!grown) {
				rc = -ENOMEM;
				goto out;
			}
			list = grown;
		}
		memcpy(list[n].name, de->d_name, strlen(de->d_name) + 1);
		list[n].size = (uint64_t)st.st_size;
		list[n].mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 +
				   st.st_mtim.tv_nsec;
		n++;
	}
out:
	closedir(dir);
	if (rc) {
		free(list);
		return rc;
	}
	*out = list;
	*n_out = n;
	return 0;
}

/*
 * Rescan (other processes share the folder), then remove the least
 * recently used entries but keep until the total is under the cap.
 * Called with d->lock held: puts wait for an eviction, which is rare.
 */
static int evict(struct diskcache *d, const char *keep)
{
	struct entry *list = NULL;
	uint64_t total = 0;
	size_t n = 0, left, i;
	int rc;

	rc = scan(d, &list, &n);
	if (rc)
		return rc;
	for (i = 0; i < n; i++)
		total += list[i].size;
	left = n;
	qsort(list, n, sizeof(*list), cmp_lru);
	for (i = 0; i < n && total > d->max_bytes; i++) {
		if (!strcmp(list[i].name, keep))
			continue;
		if (unlinkat(d->dirfd, list[i].name, 0) && errno != ENOENT)
			continue;
		total -= list[i].size;
		left--;
	}
	d->bytes = total;
	d->entries = left;
	free(list);
	return 0;
}

/*
 * Open the folder name (relative to at) into *fd_out and refuse one that
 * another user owns or others may write to: they could plant entries.
 * shown is its path for messages.
 */
static int open_folder(int at, const char *name, const char *shown, char *err,
		       size_t errlen, int *fd_out)
{
	int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
	struct stat st;
	int fd, rc = 0;

	/* dir itself may be a link (~/.cache often is); dir/<ns> may not. */
	fd = openat(at, name, at == AT_FDCWD ? flags : flags | O_NOFOLLOW);
	if (fd < 0) {
		rc = errno == ELOOP ? -ENOTDIR : -errno;
		if (rc == -ENOTDIR)
			io_say(err, errlen,
			       "cache folder %s is not a folder: "
			       "remove it or set cache_dir= to another path",
			       shown);
		else
			io_say(err, errlen, "cannot open cache folder %s: %s",
			       shown, strerror(-rc));
		return rc;
	}
	if (fstat(fd, &st)) {
		rc = -errno;
		io_say(err, errlen, "cannot stat cache folder %s: %s", shown,
		       strerror(-rc));
	} else if (st.st_uid != geteuid()) {
		rc = -EACCES;
		io_say(err, errlen,
		       "cache folder %s belongs to uid %u, not to "
		       "uid %u: chown it or set cache_dir= to another path",
		       shown, (unsigned)st.st_uid, (unsigned)geteuid());
	} else if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		rc = -EACCES;
		io_say(err, errlen,
		       "cache folder %s is writable by group or "
		       "others: run chmod 700 %s",
		       shown, shown);
	}
	if (rc)
		close(fd);
	else
		*fd_out = fd;
	return rc;
}

struct diskcache *diskcache_open(const char *dir, const char *ns,
				 uint64_t max_bytes, char *err, size_t errlen,
				 int *rc_out)
{
	struct diskcache *d = NULL;
	struct entry *list = NULL;
	char path[PATH_MAX], failed[PATH_MAX] = "";
	size_t n = 0, i;
	int rc, topfd = -1;

	if (!dir || !*dir || !ns || !valid_word(ns, DISKCACHE_NS_MAX)) {
		rc = -EINVAL;
		io_say(err, errlen, "bad cache folder or namespace");
		goto out;
	}
	if (snprintf(path, sizeof(path), "%s/%s", dir, ns) >=
	    (int)sizeof(path)) {
		rc = -ENAMETOOLONG;
		io_say(err, errlen, "cache folder %s: name too long", dir);
		goto out;
	}
	/* mkdir -p: each missing folder up to dir is made 0700 (dir itself
	 * not a folder: open_folder says so below). */
	rc = file_mkdirs(dir, failed, sizeof(failed));
	if (rc && !(rc == -ENOTDIR && strcmp(failed, dir) == 0)) {
		io_say(err, errlen, "cannot create cache folder %s: %s", failed,
		       strerror(-rc));
		goto out;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		rc = -ENOMEM;
		io_say(err, errlen, "out of memory");
		goto out;
	}
	d->dirfd = -1;
	d->max_bytes = max_bytes;
	pthread_mutex_init(&d->lock, NULL);
	rc = open_folder(AT_FDCWD, dir, dir, err, errlen, &topfd);
	if (rc)
		goto out;
	if (mkdirat(topfd, ns, 0700) && errno != EEXIST) {
		rc = -errno;
		io_say(err, errlen, "cannot create cache folder %s: %s", path,
		       strerror(-rc));
		goto out;
	}
	rc = open_folder(topfd, ns, path, err, errlen, &d->dirfd);
	if (rc)
		goto out;
	rc = scan(d, &list, &n);
	if (rc) {
		io_say(err, errlen, "cannot read cache folder %s: %s", path,
		       strerror(-rc));
		goto out;
	}
	for (i = 0; i < n; i++)
		d->bytes += list[i].size;
	d->entries = n;
out:
	free(list);
	if (topfd >= 0)
		close(topfd);
	if (rc) {
		diskcache_close(d);
		d = NULL;
		if (rc_out)
			*rc_out = rc;
	}
	return d;
}

void diskcache_close(struct diskcache *d)
{
	if (!d)
		return;
	if (d->dirfd >= 0)
		close(d->dirfd);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

int diskcache_peek(struct diskcache *d, int64_t id, const char *variant,
		   struct diskcache_meta *meta)
{
	char name[NAME_LEN];
	struct opened o;
	int rc;

	rc = entry_name(name, id, variant);
	if (rc)
		return rc;
	rc = open_entry(d, name, &o);
	if (rc)
		return rc;
	close(o.fd);
	*meta = o.meta;
	return 0;
}

int diskcache_get(struct diskcache *d, int64_t id, const char *variant,
		  struct diskcache_meta *meta, char **data)
{
	unsigned char sha[EVP_MAX_MD_SIZE];
	char name[NAME_LEN], hex[2 * SHA_LEN + 1], *buf = NULL;
	EVP_MD_CTX *ctx = NULL;
	size_t size, off, want;
	struct opened o;
	ssize_t got;
	int rc;

	rc = entry_name(name, id, variant);
	if (rc)
		return rc;
	rc = open_entry(d, name, &o);
	if (rc)
		return rc;
	if (o.meta.size >= SIZE_MAX) {
		rc = -ENOMEM;
		goto out;
	}
	size = (size_t)o.meta.size;
	buf = malloc(size + 1);
	ctx = EVP_MD_CTX_new();
	if (!buf || !ctx) {
		rc = -ENOMEM;
		goto out;
	}
	rc = -EIO;
	if (!EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
		goto out;
	/* open_entry() checked the file size: got - hdrlen <= size. */
	off = o.got - o.hdrlen;
	memcpy(buf, o.buf + o.hdrlen, off);
	if (!EVP_DigestUpdate(ctx, buf, off))
		goto out;
	while (off < size) {
		want = size - off < READ_CHUNK ? size - off : READ_CHUNK;
		got = read_full(o.fd, buf + off, want);
		if (got < 0 || (size_t)got != want) {
			rc = got < 0 ? (int)got : -EBADMSG;
			goto out;
		}
		if (!EVP_DigestUpdate(ctx, buf + off, want))
			goto out;
		off += want;
	}
	if (!EVP_DigestFinal_ex(ctx, sha, NULL))
		goto out;
	io_hex(sha, SHA_LEN, hex);
	rc = -EBADMSG;
	if (strcmp(hex, o.hex) != 0)
		goto out;
	buf[size] = '\0';
	/* Not fatal: a read-only cache still serves, only LRU suffers. */
	rc = touch(d, o.fd);
	if (rc)
		log_debug("disk cache: cannot touch %s: %s", name,
			  strerror(-rc));
	rc = 0;
	*meta = o.meta;
	*data = buf;
	buf = NULL;
out:
	EVP_MD_CTX_free(ctx);
	free(buf);
	close(o.fd);
	if (rc == -EBADMSG)
		discard(d, name, &o.st);
	return rc;
}

int diskcache_put(struct diskcache *d, int64_t id, const char *variant,
		  const struct diskcache_meta *meta, const char *data)
{
	unsigned char sha[EVP_MAX_MD_SIZE];
	char name[NAME_LEN], hdr[HDR_MAX], hex[2 * SHA_LEN + 1];
	struct file_tmp tmp;
	uint64_t total, old = 0;
	struct stat st;
	bool had_old;
	int rc, hdrlen;

	rc = entry_name(name, id, variant);
	if (rc)
		return rc;
	if (meta->size > SIZE_MAX - HDR_MAX || (!data && meta->size))
		return -EINVAL;
	if (!EVP_Digest(data ? data : "", (size_t)meta->size, sha, NULL,
			EVP_sha256(), NULL))
		return -EIO;
	io_hex(sha, SHA_LEN, hex);
	hdrlen = format_header(hdr, meta, hex);
	total = (uint64_t)hdrlen + meta->size;
	if (d->max_bytes && total > d->max_bytes)
		return -EFBIG;

	/* No fsync: a cache entry lost in a crash is fetched again. */
	rc = file_tmp_open(&tmp, d->dirfd, name, 0600);
	if (rc)
		return rc;
	rc = io_write_all(tmp.fd, hdr, (size_t)hdrlen);
	if (!rc)
		rc = io_write_all(tmp.fd, data, (size_t)meta->size);
	if (!rc)
		rc = touch(d, tmp.fd);
	if (!rc)
		rc = file_tmp_close(&tmp, false);
	if (rc)
		goto out;

	pthread_mutex_lock(&d->lock);
	had_old = !fstatat(d->dirfd, name, &st, AT_SYMLINK_NOFOLLOW);
	if (had_old)
		old = (uint64_t)st.st_size;
	rc = file_tmp_commit(&tmp, name);
	if (rc) {
		pthread_mutex_unlock(&d->lock);
		goto out;
	}
	d->bytes = (d->bytes > old ? d->bytes - old : 0) + total;
	d->entries += !had_old;
	if (d->max_bytes && d->bytes > d->max_bytes) {
		rc = evict(d, name);
		if (rc)
			log_warn("disk cache: cannot evict: %s", strerror(-rc));
	}
	pthread_mutex_unlock(&d->lock);
	return 0;
out:
	file_tmp_discard(&tmp);
	return rc;
}

void diskcache_drop(struct diskcache *d, int64_t id)
{
	char prefix[NAME_LEN];
	struct entry *list = NULL;
	size_t n = 0, i, len;
	int rc;

	len = (size_t)snprintf(prefix, sizeof(prefix), "%" PRId64 ".", id);
	pthread_mutex_lock(&d->lock);
	rc = scan(d, &list, &n);
	if (rc) {
		log_warn("disk cache: cannot drop %" PRId64 ": %s", id,
			 strerror(-rc));
		goto out;
	}
	d->bytes = 0;
	d->entries = 0;
	for (i = 0; i < n; i++) {
		if (!strncmp(list[i].name, prefix, len) &&
		    (!unlinkat(d->dirfd, list[i].name, 0) || errno == ENOENT))
			continue;
		d->bytes += list[i].size;
		d->entries++;
	}
out:
	pthread_mutex_unlock(&d->lock);
	free(list);
}

void diskcache_usage(struct diskcache *d, uint64_t *bytes, uint64_t *entries)
{
	pthread_mutex_lock(&d->lock);
	if (bytes)
		*bytes = d->bytes;
	if (entries)
		*entries = d->entries;
	pthread_mutex_unlock(&d->lock);
}

bool diskcache_nearly_full(struct diskcache *d)
{
	bool full;

	pthread_mutex_lock(&d->lock);
	full = d->max_bytes && d->bytes >= d->max_bytes / 10 * 9;
	pthread_mutex_unlock(&d->lock);
	return full;
}
