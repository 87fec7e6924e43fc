#include "cache/diskcache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/unit/testlib.h"
#include "util/log.h"

#define NS "0123456789abcdef"
#define PATHLEN 512
#define DIRLEN 256 /* a folder, leaving room for names in PATHLEN */
/* sha256("abc"), FIPS 180-2 appendix B.1. */
#define SHA_ABC                                                                \
	"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

static char tmpdir[64]; /* from mkdtemp() */
static int dir_seq;

/* A new, not yet existing path tmpdir/<name>-<n> in buf. */
static char *fresh(char *buf, const char *name)
{
	snprintf(buf, DIRLEN, "%s/%s-%d", tmpdir, name, ++dir_seq);
	return buf;
}

/* dir/NS/<id>.<variant> in buf. */
static char *entry_path(char *buf, const char *dir, long long id,
			const char *variant)
{
	snprintf(buf, PATHLEN, "%s/" NS "/%lld.%s", dir, id, variant);
	return buf;
}

static struct diskcache *open_ok(const char *dir, uint64_t max)
{
	char err[256] = "";
	int rc = 0;
	struct diskcache *d =
	    diskcache_open(dir, NS, max, err, sizeof(err), &rc);

	CHECK(d != NULL);
	if (!d)
		fprintf(stderr, "diskcache_open(%s): %s (%d)\n", dir, err, rc);
	return d;
}

static struct diskcache_meta meta_of(int64_t version, int64_t mtime_s,
				     uint64_t size)
{
	struct diskcache_meta m = {version, mtime_s, size};

	return m;
}

/* Deterministic content for a version: its length and bytes follow v. */
static size_t gen(char *buf, int64_t v)
{
	size_t len = 100 + (size_t)(v % 997) * 37, i;

	for (i = 0; i < len; i++)
		buf[i] = (char)('a' + (v + (int64_t)i) % 26);
	return len;
}

static int put_str(struct diskcache *d, int64_t id, const char *variant,
		   int64_t version, const char *s, size_t len)
{
	struct diskcache_meta m = meta_of(version, 1700000000, len);

	return diskcache_put(d, id, variant, &m, s);
}

static void write_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK_INT(write(fd, data, len), len);
	close(fd);
}

static long long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : (long long)st.st_size;
}

static int mode_of(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : (int)(st.st_mode & 07777);
}

/* Entries in dir (not . and ..); and how many have ".tmp." in the name. */
static int count_files(const char *dir, int *tmps)
{
	DIR *dh = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (tmps)
		*tmps = 0;
	if (!dh)
		return -1;
	while ((e = readdir(dh)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		n++;
		if (tmps && strstr(e->d_name, ".tmp."))
			(*tmps)++;
	}
	closedir(dh);
	return n;
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 +
	       (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static void test_diskcache_round_trip(void)
{
	char dir[DIRLEN], path[PATHLEN], want[256], buf[256];
	static const char content[] = "id,name\n1,a\0b\n";
	struct diskcache_meta m = meta_of(42, 1700000001, sizeof(content));
	struct diskcache_meta got = {0};
	uint64_t bytes = 9, entries = 9;
	char *data = NULL;
	struct diskcache *d;
	int fd, n;

	fresh(dir, "rt");
	strncat(dir, "/a/b", sizeof(dir) - strlen(dir) - 1);
	d = open_ok(dir, 0);
	if (!d)
		return;
	diskcache_usage(d, &bytes, &entries);
	CHECK_INT(bytes, 0);
	CHECK_INT(entries, 0);
	CHECK_INT(diskcache_get(d, 5, "csv", &got, &data), -ENOENT);
	CHECK_INT(diskcache_peek(d, 5, "csv", &got), -ENOENT);

	CHECK_INT(diskcache_put(d, 5, "csv", &m, content), 0);
	CHECK_INT(diskcache_get(d, 5, "csv", &got, &data), 0);
	CHECK_INT(got.version, 42);
	CHECK_INT(got.mtime_s, 1700000001);
	CHECK_INT(got.size, sizeof(content));
	CHECK(data && !memcmp(data, content, sizeof(content)));
	CHECK(data && data[sizeof(content)] == '\0');
	free(data);
	data = NULL;
	memset(&got, 0, sizeof(got));
	CHECK_INT(diskcache_peek(d, 5, "csv", &got), 0);
	CHECK_INT(got.version, 42);
	CHECK_INT(got.mtime_s, 1700000001);
	CHECK_INT(got.size, sizeof(content));
	diskcache_usage(d, &bytes, &entries);
	CHECK_INT(bytes, file_size(entry_path(path, dir, 5, "csv")));
	CHECK_INT(entries, 1);

	/* The exact format, checked against a known SHA-256. */
	CHECK_INT(put_str(d, 6, "json", -3, "abc", 3), 0);
	snprintf(want, sizeof(want),
		 "smartsheetfs-cache 1 -3 1700000000 3 " SHA_ABC "\nabc");
	fd = open(entry_path(path, dir, 6, "json"), O_RDONLY);
	n = fd >= 0 ? (int)read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	CHECK_STR(buf, want);

	/* Replacing: new content, usage counts only the new file. */
	CHECK_INT(put_str(d, 5, "csv", 43, "x", 1), 0);
	CHECK_INT(diskcache_get(d, 5, "csv", &got, &data), 0);
	CHECK_INT(got.version, 43);
	CHECK_STR(data, "x");
	free(data);
	data = NULL;
	diskcache_usage(d, &bytes, &entries);
	CHECK_INT(entries, 2);
	CHECK_INT(bytes, file_size(entry_path(path, dir, 5, "csv")) +
			     file_size(entry_path(path, dir, 6, "json")));

	/* Empty content, no data pointer. */
	CHECK_INT(put_str(d, 8, "csv", 1, NULL, 0), 0);
	CHECK_INT(diskcache_get(d, 8, "csv", &got, &data), 0);
	CHECK_INT(got.size, 0);
	CHECK_STR(data, "");
	free(data);
	diskcache_close(d);
	diskcache_close(NULL);
}

static void test_diskcache_remount(void)
{
	char dir[DIRLEN], buf[64 * 1024];
	struct diskcache_meta got;
	uint64_t bytes, entries, bytes2, entries2;
	struct diskcache *d;
	char *data = NULL;
	size_t len = gen(buf, 1234);

	d = open_ok(fresh(dir, "remount"), 0);
	if (!d)
		return;
	CHECK_INT(put_str(d, 99, "csv-raw-lf", 1234, buf, len), 0);
	CHECK_INT(put_str(d, 99, "json", 1234, "{}", 2), 0);
	diskcache_usage(d, &bytes, &entries);
	diskcache_close(d);

	d = open_ok(dir, 0);
	if (!d)
		return;
	diskcache_usage(d, &bytes2, &entries2);
	CHECK_INT(bytes2, bytes);
	CHECK_INT(entries2, 2);
	CHECK_INT(diskcache_peek(d, 99, "csv-raw-lf", &got), 0);
	CHECK_INT(got.size, len);
	CHECK_INT(diskcache_get(d, 99, "csv-raw-lf", &got, &data), 0);
	CHECK_INT(got.version, 1234);
	CHECK(data && !memcmp(data, buf, len));
	free(data);
	diskcache_close(d);
}

enum damage { TRUNCATE, FLIP, GARBAGE, EMPTY, TRAILING, BAD_HEADER };

/* Damage a stored entry, then peek or get it. */
static void check_damage(const char *dir, enum damage how, bool use_get,
			 const char *header)
{
	struct diskcache *d = open_ok(dir, 0);
	char path[PATHLEN], *data = NULL;
	struct diskcache_meta got;
	uint64_t entries = 9;
	int fd;

	if (!d)
		return;
	CHECK_INT(put_str(d, 1, "csv", 7, "hello, world\n", 13), 0);
	entry_path(path, dir, 1, "csv");
	switch (how) {
	case TRUNCATE:
		CHECK_INT(truncate(path, file_size(path) - 1), 0);
		break;
	case FLIP:
		fd = open(path, O_WRONLY);
		CHECK_INT(pwrite(fd, "H", 1, file_size(path) - 13), 1);
		close(fd);
		break;
	case GARBAGE:
		write_file(path, "GIF89a\n\0\1\2", 10);
		break;
	case EMPTY:
		write_file(path, "", 0);
		break;
	case TRAILING:
		fd = open(path, O_WRONLY | O_APPEND);
		CHECK_INT(write(fd, "!", 1), 1);
		close(fd);
		break;
	case BAD_HEADER:
		write_file(path, header, strlen(header));
		break;
	}
	if (use_get)
		CHECK_INT(diskcache_get(d, 1, "csv", &got, &data), -EBADMSG);
	else
		CHECK_INT(diskcache_peek(d, 1, "csv", &got), -EBADMSG);
	CHECK(access(path, F_OK) != 0);
	CHECK_INT(diskcache_get(d, 1, "csv", &got, &data), -ENOENT);
	CHECK_INT(diskcache_peek(d, 1, "csv", &got), -ENOENT);
	diskcache_usage(d, NULL, &entries);
	CHECK_INT(entries, 0);
	CHECK(data == NULL);
	diskcache_close(d);
}

static void test_diskcache_damaged(void)
{
	static const char *const headers[] = {
	    "smartsheetfs-cache 2 7 1700000000 1 " SHA_ABC "\na",
	    "smartsheetfs-cache 1 07 1700000000 3 " SHA_ABC "\nabc",
	    "smartsheetfs-cache 1 7 1700000000 +3 " SHA_ABC "\nabc",
	    "smartsheetfs-cache 1 7 1700000000 3  " SHA_ABC "\nabc",
	    "smartsheetfs-cache 1 7 1700000000 3 " SHA_ABC " \nabc",
	    "smartsheetfs-cache 1 7 1700000000 3 " SHA_ABC,
	    "smartsheetfs-cache 1 7 1700000000 3 BA7816BF8F01CFEA414140DE5D"
	    "AE2223B00361A396177A9CB410FF61F20015AD\nabc",
	    "smartsheetfs-cache 1 7 1700000000 -1 " SHA_ABC "\nabc",
	    "smartsheetfs-cache 1 7 1700000000 99999999999999999999 " SHA_ABC
	    "\nabc",
	    "smartsheetfs-cache 1 7 1700000000 3 ba78\nabc",
	};
	char dir[DIRLEN];
	size_t i;

	fresh(dir, "damaged");
	check_damage(dir, TRUNCATE, true, NULL);
	check_damage(dir, TRUNCATE, false, NULL);
	check_damage(dir, FLIP, true, NULL);
	check_damage(dir, GARBAGE, true, NULL);
	check_damage(dir, GARBAGE, false, NULL);
	check_damage(dir, EMPTY, true, NULL);
	check_damage(dir, EMPTY, false, NULL);
	check_damage(dir, TRAILING, false, NULL);
	for (i = 0; i < SSFS_ARRAY_SIZE(headers); i++)
		check_damage(dir, BAD_HEADER, false, headers[i]);
}

/* A flipped content byte passes peek (header only) but not get. */
static void test_diskcache_peek_is_header_only(void)
{
	char dir[DIRLEN], path[PATHLEN];
	struct diskcache_meta got;
	struct diskcache *d = open_ok(fresh(dir, "peek"), 0);
	char *data = NULL;
	int fd;

	if (!d)
		return;
	CHECK_INT(put_str(d, 1, "csv", 7, "abc", 3), 0);
	entry_path(path, dir, 1, "csv");
	fd = open(path, O_WRONLY);
	CHECK_INT(pwrite(fd, "X", 1, file_size(path) - 1), 1);
	close(fd);
	CHECK_INT(diskcache_peek(d, 1, "csv", &got), 0);
	CHECK_INT(got.size, 3);
	CHECK_INT(diskcache_get(d, 1, "csv", &got, &data), -EBADMSG);
	CHECK_INT(diskcache_peek(d, 1, "csv", &got), -ENOENT);
	diskcache_close(d);
}

static void test_diskcache_variant_names(void)
{
	static const char *const bad[] = {
	    "",
	    ".",
	    "..",
	    "a.b",
	    "../x",
	    "a/b",
	    "csv_raw",
	    "csv raw",
	    "\xc3\xa9",
	    "csv.tmp.1.2",
	    "123456789012345678901234567890123",
	};
	char dir[DIRLEN], err[256] = "";
	struct diskcache_meta got, m = meta_of(1, 1, 1);
	struct diskcache *d = open_ok(fresh(dir, "variant"), 0);
	char *data = NULL;
	int rc = 0;
	size_t i;

	if (!d)
		return;
	for (i = 0; i < SSFS_ARRAY_SIZE(bad); i++) {
		CHECK_INT(diskcache_put(d, 1, bad[i], &m, "x"), -EINVAL);
		CHECK_INT(diskcache_get(d, 1, bad[i], &got, &data), -EINVAL);
		CHECK_INT(diskcache_peek(d, 1, bad[i], &got), -EINVAL);
	}
	CHECK_INT(diskcache_put(d, 1, NULL, &m, "x"), -EINVAL);
	CHECK_INT(count_files(strncat(dir, "/" NS, 32), NULL), 0);
	CHECK_INT(
	    diskcache_put(d, 1, "12345678901234567890123456789012", &m, "x"),
	    0);
	CHECK_INT(diskcache_put(d, -1, "Csv-Raw-CRLF-2", &m, "x"), 0);
	CHECK_INT(diskcache_get(d, -1, "Csv-Raw-CRLF-2", &got, &data), 0);
	CHECK_STR(data, "x");
	free(data);
	diskcache_close(d);

	fresh(dir, "badns");
	CHECK(diskcache_open(dir, "../x", 0, err, sizeof(err), &rc) == NULL);
	CHECK_INT(rc, -EINVAL);
	CHECK(diskcache_open(dir, "", 0, err, sizeof(err), &rc) == NULL);
	CHECK(diskcache_open(dir, "a/b", 0, err, sizeof(err), &rc) == NULL);
}

/* Each entry is about 1110 bytes: two fit under 2500, three do not. */
#define LRU_CAP 2500

static void test_diskcache_lru_eviction(void)
{
	char dir[DIRLEN], buf[1000];
	struct diskcache_meta got;
	struct diskcache *d = open_ok(fresh(dir, "lru"), LRU_CAP);
	uint64_t bytes, entries;
	char *data = NULL;

	if (!d)
		return;
	memset(buf, 'z', sizeof(buf));
	CHECK_INT(put_str(d, 1, "csv", 1, buf, sizeof(buf)), 0); /* A */
	CHECK_INT(put_str(d, 2, "csv", 1, buf, sizeof(buf)), 0); /* B */
	CHECK_INT(diskcache_get(d, 1, "csv", &got, &data), 0);
	free(data);
	CHECK_INT(put_str(d, 3, "csv", 1, buf, sizeof(buf)), 0); /* C */
	CHECK_INT(diskcache_peek(d, 2, "csv", &got), -ENOENT);
	CHECK_INT(diskcache_peek(d, 1, "csv", &got), 0);
	CHECK_INT(diskcache_peek(d, 3, "csv", &got), 0);
	diskcache_usage(d, &bytes, &entries);
	CHECK(bytes <= LRU_CAP);
	CHECK(bytes > 0);
	CHECK_INT(entries, 2);
	diskcache_close(d);

	/* The order survives a remount: A (used before C was put) goes. */
	d = open_ok(dir, LRU_CAP);
	if (!d)
		return;
	CHECK_INT(put_str(d, 4, "csv", 1, buf, sizeof(buf)), 0); /* D */
	CHECK_INT(diskcache_peek(d, 1, "csv", &got), -ENOENT);
	CHECK_INT(diskcache_peek(d, 3, "csv", &got), 0);
	CHECK_INT(diskcache_peek(d, 4, "csv", &got), 0);
	diskcache_usage(d, &bytes, &entries);
	CHECK(bytes <= LRU_CAP);
	CHECK_INT(entries, 2);
	diskcache_close(d);
}

/* Eviction rescans: entries another process wrote count and can go. */
static void test_diskcache_eviction_sees_other_process(void)
{
	char dir[DIRLEN], buf[1000];
	struct diskcache_meta got;
	struct diskcache *d1, *d2;
	uint64_t bytes, entries;

	fresh(dir, "shared");
	d1 = open_ok(dir, LRU_CAP);
	d2 = open_ok(dir, 0);
	if (!d1 || !d2)
		goto out;
	memset(buf, 'y', sizeof(buf));
	CHECK_INT(put_str(d1, 1, "csv", 1, buf, sizeof(buf)), 0);
	CHECK_INT(put_str(d2, 2, "csv", 1, buf, sizeof(buf)), 0);
	CHECK_INT(put_str(d2, 3, "csv", 1, buf, sizeof(buf)), 0);
	CHECK_INT(put_str(d1, 4, "csv", 1, buf, sizeof(buf)), 0);
	CHECK_INT(put_str(d1, 5, "csv", 1, buf, sizeof(buf)), 0);
	CHECK_INT(diskcache_peek(d1, 4, "csv", &got), 0);
	CHECK_INT(diskcache_peek(d1, 5, "csv", &got), 0);
	CHECK_INT(diskcache_peek(d1, 1, "csv", &got), -ENOENT);
	CHECK_INT(diskcache_peek(d1, 2, "csv", &got), -ENOENT);
	CHECK_INT(diskcache_peek(d1, 3, "csv", &got), -ENOENT);
	diskcache_usage(d1, &bytes, &entries);
	CHECK(bytes <= LRU_CAP);
	CHECK_INT(entries, 2);
out:
	diskcache_close(d1);
	diskcache_close(d2);
}

static void test_diskcache_too_big(void)
{
	char dir[DIRLEN], sub[PATHLEN], buf[1000];
	struct diskcache *d = open_ok(fresh(dir, "big"), 600);
	struct diskcache_meta got;
	int tmps = 9;

	if (!d)
		return;
	memset(buf, 'x', sizeof(buf));
	CHECK_INT(put_str(d, 1, "csv", 1, buf, 300), 0);
	CHECK_INT(put_str(d, 1, "csv", 2, buf, sizeof(buf)), -EFBIG);
	CHECK_INT(put_str(d, 2, "csv", 2, buf, sizeof(buf)), -EFBIG);
	CHECK_INT(diskcache_peek(d, 1, "csv", &got), 0);
	CHECK_INT(got.version, 1);
	CHECK_INT(diskcache_peek(d, 2, "csv", &got), -ENOENT);
	snprintf(sub, sizeof(sub), "%s/" NS, dir);
	CHECK_INT(count_files(sub, &tmps), 1);
	CHECK_INT(tmps, 0);
	diskcache_close(d);
}

/* A write that fails half way (RLIMIT_FSIZE, in a child): the old entry is
 * intact and no temporary file is left. */
static void test_diskcache_failed_write_keeps_old(void)
{
	char dir[DIRLEN], sub[PATHLEN], buf[4096];
	struct diskcache *d = open_ok(fresh(dir, "fsize"), 0);
	struct diskcache_meta got;
	char *data = NULL;
	int status = 0, tmps = 9;
	pid_t pid;

	if (!d)
		return;
	CHECK_INT(put_str(d, 1, "csv", 1, "old", 3), 0);
	memset(buf, 'n', sizeof(buf));
	pid = fork();
	if (pid == 0) {
		struct rlimit rl = {1000, 1000};

		signal(SIGXFSZ, SIG_IGN);
		setrlimit(RLIMIT_FSIZE, &rl);
		_exit(put_str(d, 1, "csv", 2, buf, sizeof(buf)) == -EFBIG ? 0
									  : 1);
	}
	CHECK(pid > 0);
	CHECK_INT(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_INT(diskcache_get(d, 1, "csv", &got, &data), 0);
	CHECK_INT(got.version, 1);
	CHECK_STR(data, "old");
	free(data);
	snprintf(sub, sizeof(sub), "%s/" NS, dir);
	CHECK_INT(count_files(sub, &tmps), 1);
	CHECK_INT(tmps, 0);
	diskcache_close(d);
}

static void test_diskcache_drop(void)
{
	char dir[DIRLEN], path[PATHLEN];
	struct diskcache *d = open_ok(fresh(dir, "drop"), 0);
	struct diskcache_meta got;
	uint64_t bytes, entries;

	if (!d)
		return;
	CHECK_INT(put_str(d, 7, "csv", 1, "a", 1), 0);
	CHECK_INT(put_str(d, 7, "json", 1, "b", 1), 0);
	CHECK_INT(put_str(d, 7, "csv-raw-lf", 1, "c", 1), 0);
	CHECK_INT(put_str(d, 77, "csv", 1, "dd", 2), 0);
	CHECK_INT(put_str(d, 70, "json", 1, "eee", 3), 0);
	diskcache_drop(d, 7);
	CHECK_INT(diskcache_peek(d, 7, "csv", &got), -ENOENT);
	CHECK_INT(diskcache_peek(d, 7, "json", &got), -ENOENT);
	CHECK_INT(diskcache_peek(d, 7, "csv-raw-lf", &got), -ENOENT);
	CHECK_INT(diskcache_peek(d, 77, "csv", &got), 0);
	CHECK_INT(diskcache_peek(d, 70, "json", &got), 0);
	diskcache_usage(d, &bytes, &entries);
	CHECK_INT(entries, 2);
	CHECK_INT(bytes, file_size(entry_path(path, dir, 77, "csv")) +
			     file_size(entry_path(path, dir, 70, "json")));
	diskcache_drop(d, 12345); /* nothing there: no harm */
	diskcache_usage(d, NULL, &entries);
	CHECK_INT(entries, 2);
	diskcache_close(d);
}

static void test_diskcache_modes(void)
{
	char dir[DIRLEN], p[PATHLEN];
	struct diskcache *d;

	fresh(dir, "modes");
	snprintf(p, sizeof(p), "%s/x/y", dir);
	d = open_ok(p, 0);
	if (!d)
		return;
	CHECK_INT(put_str(d, 1, "json", 1, "{}", 2), 0);
	CHECK_INT(mode_of(dir), 0700);
	snprintf(p, sizeof(p), "%s/x", dir);
	CHECK_INT(mode_of(p), 0700);
	snprintf(p, sizeof(p), "%s/x/y", dir);
	CHECK_INT(mode_of(p), 0700);
	snprintf(p, sizeof(p), "%s/x/y/" NS, dir);
	CHECK_INT(mode_of(p), 0700);
	snprintf(p, sizeof(p), "%s/x/y/" NS "/1.json", dir);
	CHECK_INT(mode_of(p), 0600);
	diskcache_close(d);
}

/* open must fail with want and a message containing hint. */
static void check_refused(const char *dir, int want, const char *hint)
{
	char err[256] = "";
	int rc = 0;

	CHECK(diskcache_open(dir, NS, 0, err, sizeof(err), &rc) == NULL);
	CHECK_INT(rc, want);
	CHECK(strstr(err, hint) != NULL);
	if (!strstr(err, hint))
		fprintf(stderr, "message: %s\n", err);
}

static void test_diskcache_refuses_unsafe_folders(void)
{
	char dir[DIRLEN], p[PATHLEN];

	/* Group-writable, other-writable. */
	CHECK_INT(mkdir(fresh(dir, "gw"), 0700), 0);
	CHECK_INT(chmod(dir, 0770), 0);
	check_refused(dir, -EACCES, "chmod");
	CHECK_INT(chmod(dir, 0703), 0);
	check_refused(dir, -EACCES, "chmod");

	/* The namespace folder is checked too. */
	CHECK_INT(mkdir(fresh(dir, "nsgw"), 0700), 0);
	snprintf(p, sizeof(p), "%s/" NS, dir);
	CHECK_INT(mkdir(p, 0700), 0);
	CHECK_INT(chmod(p, 0777), 0);
	check_refused(dir, -EACCES, "chmod");

	/* ... and may not be a link, even to a good folder. */
	CHECK_INT(mkdir(fresh(dir, "nslink"), 0700), 0);
	snprintf(p, sizeof(p), "%s/" NS, dir);
	CHECK_INT(symlink("/tmp", p), 0);
	check_refused(dir, -ENOTDIR, "not a folder");

	/* Owned by someone else (only root can make one to test). */
	if (geteuid() == 0) {
		CHECK_INT(mkdir(fresh(dir, "owner"), 0700), 0);
		CHECK_INT(chown(dir, 65534, 65534), 0);
		check_refused(dir, -EACCES, "chown");
	}
}

static void test_diskcache_folder_is_a_file(void)
{
	char dir[DIRLEN], p[PATHLEN], err[256] = "";
	int rc = 0;

	write_file(fresh(dir, "file"), "x", 1);
	check_refused(dir, -ENOTDIR, "not a folder");
	snprintf(p, sizeof(p), "%s/sub", dir);
	CHECK(diskcache_open(p, NS, 0, err, sizeof(err), &rc) == NULL);
	CHECK_INT(rc, -ENOTDIR);
	CHECK(strstr(err, dir) != NULL);
}

static void test_diskcache_sweeps_stale_temps(void)
{
	char dir[DIRLEN], oldp[PATHLEN], newp[PATHLEN];
	struct timespec ts[2];
	struct diskcache *d = open_ok(fresh(dir, "stale"), 0);
	uint64_t bytes, entries;

	if (!d)
		return;
	CHECK_INT(put_str(d, 1, "csv", 1, "a", 1), 0);
	diskcache_close(d);
	snprintf(oldp, sizeof(oldp), "%s/" NS "/2.csv.tmp.99999.0", dir);
	snprintf(newp, sizeof(newp), "%s/" NS "/3.csv.tmp.99999.1", dir);
	write_file(oldp, "half a file", 11);
	write_file(newp, "being written", 13);
	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec -= 2 * DISKCACHE_TMP_STALE_S;
	ts[1] = ts[0];
	CHECK_INT(utimensat(AT_FDCWD, oldp, ts, 0), 0);

	d = open_ok(dir, 0);
	if (!d)
		return;
	CHECK(access(oldp, F_OK) != 0);
	CHECK_INT(access(newp, F_OK), 0);
	diskcache_usage(d, &bytes, &entries);
	CHECK_INT(entries, 1);
	CHECK_INT(bytes, file_size(entry_path(oldp, dir, 1, "csv")));
	diskcache_close(d);
}

struct worker {
	struct diskcache *d;
	int64_t base;
	int iterations;
	int bad;  /* failed puts; half, mixed or damaged content seen */
	int line; /* of the first bad one, and its rc */
	int rc;
	int seen; /* successful gets */
};

#define BAD(w, r)                                                              \
	do {                                                                   \
		if (!(w)->bad++) {                                             \
			(w)->line = __LINE__;                                  \
			(w)->rc = (r);                                         \
		}                                                              \
	} while (0)

/* Put and get one key over and over; every get must be complete. */
static void *worker_run(void *arg)
{
	struct worker *w = arg;
	struct diskcache_meta m, got;
	char *buf = malloc(40000), *want = malloc(40000), *data;
	int i, rc;
	size_t len;

	if (!buf || !want) {
		BAD(w, -ENOMEM);
		goto out;
	}
	for (i = 0; i < w->iterations; i++) {
		len = gen(buf, w->base + i);
		m = meta_of(w->base + i, i, len);
		rc = diskcache_put(w->d, 1, "csv", &m, buf);
		if (rc)
			BAD(w, rc);
		/* Other keys, so that a cap makes evictions race too. */
		rc = diskcache_put(w->d, 2 + i % 8, "json", &m, buf);
		if (rc)
			BAD(w, rc);
		data = NULL;
		rc = diskcache_get(w->d, 1, "csv", &got, &data);
		if (rc == 0) {
			w->seen++;
			if (gen(want, got.version) != got.size ||
			    memcmp(data, want, got.size) != 0)
				BAD(w, 0);
		} else if (rc != -ENOENT) {
			BAD(w, rc);
		}
		free(data);
		rc = diskcache_peek(w->d, 1, "csv", &got);
		if (rc == 0 ? gen(want, got.version) != got.size
			    : rc != -ENOENT)
			BAD(w, rc);
	}
out:
	free(buf);
	free(want);
	return NULL;
}

static void test_diskcache_threads_never_see_half_files(void)
{
	char dir[DIRLEN], sub[PATHLEN];
	struct worker w[3] = {{0}};
	pthread_t th[3];
	struct diskcache *d1, *d2;
	uint64_t bytes;
	int i, tmps = 9;

	fresh(dir, "threads");
	/* Two handles, as two mounts sharing the folder; a cap of about
	 * five entries keeps both evicting. */
	d1 = open_ok(dir, 150000);
	d2 = open_ok(dir, 150000);
	if (!d1 || !d2)
		goto out;
	for (i = 0; i < 3; i++) {
		w[i].d = i < 2 ? d1 : d2;
		w[i].base = (int64_t)(i + 1) * 100000;
		w[i].iterations = 1500;
		CHECK_INT(pthread_create(&th[i], NULL, worker_run, &w[i]), 0);
	}
	for (i = 0; i < 3; i++) {
		CHECK_INT(pthread_join(th[i], NULL), 0);
		CHECK_INT(w[i].bad, 0);
		if (w[i].bad)
			fprintf(stderr, "worker %d: first at line %d, rc %d\n",
				i, w[i].line, w[i].rc);
		CHECK(w[i].seen > 0);
	}
	diskcache_usage(d1, &bytes, NULL);
	CHECK(bytes <= 150000);
	snprintf(sub, sizeof(sub), "%s/" NS, dir);
	count_files(sub, &tmps);
	CHECK_INT(tmps, 0);
out:
	diskcache_close(d1);
	diskcache_close(d2);
}

static void test_diskcache_big_entry(void)
{
	const size_t len = (size_t)40 << 20;
	char dir[DIRLEN], *buf = malloc(len), *data = NULL;
	struct diskcache *d = open_ok(fresh(dir, "40mb"), 0);
	struct diskcache_meta m = meta_of(5, 6, len), got;
	struct timespec t0;
	uint32_t x = 2463534242u;
	double put_ms, get_ms;
	size_t i;

	CHECK(buf != NULL);
	if (!d || !buf)
		goto out;
	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = (char)(x & 0xff);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_INT(diskcache_put(d, 1, "csv", &m, buf), 0);
	put_ms = ms_since(&t0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_INT(diskcache_get(d, 1, "csv", &got, &data), 0);
	get_ms = ms_since(&t0);
	CHECK_INT(got.size, len);
	CHECK(data && !memcmp(data, buf, len));
	printf("40 MB entry: put %.1f ms, get %.1f ms\n", put_ms, get_ms);
out:
	free(data);
	free(buf);
	diskcache_close(d);
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int main(void)
{
	char tmpl[] = "/tmp/ssfs-diskcache-XXXXXX";

	umask(022);
	log_set_level(LOG_ERR); /* damaged files are logged as warnings */
	if (!mkdtemp(tmpl)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(tmpdir, sizeof(tmpdir), "%s", tmpl);

	T(test_diskcache_round_trip);
	T(test_diskcache_remount);
	T(test_diskcache_damaged);
	T(test_diskcache_peek_is_header_only);
	T(test_diskcache_variant_names);
	T(test_diskcache_lru_eviction);
	T(test_diskcache_eviction_sees_other_process);
	T(test_diskcache_too_big);
	T(test_diskcache_failed_write_keeps_old);
	T(test_diskcache_drop);
	T(test_diskcache_modes);
	T(test_diskcache_refuses_unsafe_folders);
	T(test_diskcache_folder_is_a_file);
	T(test_diskcache_sweeps_stale_temps);
	T(test_diskcache_threads_never_see_half_files);
	T(test_diskcache_big_entry);

	if (nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS))
		perror("nftw");
	return t_run();
}
