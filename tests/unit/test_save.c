/*
 * Write-back saves in the cache (cache/save.h) against a fake sheet that
 * applies row writes (fake_sheet_source.h): one changed cell is one
 * version check and one PUT, a conflict or a refused text sends nothing
 * and keeps the text, a failure half-way says what landed, one save of a
 * sheet at a time, the served version.
 */
#include "save_rig.h"

static void test_save_one_cell_is_one_check_and_one_put(void)
{
	struct rig r;
	char *text, *edited, *st, *after;

	rig_init(&r, 3, "one");
	text = read_csv(r.c);
	CHECK(has(text, "t2,n2\n"));
	edited = replace(text, "t2,n2", "t2,changed");
	CHECK_INT(r.f.get_calls, 1);
	CHECK_INT(save(&r, edited, cache_served_version(r.c, FS_ID)), 0);
	CHECK_INT(r.f.version_calls, 1);
	CHECK_INT(r.f.writes, 1);
	CHECK_INT(r.f.log[0].op, API_ROWS_UPDATE);
	CHECK_INT(r.f.log[0].nrows, 1);
	CHECK_STR(r.f.rows[1].cell[1], "changed");
	CHECK_INT(r.f.get_calls, 2); /* the re-read */
	/* The file reads the new version at once, without a request. */
	after = read_csv(r.c);
	CHECK(has(after, "t2,changed\n"));
	CHECK_INT(r.f.get_calls + r.f.version_calls, 3);
	CHECK_INT(cache_served_version(r.c, FS_ID), 6);
	CHECK_INT(nrejected(r.j), 0);
	st = status(r.c);
	CHECK(has(st, "sheets/Todo.csv: 0 added, 1 changed, 0 moved, "
		      "0 deleted; 2 requests; ok"));
	free(st);
	free(after);
	free(edited);
	free(text);
	rig_release(&r);
}

static void test_save_json_by_row_id(void)
{
	struct cache_content *ct = NULL;
	bool keep, direct;
	struct rig r;
	char *text, *edited;

	rig_init(&r, 3, "json");
	CHECK_INT(cache_open(r.c, &todo, RENDER_FMT_JSON, &ct, &keep, &direct),
		  0);
	text = ct ? strndup(ct->data, ct->len) : NULL;
	cache_content_put(ct);
	edited = replace(text, "\"n3\"", "\"json\"");
	CHECK_INT(cache_save(r.c, &todo, RENDER_FMT_JSON, "sheets/Todo.json",
			     cache_served_version(r.c, FS_ID), edited,
			     strlen(edited)),
		  0);
	CHECK_INT(r.f.version_calls, 1);
	CHECK_INT(r.f.writes, 1);
	CHECK_INT(r.f.log[0].op, API_ROWS_UPDATE);
	CHECK_STR(r.f.rows[2].cell[1], "json");
	free(edited);
	free(text);
	rig_release(&r);
}

static void test_save_refuses_a_sheet_changed_since_the_base(void)
{
	struct rig r;
	char *text, *edited, *st;
	int64_t base;

	rig_init(&r, 3, "stale");
	text = read_csv(r.c);
	base = cache_served_version(r.c, FS_ID);
	edited = replace(text, "t1,n1", "t1,mine");
	r.f.version++; /* someone else wrote */
	CHECK_INT(save(&r, edited, base), -ESTALE);
	CHECK_INT(r.f.writes, 0);
	CHECK_INT(r.f.version_calls, 1);
	CHECK_INT(nrejected(r.j), 1);
	st = status(r.c);
	CHECK(has(st, "failed (ESTALE)"));
	CHECK(has(st, ".rejected/Todo 2"));
	free(st);
	free(edited);
	free(text);
	rig_release(&r);
}

static void test_save_refuses_a_changed_header(void)
{
	struct rig r;
	char *text, *edited, *st;

	rig_init(&r, 2, "header");
	text = read_csv(r.c);
	edited = replace(text, "Task,Note", "Tusk,Note");
	CHECK_INT(save(&r, edited, cache_served_version(r.c, FS_ID)), -EINVAL);
	CHECK_INT(r.f.writes, 0);
	CHECK_INT(nrejected(r.j), 1);
	st = status(r.c);
	CHECK(has(st, "failed (EINVAL): line 1"));
	free(st);
	free(edited);
	free(text);
	rig_release(&r);
}

static void test_save_failing_half_way_says_what_landed(void)
{
	struct rig r;
	char *text, *a, *b, *edited, *st, *after;

	rig_init(&r, 3, "half");
	text = read_csv(r.c);
	a = replace(text, "t1,n1", "t1,new");
	b = replace(a, "t2,n2\n", "");
	edited = malloc(strlen(b) + 16);
	sprintf(edited, "%sadded,x\n", b);
	r.f.fail_at = 2;
	r.f.fail_rc = -EINVAL;
	r.f.fail_code = 1042;
	CHECK_INT(save(&r, edited, cache_served_version(r.c, FS_ID)), -EINVAL);
	CHECK_INT(r.f.writes, 2); /* the delete is not sent */
	CHECK_INT(r.f.log[0].op, API_ROWS_UPDATE);
	CHECK_INT(r.f.log[1].op, API_ROWS_ADD);
	CHECK_INT(nrejected(r.j), 1);
	st = status(r.c);
	CHECK(has(st, "0 added, 1 changed, 0 moved, 0 deleted; 3 requests; "
		      "failed (EINVAL): Smartsheet errorCode 1042: fake "
		      "refused (refId ref-2); the save meant 1 added, 1 "
		      "changed, 0 moved, 1 deleted; the text is kept as "
		      ".rejected/Todo 2"));
	/* The file shows what the server holds. */
	after = read_csv(r.c);
	CHECK(has(after, "t1,new\nt2,n2\nt3,n3\n"));
	CHECK_INT(r.f.get_calls, 2);
	free(after);
	free(st);
	free(edited);
	free(b);
	free(a);
	free(text);
	rig_release(&r);
}

static void test_save_unknown_outcome_is_said(void)
{
	struct rig r;
	char *text, *edited, *st;

	rig_init(&r, 2, "unknown");
	text = read_csv(r.c);
	edited = replace(text, "t1,n1", "t1,new");
	r.f.fail_at = 1;
	r.f.fail_rc = -ETIMEDOUT;
	r.f.fail_maybe = true;
	CHECK_INT(save(&r, edited, cache_served_version(r.c, FS_ID)),
		  -ETIMEDOUT);
	st = status(r.c);
	CHECK(has(st, "failed (ETIMEDOUT)"));
	CHECK(has(st, "not known"));
	free(st);
	free(edited);
	free(text);
	rig_release(&r);
}

static void test_save_off_or_not_allowed(void)
{
	struct rig r;
	struct cache *ro;
	struct cache_opts o;
	char *st;

	rig_init(&r, 1, "access");
	memset(&o, 0, sizeof(o));
	ro = cache_new(&r.f.src, &o);
	CHECK(!cache_write_enabled(ro));
	CHECK(cache_write_enabled(r.c));
	CHECK_INT(cache_save(ro, &todo, RENDER_FMT_CSV, "sheets/Todo.csv", 0,
			     "x", 1),
		  -EROFS);
	cache_free(ro);
	r.f.may_not = true;
	CHECK_INT(save(&r, "Task,Note\n", 0), -EACCES);
	CHECK_INT(r.f.writes + r.f.get_calls + r.f.version_calls, 0);
	CHECK_INT(nrejected(r.j), 1);
	st = status(r.c);
	CHECK(has(st, "failed (EACCES): the token lacks WRITE_SHEETS"));
	free(st);
	rig_release(&r);
}

static void test_save_two_saves_of_a_sheet_go_one_at_a_time(void)
{
	struct racer x[2];
	pthread_t t[2];
	struct rig r;
	char *text, *a, *b;
	int i;

	rig_init(&r, 3, "race");
	text = read_csv(r.c);
	a = replace(text, "t1,n1", "t1,A");
	b = replace(text, "t3,n3", "t3,B");
	r.f.write_delay = 100000;
	for (i = 0; i < 2; i++) {
		x[i].r = &r;
		x[i].text = i ? b : a;
		x[i].base = cache_served_version(r.c, FS_ID);
		CHECK_INT(pthread_create(&t[i], NULL, race, &x[i]), 0);
	}
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	/* The second saw the first's version: a conflict, not a lost
	 * update. */
	CHECK_INT(r.f.most_running, 1);
	CHECK_INT(r.f.writes, 1);
	CHECK(x[0].rc + x[1].rc == -ESTALE);
	CHECK_INT(nrejected(r.j), 1);
	free(a);
	free(b);
	free(text);
	rig_release(&r);
}

static void test_save_served_version_follows_reads(void)
{
	struct rig r;
	char *text;

	rig_init(&r, 1, "served");
	CHECK_INT(cache_served_version(r.c, FS_ID), 0);
	CHECK_INT(cache_prefetch(r.c, &todo, API_PRIO_USER, true), 0);
	CHECK_INT(cache_served_version(r.c, FS_ID), 0); /* held, not served */
	r.f.version = 9;
	r.f.now += 120;
	text = read_csv(r.c);
	free(text);
	CHECK_INT(cache_served_version(r.c, FS_ID), 9);
	r.f.version = 10; /* held and served stay until the next read */
	CHECK_INT(cache_served_version(r.c, FS_ID), 9);
	CHECK_INT(cache_held_version(r.c, FS_ID), 9);
	rig_release(&r);
}

int main(void)
{
	if (!t_mkdtemp(top, sizeof(top), "save"))
		return 1;
	T(test_save_one_cell_is_one_check_and_one_put);
	T(test_save_json_by_row_id);
	T(test_save_refuses_a_sheet_changed_since_the_base);
	T(test_save_refuses_a_changed_header);
	T(test_save_failing_half_way_says_what_landed);
	T(test_save_unknown_outcome_is_said);
	T(test_save_off_or_not_allowed);
	T(test_save_two_saves_of_a_sheet_go_one_at_a_time);
	T(test_save_served_version_follows_reads);
	t_rmtree(top);
	return t_run();
}
