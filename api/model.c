/*
 * The model's small helpers: freeing a sheet (its arena and two arrays),
 * column types by name, a row's cell by column (binary search), releasing
 * a list entry, a list or the user, and ISO-8601 times. Pure; any thread
 * (renderers, the cache, the parsers).
 */
#include "api/model.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/arena.h"

void model_sheet_free(struct model_sheet *s)
{
	if (!s)
		return;
	free(s->rows);
	free(s->cols);
	arena_free(s->arena);
	free(s);
}

static const struct {
	const char *name;
	enum model_col_type type;
} col_types[] = {
	{"TEXT_NUMBER", MODEL_COL_TEXT_NUMBER},
	{"DATE", MODEL_COL_DATE},
	{"DATETIME", MODEL_COL_DATETIME},
	{"ABSTRACT_DATETIME", MODEL_COL_ABSTRACT_DATETIME},
	{"CONTACT_LIST", MODEL_COL_CONTACT_LIST},
	{"MULTI_CONTACT_LIST", MODEL_COL_MULTI_CONTACT_LIST},
	{"CHECKBOX", MODEL_COL_CHECKBOX},
	{"PICKLIST", MODEL_COL_PICKLIST},
	{"MULTI_PICKLIST", MODEL_COL_MULTI_PICKLIST},
	{"DURATION", MODEL_COL_DURATION},
	{"PREDECESSOR", MODEL_COL_PREDECESSOR},
};

enum model_col_type model_col_type_from_name(const char *name)
{
	size_t i;

	for (i = 0; name && i < sizeof(col_types) / sizeof(col_types[0]); i++)
		if (strcmp(name, col_types[i].name) == 0)
			return col_types[i].type;
	return MODEL_COL_OTHER;
}

static const struct {
	const char *name;
	enum model_sys_col type;
} sys_cols[] = {
	{"AUTO_NUMBER", MODEL_SYS_AUTO_NUMBER},
	{"CREATED_DATE", MODEL_SYS_CREATED_DATE},
	{"CREATED_BY", MODEL_SYS_CREATED_BY},
	{"MODIFIED_DATE", MODEL_SYS_MODIFIED_DATE},
	{"MODIFIED_BY", MODEL_SYS_MODIFIED_BY},
};

enum model_sys_col model_sys_col_from_name(const char *name)
{
	size_t i;

	for (i = 0; name && i < sizeof(sys_cols) / sizeof(sys_cols[0]); i++)
		if (strcmp(name, sys_cols[i].name) == 0)
			return sys_cols[i].type;
	return MODEL_SYS_NONE;
}

bool model_locked_for_user(const struct model_sheet *s, bool locked)
{
	const char *a = s->access_level;

	if (!locked)
		return false;
	return !a || (strcmp(a, "OWNER") != 0 && strcmp(a, "ADMIN") != 0);
}

const struct model_cell *model_row_cell(const struct model_row *row,
					uint32_t col)
{
	uint32_t lo = 0, hi = row->ncells;

	/* Cells are sorted by column: a binary search. */
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (row->cells[mid].col == col)
			return &row->cells[mid];
		if (row->cells[mid].col < col)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void model_sheet_info_release(struct model_sheet_info *i)
{
	free(i->name);
	free(i->modified_at);
	free(i->access_level);
	free(i->permalink);
	memset(i, 0, sizeof(*i));
}

void model_sheet_list_release(struct model_sheet_list *l)
{
	size_t i;

	for (i = 0; i < l->count; i++)
		model_sheet_info_release(&l->items[i]);
	free(l->items);
	l->items = NULL;
	l->count = 0;
}

void model_user_release(struct model_user *u)
{
	free(u->email);
	free(u->name);
	u->email = NULL;
	u->name = NULL;
}

char *model_user_label(const struct model_user *u)
{
	char *s = NULL;

	if (asprintf(&s, "%s <%s>", u->name ? u->name : "",
		     u->email ? u->email : "") < 0)
		return NULL;
	return s;
}

static int digits(const char **p, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return -EINVAL;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

static int expect(const char **p, char c)
{
	if (**p != c)
		return -EINVAL;
	(*p)++;
	return 0;
}

int model_parse_time(const char *iso, int64_t *out)
{
	const char *p = iso;
	struct tm tm;
	int y, mo, d, h, mi, s, oh = 0, om = 0, sign = 0;
	time_t t;

	if (!iso)
		return -EINVAL;
	if (digits(&p, 4, &y) || expect(&p, '-') || digits(&p, 2, &mo) ||
	    expect(&p, '-') || digits(&p, 2, &d) || expect(&p, 'T') ||
	    digits(&p, 2, &h) || expect(&p, ':') || digits(&p, 2, &mi) ||
	    expect(&p, ':') || digits(&p, 2, &s))
		return -EINVAL;
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'Z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		p++;
		if (digits(&p, 2, &oh))
			return -EINVAL;
		if (*p == ':')
			p++;
		if (digits(&p, 2, &om))
			return -EINVAL;
	} else if (*p != '\0') {
		return -EINVAL;
	}
	if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || s > 60)
		return -EINVAL;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	t = timegm(&tm);
	*out = (int64_t)t - sign * (int64_t)(oh * 3600 + om * 60);
	return 0;
}
