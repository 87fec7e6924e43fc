#ifndef SSFS_EDIT_VALUES_H
#define SSFS_EDIT_VALUES_H

#include <stdbool.h>
#include <stdint.h>

#include "api/model.h"
#include "edit/doc.h"
#include "util/sbuf.h"

/*
 * A written field -> the cell value to send (SPEC §8 "Text to values").
 * The way back (a value -> its text, its request cell) is edit/cellout.h.
 * Pure; any thread.
 *
 * CSV text, by column type:
 * - empty: an empty cell (sent as "value": "", which clears it; Smartsheet
 *   turns a cleared CHECKBOX into false).
 * - TEXT_NUMBER: a number only when the text is exactly what render_number
 *   prints for that number (7, -2.5, 0.1, 1e+21), else text: 007, +5, .5,
 *   1E5, 12abc, 1.0 and NaN stay text. So does a number beyond
 *   Smartsheet's +-9007199254740992 (1e+21): strict mode would refuse it
 *   as a number (1148), as text it is kept and reads back as typed.
 * - CHECKBOX: true or false, else EINVAL.
 * - DATE: YYYY-MM-DD, a real date, else EINVAL. DATETIME and
 *   ABSTRACT_DATETIME: that, or YYYY-MM-DDTHH:MM:SS with an optional Z
 *   (the API's value string, as the CSV shows it), else EINVAL.
 * - PICKLIST, CONTACT_LIST, DURATION, PREDECESSOR and types this version
 *   does not know: text; Smartsheet checks them (strict).
 * - MULTI_PICKLIST: split on ", ", except that parts whose joined text is
 *   one of the column's options stay one value (the longest such run, from
 *   the left: "Dog, Hot" alone or in "Dog, Hot, Cat"); sent as objectValue
 *   MULTI_PICKLIST.
 * - MULTI_CONTACT_LIST: emails separated by ", " (a part without "@" is
 *   EINVAL); sent as objectValue MULTI_CONTACT.
 * Text is at most 4000 characters (Smartsheet would cut it silently) and
 * valid UTF-8, else EINVAL.
 *
 * values=display: the CSV showed displayValues. Only cells whose text
 * changed are ever sent, and a changed text is read by the rules above: a
 * TEXT_NUMBER cell showing "$1,234.50" that becomes "$1,300.00" is sent as
 * that text (it is not what render_number prints), so the cell becomes
 * text; write 1300 to keep a number. A contact column shows names: a
 * changed CONTACT_LIST cell goes as written and Smartsheet (strict) takes
 * only an email; a changed MULTI_CONTACT_LIST cell must hold emails.
 *
 * JSON values (the canonical text edit/jsonin.c stores, see doc.h), by
 * their JSON type: a string is text as above, except that in a
 * TEXT_NUMBER column it stays a string whatever it holds; a number is a
 * number in a TEXT_NUMBER column, its render_number text elsewhere, EINVAL
 * in a CHECKBOX column; true/false only in a CHECKBOX column; an array of
 * strings only in a MULTI_PICKLIST column; an array of {"name", "email"}
 * only in a MULTI_CONTACT_LIST column; null, [] or an absent cell: empty.
 *
 * Errors: -EINVAL with err "line N, column "Title": why"; -ENOMEM.
 */

#define EDIT_MAX_CELL_CHARS 4000
#define EDIT_MAX_NUMBER 9007199254740992.0 /* 2^53 */

enum edit_val_kind {
	EDIT_VAL_EMPTY = 0, /* clears the cell */
	EDIT_VAL_STRING,
	EDIT_VAL_NUMBER,
	EDIT_VAL_BOOL,
	EDIT_VAL_PICKS,	   /* objectValue MULTI_PICKLIST: items */
	EDIT_VAL_CONTACTS, /* objectValue MULTI_CONTACT: items are emails */
};

/* A value to send. Its strings live in the arena given to the parse. */
struct edit_value {
	enum edit_val_kind kind;
	bool flag;	    /* BOOL */
	double num;	    /* NUMBER: finite, |num| <= EDIT_MAX_NUMBER */
	const char *str;    /* STRING */
	uint32_t count;	    /* PICKS, CONTACTS: at least 1 */
	const char **items; /* PICKS: the values; CONTACTS: the emails */
	const char **names; /* CONTACTS: a name or NULL each; NULL: no names */
};

struct arena;

/* A CSV field of column col (line: for the message) -> *out. */
int edit_value_from_text(const struct model_column *col, const char *text,
			 uint32_t line, struct arena *a, struct edit_value *out,
			 char *err) SSFS_WUR;

/* A JSON cell in canonical form (doc.h) of column col -> *out. */
int edit_value_from_json(const struct model_column *col, const char *json,
			 uint32_t line, struct arena *a, struct edit_value *out,
			 char *err) SSFS_WUR;

#endif /* SSFS_EDIT_VALUES_H */
