/* util/file.c: mkdir -p, the temporary-file-and-rename replace, and the
 * sweep of what a killed writer left behind. */
#include "util/file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/unit/testlib.h"

#define PATHLEN 512

static char tmpdir[64]; /* from mkdtemp() */

/* tmpdir/name in buf. */
static char *tpath(char *buf, const char *name)
{
	snprintf(buf, PATHLEN, "%s/%s", tmpdir, name);
	return buf;
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");

	CHECK(f != NULL);
	if (!f)
		return;
	fputs(text, f);
	CHECK_INT(fclose(f), 0);
}

/* path holds exactly want. */
static void check_text(const char *path, const char *want)
{
	char buf[256] = "";
	FILE *f = fopen(path, "rb");
	size_t n = 0;

	CHECK(f != NULL);
	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	CHECK_STR(buf, want);
}

static int mode_of(const char *path)
{
	struct stat st;

	return lstat(path, &st) ? -1 : (int)(st.st_mode & 07777);
}

/* Entries of dir whose name has ".tmp.". */
static int temps_in(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL)
		n += strstr(e->d_name, FILE_TMP_TAG) != NULL;
	closedir(d);
	return n;
}

static void test_file_dirname(void)
{
	static const char *const cases[][2] = {
	    {"/a/b/c", "/a/b"}, {"/a", "/"}, {"a", "."},
	    {"a/b", "a"},	{"/", "/"},  {"a/", "a"},
	};
	size_t i;

	for (i = 0; i < SSFS_ARRAY_SIZE(cases); i++) {
		char *d = file_dirname(cases[i][0]);

		CHECK_STR(d, cases[i][1]);
		free(d);
	}
}

static void test_file_mkdirs_creates_0700(void)
{
	char p[PATHLEN], q[PATHLEN], failed[PATHLEN] = "unset";

	CHECK_INT(file_mkdirs(tpath(p, "m/a/b/c"), failed, sizeof(failed)), 0);
	CHECK_STR(failed, "unset"); /* written only on failure */
	CHECK_INT(mode_of(tpath(q, "m")), 0700);
	CHECK_INT(mode_of(tpath(q, "m/a/b")), 0700);
	CHECK_INT(mode_of(p), 0700);
	/* Doubled and trailing slashes are one separator. */
	CHECK_INT(file_mkdirs(tpath(p, "m//x///y/"), NULL, 0), 0);
	CHECK_INT(mode_of(tpath(q, "m/x/y")), 0700);
}

/* An existing path is fine as it is: its mode is not changed, and a link
 * to a folder is a folder. */
static void test_file_mkdirs_existing(void)
{
	char p[PATHLEN], q[PATHLEN];

	CHECK_INT(mkdir(tpath(p, "e"), 0755), 0);
	CHECK_INT(chmod(p, 0755), 0);
	CHECK_INT(file_mkdirs(p, NULL, 0), 0);
	CHECK_INT(mode_of(p), 0755);
	CHECK_INT(file_mkdirs(tmpdir, NULL, 0), 0);
	CHECK_INT(file_mkdirs("/", NULL, 0), 0);
	CHECK_INT(file_mkdirs(".", NULL, 0), 0);
	CHECK_INT(symlink(p, tpath(q, "elink")), 0);
	CHECK_INT(file_mkdirs(q, NULL, 0), 0);
	CHECK_INT(file_mkdirs(tpath(q, "elink/sub"), NULL, 0), 0);
	CHECK_INT(mode_of(tpath(q, "e/sub")), 0700);
}

/* A file where a folder should be: -ENOTDIR, naming the place. */
static void test_file_mkdirs_not_a_folder(void)
{
	char p[PATHLEN], f[PATHLEN], failed[PATHLEN];

	put(tpath(f, "plain"), "x");
	failed[0] = '\0';
	CHECK_INT(file_mkdirs(f, failed, sizeof(failed)), -ENOTDIR);
	CHECK_STR(failed, f);
	failed[0] = '\0';
	CHECK_INT(
	    file_mkdirs(tpath(p, "plain/sub/deeper"), failed, sizeof(failed)),
	    -ENOTDIR);
	CHECK_STR(failed, tpath(p, "plain/sub"));
	check_text(f, "x");
	/* A dangling link is not a folder either. */
	CHECK_INT(symlink(tpath(p, "nowhere"), tpath(f, "dangling")), 0);
	failed[0] = '\0';
	CHECK_INT(file_mkdirs(f, failed, sizeof(failed)), -ENOTDIR);
	CHECK_STR(failed, f);
	CHECK(access(p, F_OK) != 0); /* not created through it */
}

static void test_file_write_atomic_creates_and_replaces(void)
{
	char p[PATHLEN], d[PATHLEN], err[PATHLEN + 64] = "unset";
	mode_t old = umask(0277);

	CHECK_INT(mkdir(tpath(d, "w"), 0700), 0);
	/* Exactly the mode asked for, whatever the umask. */
	CHECK_INT(file_write_atomic(tpath(p, "w/f"), "one\n", 4, 0600, err,
				    sizeof(err)),
		  0);
	CHECK_STR(err, "unset");
	check_text(p, "one\n");
	CHECK_INT(mode_of(p), 0600);
	umask(0);
	CHECK_INT(file_write_atomic(p, "two", 3, 0640, NULL, 0), 0);
	check_text(p, "two");
	CHECK_INT(mode_of(p), 0640);
	CHECK_INT(file_write_atomic(p, "", 0, 0600, NULL, 0), 0);
	check_text(p, "");
	CHECK_INT(temps_in(d), 0);
	umask(old);
}

/* A link at path is replaced, never written through. */
static void test_file_write_atomic_replaces_a_link(void)
{
	char p[PATHLEN], victim[PATHLEN];

	put(tpath(victim, "victim"), "precious");
	CHECK_INT(symlink(victim, tpath(p, "link")), 0);
	CHECK_INT(file_write_atomic(p, "new", 3, 0600, NULL, 0), 0);
	check_text(victim, "precious");
	check_text(p, "new");
	CHECK_INT(mode_of(p), 0600); /* a file now */
}

/* A write that fails half way (RLIMIT_FSIZE, in a child): the old file is
 * intact, no temporary file is left, and err says which file and step. */
static void test_file_write_atomic_failed_write_keeps_old(void)
{
	char p[PATHLEN], d[PATHLEN];
	int status = -1;
	pid_t pid;

	CHECK_INT(mkdir(tpath(d, "fsize"), 0700), 0);
	put(tpath(p, "fsize/f"), "old content\n");
	pid = fork();
	if (pid == 0) {
		struct rlimit rl = {100, 100};
		static char big[4096];
		char err[PATHLEN + 128] = "";
		int rc;

		signal(SIGXFSZ, SIG_IGN);
		setrlimit(RLIMIT_FSIZE, &rl);
		memset(big, 'n', sizeof(big));
		rc = file_write_atomic(p, big, sizeof(big), 0600, err,
				       sizeof(err));
		_exit(rc == -EFBIG && strstr(err, p) &&
			      strstr(err, "cannot write")
			  ? 0
			  : 1);
	}
	CHECK_INT(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	check_text(p, "old content\n");
	CHECK_INT(temps_in(d), 0);
}

static void test_file_write_atomic_no_folder(void)
{
	char p[PATHLEN], err[PATHLEN + 128] = "";

	CHECK_INT(file_write_atomic(tpath(p, "none/f"), "x", 1, 0600, err,
				    sizeof(err)),
		  -ENOENT);
	CHECK(strstr(err, p) != NULL);
	CHECK(strstr(err, "cannot create a temporary file") != NULL);
	put(tpath(p, "afile"), "x");
	CHECK_INT(file_write_atomic(tpath(p, "afile/f"), "y", 1, 0600, err,
				    sizeof(err)),
		  -ENOTDIR);
	check_text(tpath(p, "afile"), "x");
}

/* The pieces, relative to an open folder, as the disk cache uses them. */
static void test_file_tmp_steps(void)
{
	char d[PATHLEN], p[PATHLEN];
	struct file_tmp a, b;
	int dfd;

	CHECK_INT(mkdir(tpath(d, "steps"), 0700), 0);
	dfd = open(d, O_RDONLY | O_DIRECTORY);
	CHECK(dfd >= 0);
	CHECK_INT(file_tmp_open(&a, dfd, "e", 0600), 0);
	CHECK_INT(file_tmp_open(&b, dfd, "e", 0600), 0);
	CHECK(a.name && b.name && strcmp(a.name, b.name) != 0);
	CHECK(a.name && strncmp(a.name, "e" FILE_TMP_TAG, 6) == 0);
	CHECK_INT(write(a.fd, "abc", 3), 3);
	CHECK_INT(file_tmp_close(&a, false), 0);
	CHECK_INT(temps_in(d), 2);
	CHECK_INT(file_tmp_commit(&a, "e"), 0);
	file_tmp_discard(&a); /* committed: nothing to remove */
	file_tmp_discard(&a);
	check_text(tpath(p, "steps/e"), "abc");
	file_tmp_discard(&b); /* open, never committed: removed */
	CHECK_INT(temps_in(d), 0);
	CHECK(b.fd == -1 && b.name == NULL);
	/* A failed open leaves nothing to discard. */
	CHECK_INT(file_tmp_open(&b, dfd, "no/such/e", 0600), -ENOENT);
	CHECK(b.fd == -1 && b.name == NULL);
	file_tmp_discard(&b);
	close(dfd);
}

/* Stale temporary files of this name go; young ones, other names, and
 * things that are not regular files stay. */
static void test_file_sweep_temps(void)
{
	char d[PATHLEN], p[PATHLEN], old[PATHLEN], young[PATHLEN];
	char other[PATHLEN], link[PATHLEN];
	struct timespec times[2] = {{.tv_sec = 1000000000},
				    {.tv_sec = 1000000000}};

	CHECK_INT(mkdir(tpath(d, "sweep"), 0700), 0);
	tpath(p, "sweep/S");
	put(tpath(old, "sweep/S.tmp.AAAAAA"), "");
	put(tpath(young, "sweep/S.tmp.BBBBBB"), "");
	put(tpath(other, "sweep/T.tmp.CCCCCC"), "");
	CHECK_INT(symlink(old, tpath(link, "sweep/S.tmp.DDDDDD")), 0);
	CHECK_INT(utimensat(AT_FDCWD, old, times, 0), 0);
	CHECK_INT(utimensat(AT_FDCWD, other, times, 0), 0);
	CHECK_INT(utimensat(AT_FDCWD, link, times, AT_SYMLINK_NOFOLLOW), 0);
	file_sweep_temps(p, 60);
	CHECK(access(old, F_OK) != 0);
	CHECK_INT(access(young, F_OK), 0);
	CHECK_INT(access(other, F_OK), 0);
	CHECK_INT(mode_of(link) >= 0, 1);
}

int main(void)
{
	if (!t_mkdtemp(tmpdir, sizeof(tmpdir), "file"))
		return 1;

	T(test_file_dirname);
	T(test_file_mkdirs_creates_0700);
	T(test_file_mkdirs_existing);
	T(test_file_mkdirs_not_a_folder);
	T(test_file_write_atomic_creates_and_replaces);
	T(test_file_write_atomic_replaces_a_link);
	T(test_file_write_atomic_failed_write_keeps_old);
	T(test_file_write_atomic_no_folder);
	T(test_file_tmp_steps);
	T(test_file_sweep_temps);

	t_rmtree(tmpdir);
	return t_run();
}
