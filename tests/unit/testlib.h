#ifndef SSFS_TESTS_UNIT_TESTLIB_H
#define SSFS_TESTS_UNIT_TESTLIB_H

/*
 * A tiny unit-test harness (curl's fail_unless style): a failed check prints
 * file:line and the test goes on. t_run() prints "N passed, N failed" and
 * returns the exit status.
 *
 *   static void test_sbuf_add(void) { CHECK_INT(sbuf_add(&sb, "a", 1), 0); }
 *   int main(void) { T(test_sbuf_add); return t_run(); }
 */

#include <ftw.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int t_checks_failed;
static int t_tests_passed;
static int t_tests_failed;

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "%s:%d: check failed: %s\n",         \
				__FILE__, __LINE__, #cond);                  \
			t_checks_failed++;                                   \
		}                                                            \
	} while (0)

#define CHECK_INT(got, want)                                                 \
	do {                                                                 \
		long long t_g_ = (long long)(got), t_w_ = (long long)(want); \
		if (t_g_ != t_w_) {                                          \
			fprintf(stderr, "%s:%d: %s is %lld, expected %lld\n", \
				__FILE__, __LINE__, #got, t_g_, t_w_);       \
			t_checks_failed++;                                   \
		}                                                            \
	} while (0)

#define CHECK_STR(got, want)                                                 \
	do {                                                                 \
		const char *t_g_ = (got), *t_w_ = (want);                    \
		if (!t_g_ || !t_w_ || strcmp(t_g_, t_w_) != 0) {             \
			fprintf(stderr,                                      \
				"%s:%d: %s is \"%s\", expected \"%s\"\n",    \
				__FILE__, __LINE__, #got,                    \
				t_g_ ? t_g_ : "(null)",                      \
				t_w_ ? t_w_ : "(null)");                     \
			t_checks_failed++;                                   \
		}                                                            \
	} while (0)

#define T(fn)                                                                \
	do {                                                                 \
		int t_before_ = t_checks_failed;                             \
		fn();                                                        \
		if (t_checks_failed == t_before_) {                          \
			t_tests_passed++;                                    \
		} else {                                                     \
			t_tests_failed++;                                    \
			fprintf(stderr, "FAIL %s\n", #fn);                   \
		}                                                            \
	} while (0)

/* A new folder /tmp/ssfs-<name>-XXXXXX in buf (len >= 64 bytes), for a
 * test program's files; false (with a message) when it cannot be made. */
static inline bool t_mkdtemp(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "/tmp/ssfs-%s-XXXXXX", name);
	if (mkdtemp(buf))
		return true;
	perror("mkdtemp");
	return false;
}

static inline int t_rm_one(const char *path, const struct stat *st, int flag,
			   struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Remove dir and everything in it (links are removed, not followed). */
static inline void t_rmtree(const char *dir)
{
	if (nftw(dir, t_rm_one, 16, FTW_DEPTH | FTW_PHYS))
		perror("nftw");
}

/* A new folder top/name (0700; a check fails when it cannot be made), and
 * the path of top/name/file in buf, len bytes. */
static inline char *t_fresh_dir(char *buf, size_t len, const char *top,
				const char *name, const char *file)
{
	snprintf(buf, len, "%s/%s", top, name);
	CHECK_INT(mkdir(buf, 0700), 0);
	snprintf(buf + strlen(buf), len - strlen(buf), "/%s", file);
	return buf;
}

static inline int t_run(void)
{
	printf("%d passed, %d failed\n", t_tests_passed, t_tests_failed);
	return t_tests_failed ? 1 : 0;
}

#endif /* SSFS_TESTS_UNIT_TESTLIB_H */
