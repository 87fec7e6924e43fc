/*
 * CSV text -> rows (edit/csvin.h): libcsv's strict parser with nothing
 * trimmed, line ends counted by hand (libcsv reports every CR and LF, so a
 * CRLF pair is folded here), the header checked against the sheet's titles.
 * Contract: records complete when feed returns. Threads: one reader per
 * thread at a time; pure.
 */
#include "edit/csvin.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "util/sbuf.h"

static const unsigned char bom[3] = {0xEF, 0xBB, 0xBF};

struct edit_csvin {
	const struct model_sheet *s;
	enum edit_csv_mode mode;
	struct csv_parser p;
	bool p_ok; /* csv_init succeeded */
	struct edit_doc doc;
	struct sbuf rec;   /* the record being read: NUL-separated fields */
	size_t nfields;	   /* fields in rec */
	bool header_done;  /* EDIT_CSV_EDIT: the header was read */
	bool any;	   /* some record was read (the header too) */
	bool prev_cr;	   /* the last event was a record ended by CR */
	uint32_t line;	   /* the physical line being read (1-based) */
	uint32_t rec_line; /* where the record being read started */
	unsigned bom_seen; /* bytes of the BOM matched so far */
	bool bom_done;	   /* past the place a BOM could be */
	int rc;		   /* the first failure, or 0 */
	char *err;	   /* the caller's err of the current call */
};

/* libcsv trims spaces and tabs around unquoted fields; render/ does not
 * write them that way, so nothing is a space here. */
static int no_space(unsigned char c)
{
	(void)c;
	return 0;
}

/* libcsv grows one buffer for the field being read: cap it (STYLE O3). */
static void *capped_realloc(void *p, size_t n)
{
	if (n > EDIT_MAX_FIELD_BYTES + 256)
		return NULL;
	return realloc(p, n);
}

static void fail(struct edit_csvin *r, int rc)
{
	if (!r->rc)
		r->rc = rc;
}

/* Line ends inside a quoted field: LF, CRLF and a lone CR count once. */
static uint32_t count_lines(const char *f, size_t n)
{
	uint32_t k = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (f[i] == '\n' ||
		    (f[i] == '\r' && (i + 1 == n || f[i + 1] != '\n')))
			k++;
	return k;
}

static void on_field(void *data, size_t n, void *arg)
{
	struct edit_csvin *r = arg;
	const char *f = data ? data : "";
	int rc;

	r->prev_cr = false;
	if (r->rc)
		return;
	if (memchr(f, '\0', n)) {
		fail(r, edit_errf(r->err, r->rec_line,
				  "a field holds a NUL byte"));
		return;
	}
	/* The header may be longer than the sheet (it is refused whole);
	 * a record may not. One field more is enough to say so. */
	if (r->nfields > r->s->ncols) {
		r->line += count_lines(f, n);
		return;
	}
	rc = sbuf_add(&r->rec, f, n);
	if (!rc)
		rc = sbuf_addch(&r->rec, '\0');
	if (rc) {
		fail(r, rc);
		return;
	}
	r->nfields++;
	r->line += count_lines(f, n);
}

static int check_header(struct edit_csvin *r)
{
	const struct model_sheet *s = r->s;
	const char *f = r->rec.buf;
	char a[EDIT_SHORT_MAX], b[EDIT_SHORT_MAX];
	size_t i;

	for (i = 0; i < s->ncols && i < r->nfields; i++) {
		if (strcmp(f, s->cols[i].title) != 0)
			return edit_errf(
			    r->err, r->rec_line,
			    "the columns must be the sheet's, in "
			    "this order: column %zu is \"%s\", not "
			    "\"%s\"",
			    i + 1, edit_short(a, f),
			    edit_short(b, s->cols[i].title));
		f = edit_next_field(f);
	}
	if (r->nfields > s->ncols)
		return edit_errf(r->err, r->rec_line,
				 "the columns must be the sheet's, in this "
				 "order: there are more than its %zu",
				 s->ncols);
	if (r->nfields < s->ncols)
		return edit_errf(r->err, r->rec_line,
				 "the columns must be the sheet's, in this "
				 "order: \"%s\" (column %zu) is missing",
				 edit_short(a, s->cols[i].title), i + 1);
	return 0;
}

/* A record is complete: check it and add it to the doc. */
static void end_record(struct edit_csvin *r)
{
	size_t ncols = r->s->ncols;
	int rc = 0;

	/* A sheet with no columns renders an empty line per record. */
	if (ncols == 0 && r->nfields == 1 && r->rec.len == 1)
		r->nfields = 0;
	if (r->mode == EDIT_CSV_EDIT && !r->header_done) {
		rc = check_header(r);
		r->header_done = true;
	} else if (r->nfields > ncols) {
		rc = edit_errf(r->err, r->rec_line,
			       "more fields than the sheet's %zu columns",
			       ncols);
	} else if (r->nfields < ncols && r->mode == EDIT_CSV_EDIT) {
		rc = edit_errf(r->err, r->rec_line,
			       "%zu field%s, but the sheet has %zu columns "
			       "(every line needs all of them)",
			       r->nfields, r->nfields == 1 ? "" : "s", ncols);
	} else {
		/* Append: the fields not given are empty. */
		while (!rc && r->nfields < ncols) {
			rc = sbuf_addch(&r->rec, '\0');
			r->nfields++;
		}
		if (!rc)
			rc = edit_doc_add(&r->doc, 0, r->rec_line, r->rec.buf,
					  r->rec.len);
	}
	if (rc)
		fail(r, rc);
	r->any = true;
	sbuf_reset(&r->rec);
	r->nfields = 0;
}

static void on_record(int c, void *arg)
{
	struct edit_csvin *r = arg;
	bool was_cr = r->prev_cr;

	r->prev_cr = c == CSV_CR;
	if (r->rc)
		return;
	/* libcsv reports the LF of a CRLF as a record of its own. */
	if (c == CSV_LF && was_cr && r->nfields == 0)
		return;
	/* An empty line: one empty field (a one-column sheet's empty row). */
	if (r->nfields == 0) {
		on_field(NULL, 0, r);
		r->prev_cr = c == CSV_CR;
	}
	end_record(r);
	if (c != -1)
		r->line++;
	r->rec_line = r->line;
}

struct edit_csvin *edit_csvin_new(const struct model_sheet *s,
				  enum edit_csv_mode mode)
{
	struct edit_csvin *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->s = s;
	r->mode = mode;
	r->line = r->rec_line = 1;
	sbuf_init(&r->rec, EDIT_MAX_FIELD_BYTES * 2 + s->ncols + 16);
	if (edit_doc_init(&r->doc, EDIT_FMT_CSV, s->ncols) ||
	    csv_init(&r->p, CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL)) {
		edit_csvin_free(r);
		return NULL;
	}
	r->p_ok = true;
	csv_set_space_func(&r->p, no_space);
	csv_set_realloc_func(&r->p, capped_realloc);
	return r;
}

void edit_csvin_free(struct edit_csvin *r)
{
	if (!r)
		return;
	if (r->p_ok)
		csv_free(&r->p);
	edit_doc_release(&r->doc);
	sbuf_release(&r->rec);
	free(r);
}

struct edit_doc *edit_csvin_doc(struct edit_csvin *r)
{
	return &r->doc;
}

static int parse(struct edit_csvin *r, const unsigned char *d, size_t n)
{
	size_t done = csv_parse(&r->p, d, n, on_field, on_record, r);

	if (r->rc)
		return r->rc;
	if (done < n) {
		if (csv_error(&r->p) == CSV_EPARSE)
			fail(r, edit_errf(r->err, r->rec_line,
					  "a quote inside an unquoted field, "
					  "or text after a closing quote"));
		else if (csv_get_buffer_size(&r->p) >= EDIT_MAX_FIELD_BYTES)
			fail(r, edit_errf(r->err, r->rec_line,
					  "a field of more than %zu bytes",
					  EDIT_MAX_FIELD_BYTES));
		else
			fail(r, -ENOMEM);
	}
	return r->rc;
}

int edit_csvin_feed(struct edit_csvin *r, const void *data, size_t len,
		    char *err)
{
	const unsigned char *d = data;
	int rc;

	r->err = err;
	if (r->rc)
		return r->rc;
	/* A byte order mark may only open the text, maybe split over feeds. */
	while (!r->bom_done && len) {
		if (*d != bom[r->bom_seen]) {
			r->bom_done = true;
			rc = parse(r, bom, r->bom_seen);
			if (rc)
				return rc;
			break;
		}
		d++;
		len--;
		if (++r->bom_seen == sizeof(bom))
			r->bom_done = true;
	}
	return parse(r, d, len);
}

int edit_csvin_finish(struct edit_csvin *r, char *err)
{
	int rc;

	r->err = err;
	if (r->rc)
		return r->rc;
	if (!r->bom_done) {
		r->bom_done = true;
		rc = parse(r, bom, r->bom_seen);
		if (rc)
			return rc;
	}
	if (csv_fini(&r->p, on_field, on_record, r) != 0 && !r->rc)
		fail(r, csv_error(&r->p) == CSV_EPARSE
			    ? edit_errf(err, r->rec_line,
					"a quoted field is not closed")
			    : -EINVAL);
	if (!r->rc && r->mode == EDIT_CSV_EDIT && !r->any)
		fail(r, edit_errf(err, 0,
				  "the text is empty: a sheet file needs at "
				  "least its header line"));
	return r->rc;
}
