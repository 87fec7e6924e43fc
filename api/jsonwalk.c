/*
 * The shared yajl skeleton of api/'s parsers (contract in jsonwalk.h):
 * yajl's callbacks become handler calls with the frame and key at the top
 * of the path; skipping, depth, sticky errors and yajl's buffer bound live
 * here once, with the exact scalar conversions. Runs on the thread feeding
 * the walk (FUSE or prefetch worker, main thread, the feed's thread).
 */
#include "api/jsonwalk.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "util/log.h"

struct jsonwalk {
	const struct jsonwalk_ops *ops;
	void *ctx;
	yajl_handle h;
	int err;     /* sticky: the first failure */
	bool done;   /* the document's object ended */
	bool called; /* a callback ran during this feed */
	size_t gap;  /* bytes fed since a piece that ran a callback */
	int skip;    /* containers open inside a skipped value */
	int nframes; /* containers entered */
	int frame[JSONWALK_MAX_FRAMES];
	int key[JSONWALK_MAX_FRAMES]; /* the key being read in each */
};

static const char *const type_names[] = {
	"null", "a boolean", "a number", "a string", "an object", "an array",
};

const char *jsonwalk_type_name(enum jsonwalk_type t)
{
	return type_names[t];
}

int jsonwalk_fail(struct jsonwalk *w, int err, const char *fmt, ...)
{
	char at[128], msg[160];
	va_list ap;

	if (w->err)
		return 0;
	w->err = err;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!w->ops->where) {
		log_debug("%s JSON: %s", w->ops->name, msg);
		return 0;
	}
	at[0] = '\0';
	w->ops->where(w->ctx, w->frame, w->nframes, at, sizeof(at));
	log_debug("%s JSON: %s: %s", w->ops->name, at[0] ? at : "top level",
		  msg);
	return 0;
}

void jsonwalk_set_error(struct jsonwalk *w, int err)
{
	if (!w->err)
		w->err = err;
}

int jsonwalk_error(const struct jsonwalk *w)
{
	return w->err;
}

int jsonwalk_enter(struct jsonwalk *w, int frame)
{
	if (w->nframes >= JSONWALK_MAX_FRAMES)
		return jsonwalk_fail(w, -EIO, "nested deeper than %d",
				     w->ops->max_depth);
	w->frame[w->nframes] = frame;
	w->key[w->nframes] = 0;
	w->nframes++;
	return 1;
}

/* Hand v to the handler, with the frame and key at the top of the path. */
static inline int dispatch(struct jsonwalk *w,
			   const struct jsonwalk_value *v)
{
	int top = w->nframes - 1;

	return w->ops->value(w->ctx, w->frame[top], w->key[top], v);
}

/* The document's own value: an object, walked as ops->root. */
static int on_document(struct jsonwalk *w, enum jsonwalk_type t)
{
	if (t != JSONWALK_TYPE_MAP)
		return jsonwalk_fail(w, -EIO, "top level is %s, not an object",
				     jsonwalk_type_name(t));
	return jsonwalk_enter(w, w->ops->root);
}

static int on_scalar(struct jsonwalk *w, const struct jsonwalk_value *v)
{
	w->called = true;
	if (w->skip)
		return 1;
	if (!w->nframes)
		return on_document(w, v->type);
	return dispatch(w, v);
}

static int on_start(struct jsonwalk *w, enum jsonwalk_type t)
{
	struct jsonwalk_value v = {.type = t};
	int before = w->nframes;

	w->called = true;
	if (w->nframes + w->skip >= w->ops->max_depth)
		return jsonwalk_fail(w, -EIO, "nested deeper than %d",
				     w->ops->max_depth);
	if (w->skip) {
		w->skip++;
		return 1;
	}
	if (!w->nframes)
		return on_document(w, t);
	if (!dispatch(w, &v))
		return 0;
	if (w->nframes == before)
		w->skip = 1; /* not entered: skip it whole */
	return 1;
}

static int cb_end(void *ctx)
{
	struct jsonwalk *w = ctx;
	int f;

	w->called = true;
	if (w->skip) {
		w->skip--;
		return 1;
	}
	if (!w->nframes)
		return jsonwalk_fail(w, -EIO, "bad state");
	f = w->frame[--w->nframes];
	w->done = !w->nframes; /* the document's object ended */
	return w->ops->end(w->ctx, f);
}

static int cb_null(void *ctx)
{
	struct jsonwalk_value v = {.type = JSONWALK_TYPE_NULL};

	return on_scalar(ctx, &v);
}

static int cb_boolean(void *ctx, int b)
{
	struct jsonwalk_value v = {.type = JSONWALK_TYPE_BOOL, .b = b != 0};

	return on_scalar(ctx, &v);
}

static int cb_number(void *ctx, const char *s, size_t len)
{
	struct jsonwalk_value v = {
		.type = JSONWALK_TYPE_NUMBER, .s = s, .len = len};

	return on_scalar(ctx, &v);
}

static int cb_string(void *ctx, const unsigned char *s, size_t len)
{
	struct jsonwalk_value v = {
		.type = JSONWALK_TYPE_STRING, .s = (const char *)s, .len = len};

	return on_scalar(ctx, &v);
}

static int cb_start_map(void *ctx)
{
	return on_start(ctx, JSONWALK_TYPE_MAP);
}

static int cb_start_array(void *ctx)
{
	return on_start(ctx, JSONWALK_TYPE_ARRAY);
}

static int cb_map_key(void *ctx, const unsigned char *k, size_t len)
{
	struct jsonwalk *w = ctx;
	int top = w->nframes - 1;

	w->called = true;
	if (!w->skip && top >= 0)
		w->key[top] = w->ops->key(w->ctx, w->frame[top],
					  (const char *)k, len);
	return 1;
}

static const yajl_callbacks callbacks = {
	.yajl_null = cb_null,
	.yajl_boolean = cb_boolean,
	.yajl_number = cb_number,
	.yajl_string = cb_string,
	.yajl_start_map = cb_start_map,
	.yajl_map_key = cb_map_key,
	.yajl_end_map = cb_end,
	.yajl_start_array = cb_start_array,
	.yajl_end_array = cb_end,
};

struct jsonwalk *jsonwalk_new(const struct jsonwalk_ops *ops, void *ctx)
{
	struct jsonwalk *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->ops = ops;
	w->ctx = ctx;
	w->h = yajl_alloc(&callbacks, NULL, w);
	if (!w->h) {
		free(w);
		return NULL;
	}
	return w;
}

void jsonwalk_free(struct jsonwalk *w)
{
	if (!w)
		return;
	if (w->h)
		yajl_free(w->h);
	free(w);
}

int jsonwalk_reset(struct jsonwalk *w)
{
	if (w->h)
		yajl_free(w->h);
	w->err = 0;
	w->done = false;
	w->gap = 0;
	w->skip = 0;
	w->nframes = 0;
	w->h = yajl_alloc(&callbacks, NULL, w);
	if (!w->h)
		w->err = -ENOMEM;
	return w->err;
}

/* yajl stopped: a handler's failure (already recorded), or bad JSON. */
static int yajl_failed(struct jsonwalk *w)
{
	unsigned char *msg;

	if (w->err)
		return w->err;
	msg = yajl_get_error(w->h, 0, NULL, 0);
	if (msg)
		msg[strcspn((char *)msg, "\n")] = '\0';
	log_debug("%s JSON: %s", w->ops->name,
		  msg ? (const char *)msg : "parse error");
	if (msg)
		yajl_free_error(w->h, msg);
	w->err = -EIO;
	return w->err;
}

int jsonwalk_feed(struct jsonwalk *w, const char *data, size_t n)
{
	size_t max = w->ops->max_token_bytes;

	if (w->err)
		return w->err;
	w->called = false;
	if (yajl_parse(w->h, (const unsigned char *)data, n) != yajl_status_ok)
		return yajl_failed(w);
	/*
	 * yajl buffers a token that spans pieces before any callback sees
	 * it; bound that buffer: after a piece with a callback at most that
	 * piece is pending, after one without the pending part grows.
	 */
	w->gap = w->called ? n : w->gap + n;
	if (max && !w->called && w->gap > max) {
		jsonwalk_fail(w, -EIO, "a token longer than %zu bytes", max);
		return w->err;
	}
	return 0;
}

int jsonwalk_finish(struct jsonwalk *w)
{
	if (w->err)
		return w->err;
	if (yajl_complete_parse(w->h) != yajl_status_ok)
		return yajl_failed(w);
	if (!w->done) {
		jsonwalk_fail(w, -EIO, "incomplete document");
		return w->err;
	}
	return 0;
}

/* ---- scalars ---- */

/*
 * Eight ASCII digits at s as their value, or -1 when one is not a digit
 * (Lemire's SWAR "parse eight digits", little-endian). All high nibbles
 * must be 3, and adding 6 must not carry any byte past 0x3F.
 */
static int64_t eight_digits(const char *s)
{
	uint64_t v;

	memcpy(&v, s, sizeof(v));
	if (((v & 0xF0F0F0F0F0F0F0F0u) |
	     (((v + 0x0606060606060606u) & 0xF0F0F0F0F0F0F0F0u) >> 4)) !=
	    0x3333333333333333u)
		return -1;
	v = (v & 0x0F0F0F0F0F0F0F0Fu) * 2561 >> 8;
	v = (v & 0x00FF00FF00FF00FFu) * 6553601 >> 16;
	return (int64_t)((v & 0x0000FFFF0000FFFFu) * 42949672960001u >> 32);
}

int jsonwalk_parse_int64(const char *digits, size_t len, int64_t *out)
{
	uint64_t v = 0, limit = INT64_MAX;
	size_t i = 0;
	bool neg = false;

	if (len > 0 && digits[0] == '-') {
		neg = true;
		limit = (uint64_t)INT64_MAX + 1;
		i = 1;
	}
	if (i >= len)
		return -EINVAL;
	/*
	 * 18 digits or fewer cannot overflow. That is the common case (ids
	 * have 16), and the one the sheet parser spends the most time on
	 * outside yajl: eight digits at a time, without the check.
	 */
	if (len - i <= 18) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		for (; len - i >= 8; i += 8) {
			int64_t e = eight_digits(digits + i);

			if (e < 0)
				return -EINVAL;
			v = v * 100000000u + (uint64_t)e;
		}
#endif
		for (; i < len; i++) {
			unsigned d = (unsigned char)digits[i] - (unsigned)'0';

			if (d > 9)
				return -EINVAL;
			v = v * 10 + d;
		}
	}
	for (; i < len; i++) {
		unsigned d = (unsigned char)digits[i] - (unsigned)'0';

		if (d > 9)
			return -EINVAL;
		if (v > (limit - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	if (!neg)
		*out = (int64_t)v;
	else if (v == (uint64_t)INT64_MAX + 1)
		*out = INT64_MIN;
	else
		*out = -(int64_t)v;
	return 0;
}

static const double pow10_exact[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/*
 * The common case, at most 2^53 as digits and a power of ten up to 22, is
 * exact with one correctly rounded operation (Clinger's fast path); the
 * rest goes through strtod_l.
 */
int jsonwalk_parse_double(const char *s, size_t len, locale_t c_locale,
			  double *out)
{
	const char *q = s, *end = s + len;
	char small[64], *buf = small;
	uint64_t m = 0;
	long e10 = 0, ex = 0;
	bool neg = false, exneg = false;
	char *endp;
	double d;
	int rc = 0;

	if (q < end && *q == '-') {
		neg = true;
		q++;
	}
	for (; q < end && *q >= '0' && *q <= '9'; q++) {
		if (m > (UINT64_MAX - 9) / 10)
			goto slow;
		m = m * 10 + (uint64_t)(*q - '0');
	}
	if (q < end && *q == '.') {
		for (q++; q < end && *q >= '0' && *q <= '9'; q++) {
			if (m > (UINT64_MAX - 9) / 10)
				goto slow;
			m = m * 10 + (uint64_t)(*q - '0');
			e10--;
		}
	}
	if (q < end && (*q == 'e' || *q == 'E')) {
		q++;
		if (q < end && (*q == '+' || *q == '-'))
			exneg = *q++ == '-';
		for (; q < end && *q >= '0' && *q <= '9'; q++) {
			if (ex > 100000)
				goto slow;
			ex = ex * 10 + (*q - '0');
		}
		e10 += exneg ? -ex : ex;
	}
	if (q != end || m > ((uint64_t)1 << 53) || e10 < -22 || e10 > 22)
		goto slow;
	d = (double)m;
	d = e10 < 0 ? d / pow10_exact[-e10] : d * pow10_exact[e10];
	*out = neg ? -d : d;
	return 0;
slow:
	if (len >= sizeof(small)) {
		buf = malloc(len + 1);
		if (!buf)
			return -ENOMEM;
	}
	memcpy(buf, s, len);
	buf[len] = '\0';
	d = strtod_l(buf, &endp, c_locale);
	if (endp != buf + len || !isfinite(d))
		rc = -ERANGE;
	else
		*out = d;
	if (buf != small)
		free(buf);
	return rc;
}

/* U+FFFD REPLACEMENT CHARACTER in UTF-8 (no terminator: it is copied into
 * the middle of strings). */
static const unsigned char repl[3] = {0xEF, 0xBF, 0xBD};

size_t jsonwalk_text_len(const char *s, size_t len)
{
	const char *q = memchr(s, '\0', len), *end = s + len;
	size_t nul = 0;

	if (!q)
		return len;
	for (; q < end; q++)
		nul += *q == '\0';
	return len + 2 * nul;
}

void jsonwalk_text_fix(char *d, size_t len)
{
	size_t i;

	if (!memchr(d, 0xED, len))
		return;
	for (i = 0; i + 2 < len; i++) {
		if ((unsigned char)d[i] == 0xED &&
		    ((unsigned char)d[i + 1] & 0xE0) == 0xA0) {
			memcpy(d + i, repl, 3);
			i += 2;
		}
	}
}

void jsonwalk_text_copy(char *d, const char *s, size_t len, size_t dlen)
{
	size_t i, o;

	if (dlen == len) {
		memcpy(d, s, len);
	} else {
		for (i = 0, o = 0; i < len; i++) {
			if (s[i] == '\0') {
				memcpy(d + o, repl, 3);
				o += 3;
			} else {
				d[o++] = s[i];
			}
		}
	}
	d[dlen] = '\0';
	jsonwalk_text_fix(d, dlen);
}
