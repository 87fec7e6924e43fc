/*
 * Append sessions in the cache (cache/save.h) against a fake sheet that
 * applies row writes (fake_sheet_source.h): batches of at most 500 in
 * order, a refused record sends nothing of its write and keeps its text,
 * the last record at close, an open quote, an append beside a save.
 */
#include "save_rig.h"

static void *append_one(void *arg)
{
	struct racer *x = arg;
	struct cache_append *a = NULL;

	x->rc = cache_append_open(x->r->c, &todo, "sheets/Todo.csv", &a);
	if (!x->rc)
		x->rc = cache_append_write(a, x->text, strlen(x->text));
	if (a && cache_append_close(a))
		x->rc = -EIO;
	return NULL;
}

static void test_append_beside_a_save_goes_one_at_a_time(void)
{
	struct racer x[2];
	pthread_t t[2];
	struct rig r;
	char *text;
	int i;

	rig_init(&r, 2, "race2");
	text = read_csv(r.c);
	r.f.write_delay = 100000;
	x[0].text = "x1,y1\n";
	x[1].text = "Task,Note\nt1,n1\n";
	for (i = 0; i < 2; i++) {
		x[i].r = &r;
		x[i].base = cache_served_version(r.c, FS_ID);
		CHECK_INT(pthread_create(&t[i], NULL, i ? race : append_one,
					 &x[i]),
			  0);
	}
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	CHECK_INT(r.f.most_running, 1);
	CHECK_INT(x[0].rc, 0);
	CHECK(r.f.writes >= 1);
	free(text);
	rig_release(&r);
}

static int append(struct rig *r, const char *const *writes, size_t n)
{
	struct cache_append *a = NULL;
	size_t i;
	int rc;

	rc = cache_append_open(r->c, &todo, "sheets/Todo.csv", &a);
	for (i = 0; !rc && i < n; i++)
		rc = cache_append_write(a, writes[i], strlen(writes[i]));
	if (a) {
		int crc = cache_append_close(a);

		rc = rc ? rc : crc;
	}
	return rc;
}

static void test_append_1200_records_in_batches_of_500(void)
{
	struct sbuf sb = SBUF_INIT(0);
	const char *w[1];
	struct rig r;
	char *after;
	int i, rc = 0;

	rig_init(&r, 2, "append");
	for (i = 1; i <= 1200; i++)
		rc |= sbuf_addf(&sb, "a%d,b%d\n", i, i);
	CHECK_INT(rc, 0);
	w[0] = sb.buf;
	CHECK_INT(append(&r, w, 1), 0);
	CHECK_INT(r.f.writes, 3);
	for (i = 0; i < 3; i++)
		CHECK_INT(r.f.log[i].op, API_ROWS_ADD);
	CHECK_INT(r.f.log[0].nrows, 500);
	CHECK_INT(r.f.log[1].nrows, 500);
	CHECK_INT(r.f.log[2].nrows, 200);
	CHECK_INT(r.f.nrows, 1202);
	CHECK_STR(r.f.rows[2].cell[0], "a1");
	CHECK_STR(r.f.rows[501].cell[0], "a500");
	CHECK_STR(r.f.rows[502].cell[0], "a501");
	CHECK_STR(r.f.rows[1201].cell[1], "b1200");
	after = read_csv(r.c);
	CHECK(has(after, "a1199,b1199\na1200,b1200\n"));
	CHECK_INT(nrejected(r.j), 0);
	free(after);
	sbuf_release(&sb);
	rig_release(&r);
}

static void test_append_a_bad_record_sends_nothing_of_its_write(void)
{
	const char *w[] = {"x1,y1\nx2,y2,z2\nx3,y3\n"};
	struct rig r;
	char *st;

	rig_init(&r, 1, "badrec");
	CHECK_INT(append(&r, w, 1), -EINVAL);
	CHECK_INT(r.f.writes, 0);
	CHECK_INT(r.f.nrows, 1);
	CHECK_INT(nrejected(r.j), 1);
	st = status(r.c);
	CHECK(has(st, "failed (EINVAL): line 2"));
	free(st);
	rig_release(&r);
}

static void test_append_keeps_a_record_cut_between_writes(void)
{
	const char *w[] = {"x1,y1\nx2,", "y2,z2\n"};
	struct rig r;
	char *kept;

	rig_init(&r, 1, "cut");
	CHECK_INT(append(&r, w, 2), -EINVAL);
	CHECK_INT(r.f.writes, 1);
	CHECK_INT(r.f.nrows, 2);
	kept = rejected_text(r.j);
	CHECK_STR(kept, "x2,y2,z2\n");
	free(kept);
	rig_release(&r);
}

static void test_append_open_quote_at_close_is_einval(void)
{
	const char *w[] = {"x1,y1\n", "x2,\"open"};
	struct rig r;

	rig_init(&r, 1, "quote");
	CHECK_INT(append(&r, w, 2), -EINVAL);
	CHECK_INT(r.f.writes, 1); /* the first write's record */
	CHECK_INT(r.f.nrows, 2);
	CHECK_INT(nrejected(r.j), 1);
	rig_release(&r);
}

static void test_append_last_record_without_line_end_at_close(void)
{
	struct cache_append *a = NULL;
	struct rig r;

	rig_init(&r, 1, "noeol");
	CHECK_INT(cache_append_open(r.c, &todo, "sheets/Todo.csv", &a), 0);
	CHECK_INT(cache_append_write(a, "x1,y", 4), 0);
	CHECK_INT(cache_append_write(a, "1", 1), 0);
	CHECK_INT(r.f.writes, 0);
	CHECK_INT(cache_append_close(a), 0);
	CHECK_INT(r.f.writes, 1);
	CHECK_INT(r.f.nrows, 2);
	CHECK_STR(r.f.rows[1].cell[0], "x1");
	CHECK_STR(r.f.rows[1].cell[1], "y1");
	rig_release(&r);
}

int main(void)
{
	if (!t_mkdtemp(top, sizeof(top), "append"))
		return 1;
	T(test_append_1200_records_in_batches_of_500);
	T(test_append_a_bad_record_sends_nothing_of_its_write);
	T(test_append_keeps_a_record_cut_between_writes);
	T(test_append_open_quote_at_close_is_einval);
	T(test_append_last_record_without_line_end_at_close);
	T(test_append_beside_a_save_goes_one_at_a_time);
	t_rmtree(top);
	return t_run();
}
