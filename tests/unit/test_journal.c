/* cache/journal.c and cache/savelog.c: the text of a save on disk before
 * its requests, rejected texts and their names, recovery after a crash,
 * and the .status lines. */
#include "cache/journal.h"
#include "cache/savelog.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/unit/testlib.h"

static char top[64];

static size_t count(char **names)
{
	size_t n = 0;

	while (names && names[n])
		n++;
	return n;
}

/* The bytes of rejected/name, as a new string. */
static char *slurp(struct journal *j, const char *name)
{
	char *buf = calloc(1, 1 << 16);
	int fd = journal_rejected_open(j, name);
	ssize_t n;

	CHECK(fd >= 0);
	if (fd < 0 || !buf)
		return buf;
	n = read(fd, buf, (1 << 16) - 1);
	CHECK(n >= 0);
	close(fd);
	return buf;
}

static size_t files_in(const char *dir, const char *sub)
{
	char p[256];
	size_t n = 0;
	struct dirent *de;
	DIR *d;

	snprintf(p, sizeof(p), "%s/%s", dir, sub);
	d = opendir(p);
	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void test_journal_commit_leaves_nothing(void)
{
	char dir[128], err[256] = "";
	struct journal_entry *e = NULL;
	struct journal *j;
	struct stat st;
	char **names;

	snprintf(dir, sizeof(dir), "%s/commit", top);
	j = journal_open(dir, err, sizeof(err));
	CHECK(j != NULL);
	if (!j)
		return;
	CHECK_INT(journal_begin(j, "sheets/Todo.csv", "a,b\n1,2\n", 8, &e), 0);
	CHECK_INT(files_in(dir, "journal"), 2);
	snprintf(err, sizeof(err), "%s/journal", dir);
	CHECK_INT(stat(err, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0700);
	journal_commit(j, e);
	CHECK_INT(files_in(dir, "journal"), 0);
	names = journal_rejected(j);
	CHECK_INT(count(names), 0);
	journal_names_free(names);
	journal_close(j);
}

static void test_journal_reject_names_and_keeps_the_text(void)
{
	char dir[128], err[256] = "", name[256] = "", name2[256] = "";
	struct journal_entry *e = NULL;
	struct journal *j;
	struct stat st;
	char **names, *text;

	snprintf(dir, sizeof(dir), "%s/reject", top);
	j = journal_open(dir, err, sizeof(err));
	CHECK(j != NULL);
	if (!j)
		return;
	CHECK_INT(journal_begin(j, "workspaces/Ops/Plan v2.csv", "x\n", 2, &e),
		  0);
	CHECK_INT(journal_reject(j, e, name, sizeof(name)), 0);
	/* "Plan v2 YYYYMMDDTHHMMSSZ.csv" */
	CHECK_INT(strlen(name), strlen("Plan v2 20261203T115210Z.csv"));
	CHECK(strncmp(name, "Plan v2 2", 9) == 0);
	CHECK(strcmp(name + strlen(name) - 5, "Z.csv") == 0);
	CHECK_INT(files_in(dir, "journal"), 0);
	text = slurp(j, name);
	CHECK_STR(text, "x\n");
	free(text);
	CHECK_INT(journal_rejected_stat(j, name, &st), 0);
	CHECK_INT(st.st_size, 2);
	CHECK_INT(st.st_mode & 0777, 0600);
	/* The same second again: another name, the first one kept. */
	CHECK_INT(journal_keep(j, "sheets/Plan v2.csv", "y\n", 2, name2,
			       sizeof(name2)),
		  0);
	CHECK(strcmp(name, name2) != 0);
	names = journal_rejected(j);
	CHECK_INT(count(names), 2);
	CHECK(names && strcmp(names[0], names[1]) < 0);
	journal_names_free(names);
	/* Names that are not rejected files. */
	CHECK_INT(journal_rejected_stat(j, "../journal", &st), -ENOENT);
	CHECK_INT(journal_rejected_stat(j, ".x", &st), -ENOENT);
	CHECK_INT(journal_rejected_open(j, "nope"), -ENOENT);
	CHECK_INT(journal_rejected_remove(j, name), 0);
	CHECK_INT(journal_rejected_remove(j, name), -ENOENT);
	names = journal_rejected(j);
	CHECK_INT(count(names), 1);
	journal_names_free(names);
	journal_close(j);
}

static void test_journal_long_names_are_cut_on_a_character(void)
{
	char dir[128], err[256] = "", name[300] = "", path[600];
	struct journal *j;
	size_t i, n;

	snprintf(dir, sizeof(dir), "%s/long", top);
	j = journal_open(dir, err, sizeof(err));
	CHECK(j != NULL);
	if (!j)
		return;
	/* 250 bytes of "é" (2 bytes each) then .json */
	strcpy(path, "sheets/");
	for (i = 0; i < 125; i++)
		strcat(path, "\xc3\xa9");
	strcat(path, ".json");
	CHECK_INT(journal_keep(j, path, "{}", 2, name, sizeof(name)), 0);
	n = strlen(name);
	CHECK(n <= 255);
	CHECK(n > 240);
	CHECK(strcmp(name + n - 6, "Z.json") == 0);
	/* The stem ends on a whole character. */
	CHECK(strncmp(name + n - 24, "\xc3\xa9 ", 3) == 0);
	CHECK_INT(n, 254); /* 233 bytes of room: 116 whole characters */
	journal_close(j);
}

static int found_calls;

static void found(void *ctx, const char *path, const char *name)
{
	(void)ctx;
	found_calls++;
	CHECK_STR(path, "by-id/42.json");
	CHECK(strncmp(name, "42 ", 3) == 0);
}

static void test_journal_recovers_what_a_crash_left(void)
{
	char dir[128], err[256] = "", p[256];
	struct journal_entry *e = NULL;
	struct journal *j;
	char **names, *text;
	int fd;

	snprintf(dir, sizeof(dir), "%s/crash", top);
	j = journal_open(dir, err, sizeof(err));
	CHECK(j != NULL);
	if (!j)
		return;
	CHECK_INT(journal_begin(j, "by-id/42.json", "{\"rows\":[]}", 11, &e),
		  0);
	/* The daemon dies here: e is never committed. */
	journal_entry_drop(e);
	journal_close(j);
	/* A .meta alone (killed before the text was written). */
	snprintf(p, sizeof(p), "%s/journal/1-2-3.meta", dir);
	fd = open(p, O_CREAT | O_WRONLY, 0600);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	j = journal_open(dir, err, sizeof(err));
	CHECK(j != NULL);
	if (!j)
		return;
	found_calls = 0;
	CHECK_INT(journal_recover(j, found, NULL), 1);
	CHECK_INT(found_calls, 1);
	CHECK_INT(files_in(dir, "journal"), 0);
	names = journal_rejected(j);
	CHECK_INT(count(names), 1);
	if (count(names) == 1) {
		text = slurp(j, names[0]);
		CHECK_STR(text, "{\"rows\":[]}");
		free(text);
	}
	journal_names_free(names);
	CHECK_INT(journal_recover(j, found, NULL), 0);
	journal_close(j);
}

static void test_journal_refuses_a_folder_others_may_write(void)
{
	char dir[128], p[160], err[256] = "";
	struct journal *j;

	snprintf(dir, sizeof(dir), "%s/open", top);
	CHECK_INT(mkdir(dir, 0700), 0);
	snprintf(p, sizeof(p), "%s/journal", dir);
	CHECK_INT(mkdir(p, 0700), 0);
	CHECK_INT(chmod(p, 0777), 0);
	j = journal_open(dir, err, sizeof(err));
	CHECK(j == NULL);
	CHECK(strstr(err, "others may write it") != NULL);
	CHECK_INT(chmod(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/rejected", dir);
	CHECK_INT(symlink("/tmp", p), 0);
	j = journal_open(dir, err, sizeof(err));
	CHECK(j == NULL);
	CHECK(strstr(err, "rejected") != NULL);
}

static void test_savelog_keeps_the_newest_fifty(void)
{
	struct savelog *l = savelog_new();
	struct savelog_entry e;
	struct sbuf sb;
	size_t lines = 0;
	char *p;
	int i;

	CHECK(l != NULL);
	if (!l)
		return;
	sbuf_init(&sb, 0);
	for (i = 0; i < 60; i++) {
		memset(&e, 0, sizeof(e));
		e.wall_ms = 1764762730000LL + i * 1000;
		snprintf(e.path, sizeof(e.path), "sheets/S%d.csv", i);
		e.landed.added = (size_t)i;
		e.planned = e.landed;
		e.requests = 1;
		savelog_add(l, &e);
	}
	CHECK_INT(savelog_render(l, &sb), 0);
	for (p = sb.buf; p && *p; p++)
		lines += *p == '\n';
	CHECK_INT(lines, SAVELOG_KEEP);
	CHECK(sb.buf && strncmp(sb.buf, "2025-12-03T11:53:09Z sheets/S59.csv: "
				       "59 added, 0 changed, 0 moved, 0 "
				       "deleted; 1 request; ok\n",
				80) == 0);
	CHECK(sb.buf && strstr(sb.buf, "S10.csv") && !strstr(sb.buf, "S9.csv"));
	sbuf_release(&sb);
	savelog_free(l);
}

static void test_savelog_says_why_and_what_landed(void)
{
	struct savelog_entry e = {0};
	struct sbuf sb;

	sbuf_init(&sb, 0);
	e.wall_ms = 1764762730000LL;
	strcpy(e.path, "sheets/Big.csv");
	e.landed.added = 500;
	e.planned.added = 1200;
	e.requests = 3;
	e.err = -EINVAL;
	e.error_code = 1042;
	strcpy(e.message, "The cell value in column 'Due' did not conform");
	strcpy(e.ref_id, "abc123");
	strcpy(e.rejected, "Big 20251203T115210Z.csv");
	CHECK_INT(savelog_line(&e, &sb), 0);
	CHECK_STR(sb.buf,
		  "2025-12-03T11:52:10Z sheets/Big.csv: 500 added, 0 changed, "
		  "0 moved, 0 deleted; 3 requests; failed (EINVAL): Smartsheet "
		  "errorCode 1042: The cell value in column 'Due' did not "
		  "conform (refId abc123); the save meant 1200 added, 0 "
		  "changed, 0 moved, 0 deleted; the text is kept as "
		  ".rejected/Big 20251203T115210Z.csv");
	sbuf_reset(&sb);
	e.unknown = 1;
	e.err = -EIO;
	e.error_code = 0;
	e.ref_id[0] = '\0';
	strcpy(e.message, "no answer");
	CHECK_INT(savelog_line(&e, &sb), 0);
	CHECK(strstr(sb.buf, "failed (EIO): no answer; whether the last "
			     "request landed is not known") != NULL);
	sbuf_release(&sb);
}

int main(void)
{
	if (!t_mkdtemp(top, sizeof(top), "journal"))
		return 1;
	T(test_journal_commit_leaves_nothing);
	T(test_journal_reject_names_and_keeps_the_text);
	T(test_journal_long_names_are_cut_on_a_character);
	T(test_journal_recovers_what_a_crash_left);
	T(test_journal_refuses_a_folder_others_may_write);
	T(test_savelog_keeps_the_newest_fifty);
	T(test_savelog_says_why_and_what_landed);
	t_rmtree(top);
	return t_run();
}
