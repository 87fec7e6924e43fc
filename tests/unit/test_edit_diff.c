/*
 * The row diff and its plan (edit/diff.c, match.c, order.c, plan.c, lcs.c,
 * apply.c): every case runs the plan in the simulator and checks that it
 * gives exactly the new text with the ids kept (edit_check.h).
 */
#include "edit/diff.h"

#include "tests/unit/edit_check.h"
#include "tests/unit/testlib.h"

#include "edit/lcs.h"
#include "edit/plan_i.h"

static const char *const titles2[] = {"Task", "Note"};

/* A two-column sheet; rows "task|note", parents by row index (-1: none). */
static struct model_sheet *mk(const char *const *rows, const int *parents,
			      size_t n)
{
	struct model_sheet *s = t_sheet_new(titles2, NULL, 2);
	size_t i;

	for (i = 0; i < n; i++) {
		char buf[256];
		const char *f[2];
		char *bar;

		snprintf(buf, sizeof(buf), "%s", rows[i]);
		bar = strchr(buf, '|');
		if (bar)
			*bar = '\0';
		f[0] = buf;
		f[1] = bar ? bar + 1 : "";
		t_sheet_row(s, 101 + (int64_t)i,
			    parents && parents[i] >= 0 ? 101 + parents[i] : 0,
			    f);
	}
	return s;
}

/* Diff s against text; checks rc and, on success, the property. */
static struct edit_plan *diff(struct model_sheet *s, const char *text,
			      bool json, int want, char *err)
{
	struct edit_doc doc = {0};
	struct edit_plan *p = NULL;
	char why[256] = "";
	int rc;

	err[0] = '\0';
	rc = t_parse(s, text, strlen(text), json, &doc, err);
	if (!rc)
		rc = edit_diff(s, &doc, NULL, &p, err);
	CHECK_INT(rc, want);
	if (rc != want)
		fprintf(stderr, "  err: %s\n", err);
	if (!rc && t_check(s, &doc, p, false, why, sizeof(why))) {
		fprintf(stderr, "  property: %s\n", why);
		CHECK(false); /* the plan gives the text */
	}
	edit_doc_release(&doc);
	return p;
}

/* The ids in sheet order after running p on s, as "101,-1,102". */
static void ids_after(const struct model_sheet *s, const struct edit_plan *p,
		      char *out, size_t n)
{
	struct edit_sim *sim = edit_sim_new(s);
	size_t len = 0;
	int32_t x;

	out[0] = '\0';
	if (!sim || edit_sim_run(sim, p)) {
		snprintf(out, n, "refused %d", sim ? edit_sim_error(sim) : 0);
		edit_sim_free(sim);
		return;
	}
	for (x = edit_sim_first(sim); x >= 0 && len < n;
	     x = edit_sim_next(sim, x)) {
		int64_t pid = edit_sim_parent(sim, x);

		len += (size_t)snprintf(out + len, n - len, "%s%" PRId64,
					len ? "," : "", edit_sim_id(sim, x));
		if (pid && len < n)
			len += (size_t)snprintf(out + len, n - len, "^%" PRId64,
						pid);
	}
	edit_sim_free(sim);
}

static char *body(const struct edit_plan *p, size_t i, const int64_t *ids,
		  size_t nids)
{
	struct sbuf sb = SBUF_INIT(0);

	if (edit_req_body(p, i, ids, nids, &sb))
		return NULL;
	return sbuf_detach(&sb, NULL);
}

#define CHECK_BODY(p, i, ids, n, want)                                         \
	do {                                                                   \
		char *b_ = body((p), (i), (ids), (n));                         \
		CHECK_STR(b_, (want));                                         \
		free(b_);                                                      \
	} while (0)

static const char *const abc[] = {"A|1", "B|2", "C|3", "D|4"};

static void test_edit_diff_unchanged_sends_nothing(void)
{
	struct model_sheet *s = mk(abc, NULL, 4);
	char err[EDIT_ERR_MAX];
	struct edit_plan *p =
	    diff(s, "Task,Note\nA,1\nB,2\nC,3\nD,4\n", false, 0, err);

	CHECK(p && p->nreqs == 0);
	edit_plan_free(p);
	model_sheet_free(s);
}

static void test_edit_diff_change_one_cell(void)
{
	struct model_sheet *s = mk(abc, NULL, 4);
	char err[EDIT_ERR_MAX], ids[256];
	struct edit_plan *p =
	    diff(s, "Task,Note\nA,1\nB,two\nC,3\nD,4\n", false, 0, err);

	CHECK(p && p->nreqs == 1);
	if (p && p->nreqs == 1) {
		CHECK_INT(p->reqs[0].kind, EDIT_REQ_UPDATE);
		CHECK_INT(p->counts.changed, 1);
		CHECK_BODY(p, 0, NULL, 0,
			   "[{\"id\":102,\"cells\":[{\"columnId\":1001,"
			   "\"value\":\"two\"}]}]");
		ids_after(s, p, ids, sizeof(ids));
		CHECK_STR(ids, "101,102,103,104");
	}
	edit_plan_free(p);
	model_sheet_free(s);
}

static void test_edit_diff_insert_middle(void)
{
	struct model_sheet *s = mk(abc, NULL, 4);
	char err[EDIT_ERR_MAX], ids[256];
	int64_t added[] = {555};
	struct edit_plan *p =
	    diff(s, "Task,Note\nA,1\nB,2\nX,9\nC,3\nD,4\n", false, 0, err);

	CHECK(p && p->nreqs == 1 && p->nadded == 1);
	if (p && p->nreqs == 1) {
		CHECK_INT(p->reqs[0].kind, EDIT_REQ_ADD);
		CHECK_BODY(
		    p, 0, added, 1,
		    "[{\"siblingId\":102,\"cells\":[{\"columnId\":1000,"
		    "\"value\":\"X\"},{\"columnId\":1001,\"value\":9}]}]");
		ids_after(s, p, ids, sizeof(ids));
		CHECK_STR(ids, "101,102,-1,103,104");
	}
	edit_plan_free(p);
	model_sheet_free(s);
}

static void test_edit_diff_delete(void)
{
	struct model_sheet *s = mk(abc, NULL, 4);
	char err[EDIT_ERR_MAX];
	struct edit_plan *p =
	    diff(s, "Task,Note\nA,1\nC,3\nD,4\n", false, 0, err);

	CHECK(p && p->nreqs == 1);
	if (p && p->nreqs == 1) {
		CHECK_STR(edit_req_method(&p->reqs[0]), "DELETE");
		CHECK_BODY(p, 0, NULL, 0, "ids=102&ignoreRowsNotFound=false");
		CHECK_INT(p->counts.deleted, 1);
	}
	edit_plan_free(p);
	model_sheet_free(s);
}

static void test_edit_diff_move_and_swap(void)
{
	struct model_sheet *s = mk(abc, NULL, 4);
	char err[EDIT_ERR_MAX], ids[256];
	struct edit_plan *p;

	/* D to the top: one move, toTop, ids kept. */
	p = diff(s, "Task,Note\nD,4\nA,1\nB,2\nC,3\n", false, 0, err);
	CHECK(p && p->nreqs == 1 && p->counts.moved == 1);
	if (p && p->nreqs == 1) {
		CHECK_BODY(p, 0, NULL, 0, "[{\"id\":104,\"toTop\":true}]");
		ids_after(s, p, ids, sizeof(ids));
		CHECK_STR(ids, "104,101,102,103");
	}
	edit_plan_free(p);
	/* A to the end: one move of A, not three of the rows that stay
	 * (a row still to move does not count as the one in a place). */
	p = diff(s, "Task,Note\nB,2\nC,3\nD,4\nA,1\n", false, 0, err);
	CHECK(p && p->nreqs == 1 && p->counts.moved == 1);
	ids_after(s, p, ids, sizeof(ids));
	CHECK_STR(ids, "102,103,104,101");
	edit_plan_free(p);
	/* B and C swapped: one move, no change, no delete. */
	p = diff(s, "Task,Note\nA,1\nC,3\nB,2\nD,4\n", false, 0, err);
	CHECK(p && p->nreqs == 1 && p->counts.moved == 1 &&
	      p->counts.changed == 0 && p->counts.deleted == 0);
	ids_after(s, p, ids, sizeof(ids));
	CHECK_STR(ids, "101,103,102,104");
	edit_plan_free(p);
	/* A and C swapped across B (matched): moves, not two changed rows. */
	p = diff(s, "Task,Note\nC,3\nB,2\nA,1\nD,4\n", false, 0, err);
	CHECK(p && p->counts.changed == 0 && p->counts.added == 0);
	ids_after(s, p, ids, sizeof(ids));
	CHECK_STR(ids, "103,102,101,104");
	edit_plan_free(p);
	/* Reversed: every id kept, requests batched. */
	p = diff(s, "Task,Note\nD,4\nC,3\nB,2\nA,1\n", false, 0, err);
	CHECK(p && p->counts.changed == 0 && p->nreqs == 1);
	ids_after(s, p, ids, sizeof(ids));
	CHECK_STR(ids, "104,103,102,101");
	edit_plan_free(p);
	model_sheet_free(s);
}

static void test_edit_diff_changed_by_primary_then_order(void)
{
	struct model_sheet *s = mk(abc, NULL, 4);
	char err[EDIT_ERR_MAX], ids[256];
	struct edit_plan *p;

	/* B and C both changed in one gap: paired by primary text, even
	 * written in the other order (then C moves). */
	p = diff(s, "Task,Note\nA,1\nC,30\nB,20\nD,4\n", false, 0, err);
	CHECK(p && p->counts.changed == 2 && p->counts.added == 0 &&
	      p->counts.deleted == 0);
	ids_after(s, p, ids, sizeof(ids));
	CHECK_STR(ids, "101,103,102,104");
	edit_plan_free(p);
	/* No primary match: n-th with n-th. */
	p = diff(s, "Task,Note\nA,1\nX,2\nY,3\nD,4\n", false, 0, err);
	CHECK(p && p->counts.changed == 2 && p->counts.added == 0);
	ids_after(s, p, ids, sizeof(ids));
	CHECK_STR(ids, "101,102,103,104");
	edit_plan_free(p);
	model_sheet_free(s);
}

static void test_edit_diff_duplicates(void)
{
	static const char *const dup[] = {"A|1", "Z|0", "Z|0", "B|2", "Z|0"};
	struct model_sheet *s = mk(dup, NULL, 5);
	char err[EDIT_ERR_MAX], ids[256];
	struct edit_plan *p;

	/* One copy gone: the last one is deleted (deterministic). */
	p = diff(s, "Task,Note\nA,1\nZ,0\nZ,0\nB,2\n", false, 0, err);
	CHECK(p && p->nreqs == 1 && p->counts.deleted == 1);
	ids_after(s, p, ids, sizeof(ids));
	CHECK_STR(ids, "101,102,103,104");
	edit_plan_free(p);
	/* A copy moved to the top: ids of copies kept. */
	p = diff(s, "Task,Note\nZ,0\nA,1\nZ,0\nB,2\nZ,0\n", false, 0, err);
	CHECK(p && p->counts.added == 0 && p->counts.deleted == 0);
	edit_plan_free(p);
	model_sheet_free(s);
}

/* P with children C1, C2, then Q. */
static const char *const tree[] = {"P|p", "C1|c", "C2|c", "Q|q"};
static const int tree_parents[] = {-1, 0, 0, -1};

static void test_edit_diff_insert_after_parent(void)
{
	struct model_sheet *s = mk(tree, tree_parents, 4);
	char err[EDIT_ERR_MAX], ids[256];
	int64_t added[] = {900};
	struct edit_plan *p;

	/* After P, before its children: P's first child, above C1. */
	p = diff(s, "Task,Note\nP,p\nN,n\nC1,c\nC2,c\nQ,q\n", false, 0, err);
	CHECK(p && p->nreqs == 1);
	if (p && p->nreqs == 1) {
		CHECK_INT(p->reqs[0].loc.kind, EDIT_LOC_ABOVE);
		CHECK_BODY(p, 0, added, 1,
			   "[{\"siblingId\":102,\"above\":true,\"cells\":[{"
			   "\"columnId\":1000,\"value\":\"N\"},{\"columnId\":"
			   "1001,\"value\":\"n\"}]}]");
	}
	ids_after(s, p, ids, sizeof(ids));
	CHECK_STR(ids, "101,-1^101,102^101,103^101,104");
	edit_plan_free(p);
	/* After the last child: it joins the parent, below C2. */
	p = diff(s, "Task,Note\nP,p\nC1,c\nC2,c\nN,n\nQ,q\n", false, 0, err);
	ids_after(s, p, ids, sizeof(ids));
	CHECK_STR(ids, "101,102^101,103^101,-1^101,104");
	edit_plan_free(p);
	/* At the top, and at the end. */
	p = diff(s, "Task,Note\nN,n\nP,p\nC1,c\nC2,c\nQ,q\nM,m\n", false, 0,
		 err);
	ids_after(s, p, ids, sizeof(ids));
	CHECK_STR(ids, "-1,101,102^101,103^101,104,-2");
	edit_plan_free(p);
	model_sheet_free(s);
}

static void test_edit_diff_delete_parent(void)
{
	struct model_sheet *s = mk(tree, tree_parents, 4);
	char err[EDIT_ERR_MAX];
	struct edit_plan *p;

	p = diff(s, "Task,Note\nC1,c\nC2,c\nQ,q\n", false, -EINVAL, err);
	CHECK(!p);
	CHECK(strstr(err, "row 2 (\"C1\") stays") &&
	      strstr(err, "parent row 1 (\"P\") is gone"));
	/* Parent and children gone: one id, the children go with it. */
	p = diff(s, "Task,Note\nQ,q\n", false, 0, err);
	CHECK(p && p->nreqs == 1 && p->counts.deleted == 3);
	if (p && p->nreqs == 1)
		CHECK_BODY(p, 0, NULL, 0, "ids=101&ignoreRowsNotFound=false");
	edit_plan_free(p);
	model_sheet_free(s);
}

static void test_edit_diff_move_parent_away(void)
{
	struct model_sheet *s = mk(tree, tree_parents, 4);
	char err[EDIT_ERR_MAX], ids[256];
	struct edit_plan *p;

	/* P below Q but its children stay at the top: they must come out
	 * of P first (a parent takes its children along when it moves). */
	p = diff(s, "Task,Note\nC1,c\nC2,c\nQ,q\nP,p\n", false, 0, err);
	CHECK(p && p->counts.deleted == 0 && p->counts.added == 0);
	ids_after(s, p, ids, sizeof(ids));
	CHECK(strncmp(ids, "102,103,104,101", 15) == 0);
	edit_plan_free(p);
	/* P and its children to the end together. */
	p = diff(s, "Task,Note\nQ,q\nP,p\nC1,c\nC2,c\n", false, 0, err);
	CHECK(p && p->counts.moved == 1);
	ids_after(s, p, ids, sizeof(ids));
	CHECK_STR(ids, "104,101,102^101,103^101");
	edit_plan_free(p);
	model_sheet_free(s);
}

static void test_edit_diff_refusals(void)
{
	static const char *const titles[] = {"Task", "Auto", "F", "Lk"};
	static const char *const r1[] = {"A", "X-1", "f", "l"};
	struct model_sheet *s = t_sheet_new(titles, NULL, 4);
	char err[EDIT_ERR_MAX];
	struct edit_plan *p;

	s->cols[1].system_type = MODEL_SYS_AUTO_NUMBER;
	s->cols[2].formula = true;
	s->cols[3].locked = true;
	t_sheet_row(s, 101, 0, r1);
	t_sheet_row(s, 102, 0, r1);
	s->rows[1].locked = true;
	p = diff(s, "Task,Auto,F,Lk\nA,X-2,f,l\nA,X-1,f,l\n", false, -EINVAL,
		 err);
	CHECK(!p && strstr(err, "line 2") && strstr(err, "\"Auto\"") &&
	      strstr(err, "system column"));
	p = diff(s, "Task,Auto,F,Lk\nA,X-1,g,l\nA,X-1,f,l\n", false, -EINVAL,
		 err);
	CHECK(!p && strstr(err, "column formula") == NULL &&
	      strstr(err, "has a formula"));
	p = diff(s, "Task,Auto,F,Lk\nA,X-1,f,m\nA,X-1,f,l\n", false, -EINVAL,
		 err);
	CHECK(!p && strstr(err, "column is locked"));
	p = diff(s, "Task,Auto,F,Lk\nA,X-1,f,l\nB,X-1,f,l\n", false, -EINVAL,
		 err);
	CHECK(!p && strstr(err, "line 3") && strstr(err, "row is locked"));
	/* The owner may edit locked rows and columns. */
	s->access_level = "OWNER";
	p = diff(s, "Task,Auto,F,Lk\nA,X-1,f,m\nB,X-1,f,l\n", false, 0, err);
	CHECK(p && p->counts.changed == 2);
	edit_plan_free(p);
	/* A cell holding a formula. */
	s->rows[0].cells[0].formula = true;
	p = diff(s, "Task,Auto,F,Lk\nZ,X-1,f,l\nA,X-1,f,l\n", false, -EINVAL,
		 err);
	CHECK(!p && strstr(err, "holds a formula"));
	/* A new row's system and formula fields are ignored. */
	p = diff(s, "Task,Auto,F,Lk\nA,X-1,f,l\nA,X-1,f,l\nN,X-9,zz,\n", false,
		 0, err);
	CHECK(p && p->nreqs == 1 && p->reqs[0].rows[0].ncells == 1);
	edit_plan_free(p);
	model_sheet_free(s);
}

static void test_edit_diff_header_and_empty(void)
{
	struct model_sheet *s = mk(abc, NULL, 4);
	char err[EDIT_ERR_MAX];
	struct edit_plan *p;

	p = diff(s, "Task,Notes\nA,1\n", false, -EINVAL, err);
	CHECK(!p && strstr(err, "line 1") && strstr(err, "column 2"));
	p = diff(s, "", false, -EINVAL, err);
	CHECK(!p && strstr(err, "empty"));
	p = diff(s, "Task,Note\n", false, 0, err);
	CHECK(p && p->nreqs == 1 && p->counts.deleted == 4);
	edit_plan_free(p);
	p = diff(s, "Task,Note\nA,1\nB\n", false, -EINVAL, err);
	CHECK(!p && strstr(err, "line 3"));
	model_sheet_free(s);
}

static void test_edit_diff_many_added_rows(void)
{
	struct model_sheet *s = mk(abc, NULL, 2);
	struct sbuf t = SBUF_INIT(0);
	char err[EDIT_ERR_MAX], ids[64];
	struct edit_plan *p;
	int64_t added[1200];
	size_t i;

	(void)!sbuf_addstr(&t, "Task,Note\nA,1\nB,2\n");
	for (i = 0; i < 1200; i++) {
		(void)!sbuf_addf(&t, "row %zu,%zu\n", i, i);
		added[i] = 5000 + (int64_t)i;
	}
	p = diff(s, t.buf, false, 0, err);
	CHECK(p && p->nreqs == 3 && p->nadded == 1200);
	if (p && p->nreqs == 3) {
		CHECK_INT(p->reqs[0].nrows, 500);
		CHECK_INT(p->reqs[1].nrows, 500);
		CHECK_INT(p->reqs[2].nrows, 200);
		/* The second request follows the first one's last row. */
		CHECK_INT(p->reqs[1].loc.kind, EDIT_LOC_SIBLING);
		CHECK_INT(p->reqs[1].loc.ref.id, 0);
		CHECK_INT(p->reqs[1].loc.ref.added, 499);
		/* Its id is patched in from the first answer; unknown yet: no.
		 */
		{
			struct sbuf b = SBUF_INIT(0);

			CHECK_INT(edit_req_body(p, 1, added, 0, &b), -EINVAL);
			sbuf_release(&b);
		}
		{
			char *b1 = body(p, 1, added, 500);

			CHECK(b1 && !strncmp(b1, "[{\"siblingId\":5499,", 19));
			free(b1);
		}
		ids_after(s, p, ids, sizeof(ids));
		CHECK(!strncmp(ids, "101,102,-1,-2,-3", 16));
	}
	edit_plan_free(p);
	sbuf_release(&t);
	model_sheet_free(s);
}

static void test_edit_diff_json(void)
{
	struct model_sheet *s = mk(abc, NULL, 4);
	char err[EDIT_ERR_MAX], ids[256];
	struct edit_plan *p;

	/* Changed and moved at once; a new row; B gone. */
	p = diff(
	    s,
	    "{\"columns\":[{\"title\":\"Task\"},{\"title\":\"Note\"}],"
	    "\"rows\":[{\"id\":103,\"cells\":{\"Task\":\"C\",\"Note\":33}},"
	    "{\"id\":101,\"cells\":{\"Task\":\"A\",\"Note\":1}},"
	    "{\"cells\":{\"Task\":\"N\"}},"
	    "{\"id\":104,\"rowNumber\":9,\"parentId\":null,"
	    "\"cells\":{\"Task\":\"D\",\"Note\":4.0}}]}",
	    true, 0, err);
	CHECK(p && p->counts.changed == 1 && p->counts.moved == 1 &&
	      p->counts.added == 1 && p->counts.deleted == 1);
	if (p && p->nreqs == 4) {
		CHECK_INT(p->reqs[0].kind, EDIT_REQ_UPDATE);
		CHECK_BODY(p, 0, NULL, 0,
			   "[{\"id\":103,\"cells\":[{\"columnId\":1001,"
			   "\"value\":33}]}]");
		CHECK_INT(p->reqs[1].kind, EDIT_REQ_ADD);
		CHECK_INT(p->reqs[2].kind, EDIT_REQ_MOVE);
		CHECK_INT(p->reqs[3].kind, EDIT_REQ_DELETE);
	}
	ids_after(s, p, ids, sizeof(ids));
	CHECK_STR(ids, "103,101,-1,104");
	edit_plan_free(p);
	p = diff(s,
		 "{\"columns\":[{\"title\":\"Task\"},{\"title\":\"Note\"}],"
		 "\"rows\":[{\"id\":999,\"cells\":{}}]}",
		 true, -EINVAL, err);
	CHECK(!p && strstr(err, "999"));
	p = diff(s,
		 "{\"columns\":[{\"title\":\"Task\"},{\"title\":\"Note\"}],"
		 "\"rows\":[{\"id\":101,\"cells\":{}},\n{\"id\":101}]}",
		 true, -EINVAL, err);
	CHECK(!p && strstr(err, "line 2") && strstr(err, "twice"));
	model_sheet_free(s);
}

/* One request, by hand, on P(C1, C2), Q: the simulator's locations and
 * refusals as tests/support/fake_rows.py has them. */
static void sim_case(enum edit_req_kind kind, enum edit_loc_kind lk,
		     int64_t anchor, int64_t row, const char *want)
{
	struct model_sheet *s = mk(tree, tree_parents, 4);
	struct edit_plan *p = edit_plan_new();
	struct edit_req *r = edit_plan_add_req(p, kind, 1);
	char ids[256];

	r->loc.kind = lk;
	r->loc.ref.id = anchor;
	r->rows[0].ref.id = row; /* 0: added row 0 */
	r->nrows = 1;
	p->nadded = kind == EDIT_REQ_ADD;
	ids_after(s, p, ids, sizeof(ids));
	if (strcmp(ids, want) != 0)
		fprintf(stderr, "  case %d/%d %" PRId64 " %" PRId64 "\n", kind,
			lk, anchor, row);
	CHECK_STR(ids, want);
	edit_plan_free(p);
	model_sheet_free(s);
}

static void test_edit_sim_locations(void)
{
	sim_case(EDIT_REQ_ADD, EDIT_LOC_TOP, 0, 0,
		 "-1,101,102^101,103^101,104");
	sim_case(EDIT_REQ_ADD, EDIT_LOC_BOTTOM, 0, 0,
		 "101,102^101,103^101,104,-1");
	sim_case(EDIT_REQ_ADD, EDIT_LOC_NONE, 0, 0,
		 "101,102^101,103^101,104,-1");
	/* Below a sibling means below its children too. */
	sim_case(EDIT_REQ_ADD, EDIT_LOC_SIBLING, 101, 0,
		 "101,102^101,103^101,-1,104");
	sim_case(EDIT_REQ_ADD, EDIT_LOC_ABOVE, 102, 0,
		 "101,-1^101,102^101,103^101,104");
	sim_case(EDIT_REQ_ADD, EDIT_LOC_PARENT, 101, 0,
		 "101,-1^101,102^101,103^101,104");
	sim_case(EDIT_REQ_ADD, EDIT_LOC_PARENT_BOTTOM, 101, 0,
		 "101,102^101,103^101,-1^101,104");
	sim_case(EDIT_REQ_ADD, EDIT_LOC_PARENT, 104, 0,
		 "101,102^101,103^101,104,-1^104");
	/* A moved row takes its children along. */
	sim_case(EDIT_REQ_MOVE, EDIT_LOC_BOTTOM, 0, 101,
		 "104,101,102^101,103^101");
	sim_case(EDIT_REQ_MOVE, EDIT_LOC_SIBLING, 104, 101,
		 "104,101,102^101,103^101");
	sim_case(EDIT_REQ_MOVE, EDIT_LOC_ABOVE, 101, 103,
		 "103,101,102^101,104");
	sim_case(EDIT_REQ_MOVE, EDIT_LOC_TOP, 0, 104,
		 "104,101,102^101,103^101");
	/* A deleted row takes its children along. */
	sim_case(EDIT_REQ_DELETE, EDIT_LOC_NONE, 0, 101, "104");
	/* Refusals. */
	sim_case(EDIT_REQ_MOVE, EDIT_LOC_SIBLING, 102, 101, "refused 1062");
	sim_case(EDIT_REQ_MOVE, EDIT_LOC_PARENT, 101, 101, "refused 1062");
	sim_case(EDIT_REQ_ADD, EDIT_LOC_SIBLING, 999, 0, "refused 1064");
	sim_case(EDIT_REQ_ADD, EDIT_LOC_PARENT, 999, 0, "refused 1063");
	sim_case(EDIT_REQ_MOVE, EDIT_LOC_TOP, 0, 999, "refused 1006");
	sim_case(EDIT_REQ_DELETE, EDIT_LOC_NONE, 0, 999, "refused 1006");
}

static void test_edit_diff_checkbox_empty_is_false(void)
{
	static const char *const titles[] = {"Task", "Done"};
	static const enum model_col_type types[] = {MODEL_COL_TEXT_NUMBER,
						    MODEL_COL_CHECKBOX};
	static const char *const r1[] = {"A", "false"};
	static const char *const r2[] = {"B", "true"};
	struct model_sheet *s = t_sheet_new(titles, types, 2);
	char err[EDIT_ERR_MAX];
	struct edit_plan *p;

	t_sheet_row(s, 101, 0, r1);
	t_sheet_row(s, 102, 0, r2);
	/* false -> "": the same value, nothing to send. */
	p = diff(s, "Task,Done\nA,\nB,true\n", false, 0, err);
	CHECK(p && p->nreqs == 0);
	edit_plan_free(p);
	/* true -> "": cleared, which Smartsheet stores as false. */
	p = diff(s, "Task,Done\nA,false\nB,\n", false, 0, err);
	CHECK(p && p->nreqs == 1);
	if (p && p->nreqs == 1)
		CHECK_BODY(p, 0, NULL, 0,
			   "[{\"id\":102,\"cells\":[{\"columnId\":1001,"
			   "\"value\":\"\"}]}]");
	edit_plan_free(p);
	model_sheet_free(s);
}

static void test_edit_lcs_and_lis(void)
{
	static const uint32_t a[] = {0, 1, 2, 3, 4, 5};
	static const uint32_t b[] = {0, 2, 1, 3, 9, 5};
	static const uint32_t v[] = {5, 1, EDIT_LCS_NONE, 2, 0, 3};
	uint32_t m[6];
	bool keep[6];
	size_t i, n = 0;

	CHECK_INT(edit_lcs(a, 6, b, 6, 10, m), 0);
	for (i = 0; i < 6; i++)
		n += m[i] != EDIT_LCS_NONE;
	CHECK_INT(n, 4); /* 0, (1 or 2), 3, 5 */
	CHECK_INT(m[0], 0);
	CHECK_INT(m[4], EDIT_LCS_NONE);
	CHECK_INT(m[5], 5);
	/* Copies: Z A Z B against A Z C matches A and the second Z. */
	{
		static const uint32_t za[] = {0, 1, 0, 2}, az[] = {1, 0, 3};
		uint32_t m2[3];

		CHECK_INT(edit_lcs(za, 4, az, 3, 4, m2), 0);
		CHECK_INT(m2[0], 1);
		CHECK_INT(m2[1], 2);
		CHECK_INT(m2[2], EDIT_LCS_NONE);
	}
	CHECK_INT(edit_lis(v, 6, keep), 0);
	CHECK(!keep[0] && keep[1] && !keep[2] && keep[3] && !keep[4] &&
	      keep[5]);
}

static void test_edit_plan_append(void)
{
	static const char *const titles[] = {"Task", "Auto", "Done"};
	static const enum model_col_type types[] = {
	    MODEL_COL_TEXT_NUMBER, MODEL_COL_TEXT_NUMBER, MODEL_COL_CHECKBOX};
	struct model_sheet *s = t_sheet_new(titles, types, 3);
	struct edit_csvin *r = edit_csvin_new(s, EDIT_CSV_APPEND);
	struct edit_plan *p = NULL;
	char err[EDIT_ERR_MAX] = "";
	int64_t ids[2] = {1, 2};

	s->cols[1].system_type = MODEL_SYS_AUTO_NUMBER;
	CHECK_INT(edit_csvin_feed(r, "x,7,true\n007", 12, err), 0);
	CHECK_INT(edit_csvin_finish(r, err), 0);
	CHECK_INT(edit_plan_append(s, edit_csvin_doc(r), &p, err), 0);
	CHECK(p && p->nreqs == 1 && p->nadded == 2);
	if (p && p->nreqs == 1)
		CHECK_BODY(
		    p, 0, ids, 2,
		    "[{\"toBottom\":true,\"cells\":[{\"columnId\":1000,"
		    "\"value\":\"x\"},{\"columnId\":1002,\"value\":true}]},"
		    "{\"toBottom\":true,\"cells\":[{\"columnId\":1000,"
		    "\"value\":\"007\"}]}]");
	edit_plan_free(p);
	edit_csvin_free(r);
	/* A bad checkbox: EINVAL naming the line and column. */
	r = edit_csvin_new(s, EDIT_CSV_APPEND);
	CHECK_INT(edit_csvin_feed(r, "a\nb,,maybe\n", 11, err), 0);
	CHECK_INT(edit_plan_append(s, edit_csvin_doc(r), &p, err), -EINVAL);
	CHECK(strstr(err, "line 2") && strstr(err, "\"Done\""));
	edit_csvin_free(r);
	model_sheet_free(s);
}

int main(void)
{
	T(test_edit_diff_unchanged_sends_nothing);
	T(test_edit_diff_change_one_cell);
	T(test_edit_diff_insert_middle);
	T(test_edit_diff_delete);
	T(test_edit_diff_move_and_swap);
	T(test_edit_diff_changed_by_primary_then_order);
	T(test_edit_diff_duplicates);
	T(test_edit_diff_insert_after_parent);
	T(test_edit_diff_delete_parent);
	T(test_edit_diff_move_parent_away);
	T(test_edit_diff_refusals);
	T(test_edit_diff_header_and_empty);
	T(test_edit_diff_many_added_rows);
	T(test_edit_diff_json);
	T(test_edit_sim_locations);
	T(test_edit_diff_checkbox_empty_is_false);
	T(test_edit_lcs_and_lis);
	T(test_edit_plan_append);
	return t_run();
}
