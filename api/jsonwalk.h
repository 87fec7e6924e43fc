#ifndef SSFS_API_JSONWALK_H
#define SSFS_API_JSONWALK_H

#include <locale.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/compat.h"

/*
 * The one yajl skeleton under api/'s parsers (the sheet, list pages, the
 * user): a streaming walk over one JSON document. The walk keeps the path,
 * a stack of the containers the document's handler chose to enter, each
 * with the key being read in it, and skips everything else by counting
 * depth, so memory grows with what the handler keeps, not with the text.
 * Text may be fed in pieces of any size: a key, string or number split
 * across pieces reaches the handler whole (yajl buffers it).
 *
 * The document must be an object; the walk enters it as frame ops->root
 * (anything else is -EIO, "top level is ..., not an object"). The handler
 * (struct jsonwalk_ops) then sees:
 *   key(ctx, frame, k, len)    a key of an object it entered (frame is that
 *                              object's kind); returns the key's number
 *                              (0 when of no interest), which the walk
 *                              passes back with the value that follows;
 *   value(ctx, frame, key, v)  a scalar, or the start of a container, in
 *                              the container at the top of the stack (key
 *                              0 in arrays). To walk into a container it
 *                              calls jsonwalk_enter(); one it does not
 *                              enter is skipped whole;
 *   end(ctx, frame)            a container it entered ended, the
 *                              document's object last (already off the
 *                              stack);
 *   where(ctx, frames, n, ...) optional: the place, for messages, from the
 *                              kinds of the n entered containers.
 * value and end return 1 to go on, or 0 to stop after jsonwalk_fail().
 *
 * Errors are sticky: the first failure (a handler's jsonwalk_fail, a
 * container nested deeper than max_depth, yajl's own complaint) is logged
 * once at debug level, "<name> JSON: <where>: <message>" (yajl's without
 * the place), and every later feed or finish returns it.
 *
 * A walk is used by one thread at a time (the caller's; for the sheet, the
 * feed's parser thread).
 */

/* Containers entered at once (the document's object included). */
#define JSONWALK_MAX_FRAMES 16

enum jsonwalk_type {
	JSONWALK_TYPE_NULL,
	JSONWALK_TYPE_BOOL,
	JSONWALK_TYPE_NUMBER,
	JSONWALK_TYPE_STRING,
	JSONWALK_TYPE_MAP,  /* the start of an object */
	JSONWALK_TYPE_ARRAY /* the start of an array */
};

/* One value as the handler sees it; s points into yajl's buffer and is
 * valid only during the call. */
struct jsonwalk_value {
	enum jsonwalk_type type;
	const char *s; /* NUMBER: its text; STRING: the decoded bytes (may
			* hold NUL); not NUL-terminated */
	size_t len;
	bool b;        /* BOOL */
};

struct jsonwalk_ops {
	int (*key)(void *ctx, int frame, const char *k, size_t len);
	int (*value)(void *ctx, int frame, int key,
		     const struct jsonwalk_value *v);
	int (*end)(void *ctx, int frame);
	void (*where)(void *ctx, const int *frames, int n, char *buf,
		      size_t size);
	int root;               /* the document's frame kind (> 0) */
	const char *name;       /* "sheet": messages say "sheet JSON: ..." */
	int max_depth;          /* containers open at once, skipped or not */
	size_t max_token_bytes; /* a feed that runs no callback may leave at
				 * most this much in yajl's buffer; 0: no
				 * bound */
};

struct jsonwalk;

/* A walk ready for a document. ops (borrowed, must outlive the walk) and
 * ctx go to every call. NULL when out of memory. */
struct jsonwalk *jsonwalk_new(const struct jsonwalk_ops *ops, void *ctx);
void jsonwalk_free(struct jsonwalk *w);

/* Forget the document and the error: start over. 0 or -ENOMEM (then
 * sticky). */
int jsonwalk_reset(struct jsonwalk *w) SSFS_WUR;

/* The next piece of text. 0 or the walk's error. */
int jsonwalk_feed(struct jsonwalk *w, const char *data, size_t n) SSFS_WUR;

/* The text is complete: 0 when it held one whole document, else the
 * walk's error (-EIO for an incomplete document). */
int jsonwalk_finish(struct jsonwalk *w) SSFS_WUR;

/* From value(), for a MAP or ARRAY: walk into it as frame kind (> 0).
 * Returns 1, or 0 after failing (JSONWALK_MAX_FRAMES). */
int jsonwalk_enter(struct jsonwalk *w, int frame);

/* Record the walk's error (the first one wins) and log it with the place;
 * returns 0, for "return jsonwalk_fail(...)" in a handler. */
int jsonwalk_fail(struct jsonwalk *w, int err, const char *fmt, ...)
	SSFS_PRINTF(3, 4);

/* Record err without a message (the caller has nothing to add). */
void jsonwalk_set_error(struct jsonwalk *w, int err);

/* The sticky error, 0 while none. */
int jsonwalk_error(const struct jsonwalk *w);

/* "null", "a boolean", "a number", "a string", "an object", "an array". */
const char *jsonwalk_type_name(enum jsonwalk_type t);

/*
 * Scalars, exactly. A number's text to an int64, never through a double:
 * 0, -EINVAL (not an integer) or -ERANGE. *out untouched on failure.
 */
int jsonwalk_parse_int64(const char *digits, size_t len,
			 int64_t *out) SSFS_WUR;

/*
 * A JSON number's text (yajl checked the grammar) to the nearest double,
 * as strtod would in the "C" locale c_locale. 0, -ERANGE (not finite) or
 * -ENOMEM.
 */
int jsonwalk_parse_double(const char *s, size_t len, locale_t c_locale,
			  double *out) SSFS_WUR;

/*
 * Decoded string bytes as model text: \u0000 (a NUL byte from yajl) and a
 * lone surrogate (which yajl decodes to the invalid UTF-8 ED A0..BF xx)
 * become U+FFFD. text_len gives the copy's length without the terminator
 * (len exactly when s holds no NUL); text_copy writes those dlen bytes and
 * a NUL to d. text_fix replaces lone surrogates in place, in a copy made
 * otherwise of a string without NUL.
 */
size_t jsonwalk_text_len(const char *s, size_t len);
void jsonwalk_text_copy(char *d, const char *s, size_t len, size_t dlen);
void jsonwalk_text_fix(char *d, size_t len);

#endif /* SSFS_API_JSONWALK_H */
