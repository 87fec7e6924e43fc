#ifndef SSFS_API_MODEL_H
#define SSFS_API_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The Smartsheet data model as smartsheetfs keeps it: compact, immutable once
 * built, one arena per sheet. Every string and array below lives in the
 * sheet's arena and is freed with it by model_sheet_free(); nothing points
 * into a JSON tree. Ids are exact int64 values (never through a double).
 * Strings are UTF-8 and NUL-terminated; a string may itself contain no NUL
 * (the parser replaces \u0000 with U+FFFD).
 */

enum model_col_type {
	MODEL_COL_OTHER = 0, /* a type this version does not know */
	MODEL_COL_TEXT_NUMBER,
	MODEL_COL_DATE,
	MODEL_COL_DATETIME,
	MODEL_COL_ABSTRACT_DATETIME,
	MODEL_COL_CONTACT_LIST,
	MODEL_COL_MULTI_CONTACT_LIST,
	MODEL_COL_CHECKBOX,
	MODEL_COL_PICKLIST,
	MODEL_COL_MULTI_PICKLIST,
	MODEL_COL_DURATION,
	MODEL_COL_PREDECESSOR,
};

/* A column's systemColumnType: Smartsheet computes these cells. */
enum model_sys_col {
	MODEL_SYS_NONE = 0, /* not a system column (or a type unknown here) */
	MODEL_SYS_AUTO_NUMBER,
	MODEL_SYS_CREATED_DATE,
	MODEL_SYS_CREATED_BY,
	MODEL_SYS_MODIFIED_DATE,
	MODEL_SYS_MODIFIED_BY,
};

struct model_column {
	int64_t id;
	const char *title;     /* never NULL ("" when the API sent none) */
	const char *type_name; /* the API's type string as sent, never NULL */
	enum model_col_type type;
	bool primary;
	bool hidden;
	/* For write-back (SPEC §8); zero when the API sent none of them. */
	enum model_sys_col system_type; /* systemColumnType */
	bool formula;         /* the column has a column formula */
	bool locked;          /* "locked" as sent (see model_locked_for_user) */
	const char **options; /* PICKLIST / MULTI_PICKLIST options, or NULL */
	uint32_t noptions;
};

/* The JSON type of a cell's "value". */
enum model_val {
	MODEL_VAL_NONE = 0, /* no "value" (or null): an empty cell */
	MODEL_VAL_STRING,
	MODEL_VAL_NUMBER,
	MODEL_VAL_BOOL,
};

/* One contact of a MULTI_CONTACT objectValue. */
struct model_contact {
	const char *name;  /* NULL when the contact has no name */
	const char *email; /* NULL when the contact has no email */
};

/*
 * The array form of a cell's objectValue, kept only for MULTI_PICKLIST
 * ("values": [strings]) and MULTI_CONTACT ("values": [contacts]).
 */
struct model_multi {
	bool contacts; /* true: contacts[], false: strings[] */
	uint32_t count;
	union {
		const char **strings;
		struct model_contact *contacts;
	} v;
};

struct model_cell {
	uint32_t col;          /* index into sheet->cols */
	uint8_t kind;          /* enum model_val */
	bool flag;             /* the value when kind == MODEL_VAL_BOOL */
	double num;            /* the value when kind == MODEL_VAL_NUMBER */
	const char *str;       /* the value when kind == MODEL_VAL_STRING */
	const char *display;   /* displayValue, or NULL */
	const struct model_multi *multi; /* objectValue array, or NULL */
	bool formula;          /* the cell holds a formula (SPEC §8) */
};

struct model_row {
	int64_t id;
	int64_t parent_id; /* 0 when the row has no parent */
	int64_t row_number;
	int64_t sheet_id;  /* a report row's source sheet; 0 in a sheet */
	/* Cells that carry a value, a displayValue or an objectValue, sorted by
	 * col, at most one per column. Empty cells are left out. */
	struct model_cell *cells;
	uint32_t ncells;
	bool locked; /* "locked" as sent (see model_locked_for_user) */
};

/*
 * A sheet, or a report (is_report, SPEC §7): then each column's id is the
 * report column's virtualId, each row's sheet_id its source sheet (and
 * parent_id 0), version is -1 and total_row_count is the report's.
 */
struct model_sheet {
	int64_t id;
	bool is_report;
	const char *name;        /* never NULL */
	int64_t version;         /* -1 when the API sent none */
	const char *permalink;   /* NULL when absent */
	const char *modified_at; /* ISO-8601 as sent, NULL when absent */
	int64_t total_row_count; /* -1 when absent */
	const char *access_level; /* accessLevel as sent, NULL when absent */
	struct model_column *cols;
	size_t ncols;
	struct model_row *rows;
	size_t nrows;
	struct arena *arena; /* owns everything above */
};

void model_sheet_free(struct model_sheet *s);

/* Column type from the API's type string; MODEL_COL_OTHER if unknown. */
enum model_col_type model_col_type_from_name(const char *name);

/* systemColumnType from the API's string; MODEL_SYS_NONE if unknown/NULL. */
enum model_sys_col model_sys_col_from_name(const char *name);

/*
 * Whether something marked locked is locked for the sheet's user: Smartsheet
 * lets OWNER and ADMIN edit locked rows and columns. An unknown access level
 * counts as neither, so locked stays locked.
 */
bool model_locked_for_user(const struct model_sheet *s, bool locked);

/* Borrowed pointer to the row's cell for column index col, or NULL. */
const struct model_cell *model_row_cell(const struct model_row *row,
					uint32_t col);

/* What a list entry is (SPEC §7): a file (sheet, report) or a folder. */
enum model_kind {
	MODEL_KIND_SHEET = 0,
	MODEL_KIND_REPORT,
	MODEL_KIND_FOLDER,
	MODEL_KIND_WORKSPACE,
};

/* One entry of a list: GET /sheets, /reports, /workspaces, or a
 * workspace's or folder's children. */
struct model_sheet_info {
	int64_t id;
	char *name;        /* never NULL */
	char *modified_at; /* NULL when absent */
	char *access_level;/* NULL when absent */
	int64_t version;   /* -1 unless the list was asked for versions */
	enum model_kind kind;
	char *permalink;   /* NULL when absent */
};

/* Free an entry's strings (and zero it); a second call does nothing. */
void model_sheet_info_release(struct model_sheet_info *i);

struct model_sheet_list {
	struct model_sheet_info *items;
	size_t count;
};

void model_sheet_list_release(struct model_sheet_list *l);

/* The current user (GET /users/me). */
struct model_user {
	int64_t id;
	char *email; /* NULL when absent */
	char *name;  /* "First Last" or NULL */
};

void model_user_release(struct model_user *u);
/* "Name <email>" for the status file: a new string (caller frees), NULL
 * when out of memory. */
char *model_user_label(const struct model_user *u);

/*
 * Parse an ISO-8601 UTC timestamp ("2024-05-05T05:05:05Z", also with a
 * fraction or a +hh:mm offset) into seconds since the epoch. Returns 0 and
 * writes *out, or -EINVAL.
 */
int model_parse_time(const char *iso, int64_t *out);

#endif /* SSFS_API_MODEL_H */
