/*
 * Speed and memory of a save's parse and diff (edit/): a sheet of ROWS x
 * COLS built in memory, its CSV (and JSON) as render/ writes it with one
 * cell changed in the middle row, then parse + diff timed (best of RUNS)
 * and the peak memory they add (getrusage's high-water mark before and
 * after the first run). Also a whole-sheet reordering (reversed rows).
 *
 *   make bench-edit            (20000 x 25, best of 5, each case alone)
 *   build/bench/edit_bench [ROWS [COLS [RUNS [csv|json|reversed]]]]
 * One case per process, so that the memory high-water mark is its own.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "api/model.h"
#include "edit/csvin.h"
#include "edit/diff.h"
#include "edit/jsonin.h"
#include "render/csv.h"
#include "render/json.h"
#include "util/arena.h"
#include "util/sbuf.h"

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static long maxrss_kb(void)
{
	struct rusage u;

	getrusage(RUSAGE_SELF, &u);
	return u.ru_maxrss;
}

static struct model_sheet *make(size_t rows, size_t cols)
{
	struct model_sheet *s = calloc(1, sizeof(*s));
	uint64_t x = 88172645463325252u;
	size_t i, c;
	char buf[64];

	s->arena = arena_new();
	s->name = "Big";
	s->cols = calloc(cols, sizeof(*s->cols));
	s->ncols = cols;
	for (c = 0; c < cols; c++) {
		snprintf(buf, sizeof(buf), "Column %zu", c + 1);
		s->cols[c].id = 5000 + (int64_t)c;
		s->cols[c].title = arena_strdup(s->arena, buf);
		s->cols[c].type_name = "TEXT_NUMBER";
		s->cols[c].type =
		    c % 5 == 4 ? MODEL_COL_CHECKBOX : MODEL_COL_TEXT_NUMBER;
		s->cols[c].primary = c == 0;
	}
	s->rows = calloc(rows, sizeof(*s->rows));
	s->nrows = rows;
	for (i = 0; i < rows; i++) {
		struct model_row *r = &s->rows[i];

		r->id = 1000000 + (int64_t)i;
		r->row_number = (int64_t)i + 1;
		r->parent_id = i % 10 ? 1000000 + (int64_t)(i - i % 10) : 0;
		r->cells = arena_alloc(s->arena, cols * sizeof(*r->cells));
		for (c = 0; c < cols; c++) {
			struct model_cell *cell = &r->cells[r->ncells++];

			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			memset(cell, 0, sizeof(*cell));
			cell->col = (uint32_t)c;
			if (s->cols[c].type == MODEL_COL_CHECKBOX) {
				cell->kind = MODEL_VAL_BOOL;
				cell->flag = x & 1;
			} else if (c % 3 == 1) {
				cell->kind = MODEL_VAL_NUMBER;
				cell->num = (double)(x % 1000000) / 100;
			} else {
				snprintf(buf, sizeof(buf), "text %zu-%zu %llx",
					 i, c, (unsigned long long)(x % 65536));
				cell->kind = MODEL_VAL_STRING;
				cell->str = arena_strdup(s->arena, buf);
			}
		}
	}
	return s;
}

/* Parse text whole and diff it; seconds of each in *tp, *td. */
static int run(const struct model_sheet *s, const struct sbuf *text, bool json,
	       double *tp, double *td, size_t *nreqs)
{
	struct edit_csvin *c = json ? NULL : edit_csvin_new(s, EDIT_CSV_EDIT);
	struct edit_jsonin *j = json ? edit_jsonin_new(s) : NULL;
	struct edit_plan *p = NULL;
	char err[EDIT_ERR_MAX] = "";
	double t0 = now(), t1;
	size_t off, k;
	int rc = 0;

	/* In the 128 KiB pieces FUSE writes come in. */
	for (off = 0; !rc && off < text->len; off += k) {
		k = text->len - off < 131072 ? text->len - off : 131072;
		rc = json ? edit_jsonin_feed(j, text->buf + off, k, err)
			  : edit_csvin_feed(c, text->buf + off, k, err);
	}
	if (!rc)
		rc = json ? edit_jsonin_finish(j, err)
			  : edit_csvin_finish(c, err);
	t1 = now();
	if (!rc)
		rc = edit_diff(s, json ? edit_jsonin_doc(j) : edit_csvin_doc(c),
			       NULL, &p, err);
	*tp = t1 - t0;
	*td = now() - t1;
	*nreqs = p ? p->nreqs : 0;
	if (rc)
		fprintf(stderr, "edit_bench: %d %s\n", rc, err);
	edit_plan_free(p);
	edit_csvin_free(c);
	edit_jsonin_free(j);
	return rc;
}

static void measure(const char *what, const struct model_sheet *s,
		    const struct sbuf *text, bool json, int runs)
{
	double tp, td, bp = 1e9, bd = 1e9;
	long before = maxrss_kb(), after = before;
	size_t nreqs = 0;
	int i;

	for (i = 0; i < runs; i++) {
		if (run(s, text, json, &tp, &td, &nreqs))
			exit(1);
		if (i == 0)
			after = maxrss_kb();
		bp = tp < bp ? tp : bp;
		bd = td < bd ? td : bd;
	}
	printf("%-34s %9.1f MB  parse %7.1f ms  diff %7.1f ms  total %7.1f "
	       "ms  peak +%.1f MB (%.2fx the text)  %zu request%s\n",
	       what, (double)text->len / 1e6, bp * 1e3, bd * 1e3,
	       (bp + bd) * 1e3, (double)(after - before) / 1024,
	       (double)(after - before) * 1024 / (double)text->len, nreqs,
	       nreqs == 1 ? "" : "s");
}

/* Change the text of the cell in the middle row: "text " -> "TEXT ". */
static void change_middle(struct sbuf *t, size_t rows)
{
	char key[64], *p;

	snprintf(key, sizeof(key), "text %zu-", rows / 2);
	p = strstr(t->buf, key);
	if (p)
		memcpy(p, "TEXT", 4);
}

int main(int argc, char **argv)
{
	size_t rows = argc > 1 ? strtoul(argv[1], NULL, 10) : 20000;
	size_t cols = argc > 2 ? strtoul(argv[2], NULL, 10) : 25;
	int runs = argc > 3 ? atoi(argv[3]) : 5;
	const char *only = argc > 4 ? argv[4] : "";
	struct model_sheet *s = make(rows, cols);
	struct sbuf csv = SBUF_INIT(0), json = SBUF_INIT(0), rev = SBUF_INIT(0);
	size_t i, n;
	char *line;

	if (render_csv(s, NULL, &csv) || render_json(s, &json))
		return 1;
	change_middle(&csv, rows);
	change_middle(&json, rows);
	if (!*only)
		printf("edit_bench: %zu rows x %zu columns, best of %d\n", rows,
		       cols, runs);
	if (!*only || !strcmp(only, "csv"))
		measure("CSV, one cell changed", s, &csv, false, runs);
	if (!*only || !strcmp(only, "json"))
		measure("JSON, one cell changed", s, &json, true, runs);
	if (*only && strcmp(only, "reversed"))
		goto out;
	/* The rows reversed (CSV): a worst case for the row order. */
	(void)!sbuf_add(&rev, csv.buf, strcspn(csv.buf, "\n") + 1);
	for (n = csv.len - 1; n > 0; n--) {
		if (csv.buf[n - 1] != '\n')
			continue;
		line = csv.buf + n;
		(void)!sbuf_add(&rev, line, strcspn(line, "\n") + 1);
		if (line == csv.buf + strcspn(csv.buf, "\n") + 1)
			break;
	}
	for (i = 0; i < s->nrows; i++)
		s->rows[i].parent_id = 0; /* else it refuses nothing but */
	measure("CSV, every row reversed", s, &rev, false, 1);
out:
	sbuf_release(&csv);
	sbuf_release(&json);
	sbuf_release(&rev);
	model_sheet_free(s);
	return 0;
}
