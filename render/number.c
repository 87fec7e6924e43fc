/*
 * Numbers as text: doubles as ECMAScript's Number.prototype.toString prints
 * them (the shortest text that reads back, found with printf and strtod) and
 * int64 ids exactly. Pure: no I/O, no locks, no state; any thread may call
 * it, in any locale.
 */
#include "render/number.h"

#include <float.h>
#include <stdbool.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/compat.h"

static size_t fmt_u64(char *buf, uint64_t v)
{
	char tmp[20];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + (int)(v % 10));
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	return n;
}

size_t render_int64(int64_t v, char *buf)
{
	if (v < 0) {
		buf[0] = '-';
		return 1 + fmt_u64(buf + 1, (uint64_t)0 - (uint64_t)v);
	}
	return fmt_u64(buf, (uint64_t)v);
}

/*
 * Round x (finite, > 0) to prec significant digits with printf, which rounds
 * correctly. On a round trip through strtod, write the digits without
 * trailing zeros to d, the decimal exponent to *e, and return their count;
 * else return 0. printf and strtod both use the current locale's decimal
 * point, so the round trip holds in any locale, and the parse below skips
 * whatever separator printf wrote.
 */
static int digits_at(double x, int prec, char *d, int *e)
{
	char tmp[64];
	const char *p = tmp;
	int k = 0, ex = 0, neg = 0;

	snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, x);
	if (prec < 17 && strtod(tmp, NULL) != x)
		return 0;
	while (*p && *p != 'e') {
		if (*p >= '0' && *p <= '9' && k < 17)
			d[k++] = *p;
		p++;
	}
	if (*p == 'e')
		p++;
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	while (*p >= '0' && *p <= '9')
		ex = ex * 10 + (*p++ - '0');
	while (k > 1 && d[k - 1] == '0')
		k--;
	*e = neg ? -ex : ex;
	return k;
}

/*
 * The shortest digits that read back as x, the closest to x among those.
 * For a normal double, a decimal of at most 15 digits that reads back as x is
 * nearer to x than half a step of the 15-digit grid, so it is the 15-digit
 * rounding with its trailing zeros cut: trying 15, 16, then 17 digits finds
 * what trying 1..17 would, in at most three rounds. Subnormals have fewer
 * bits, so they take the long way.
 */
static int shortest(double x, char *d, int *e)
{
	int p, k;

	for (p = x >= DBL_MIN ? 15 : 1; p <= 17; p++) {
		k = digits_at(x, p, d, e);
		if (k)
			return k;
	}
	return 0; /* not reached: 17 digits always read back */
}

/*
 * A fast path for the decimals sheets mostly hold (12.5, 0.07): x = m / 10^j
 * with m below 10^14. Dividing the exact doubles m and 10^j rounds
 * correctly, as strtod does, so a match means that m's digits read back as
 * x; a decimal of at most 15 digits that reads back is the one shortest()
 * finds, and the smallest j gives the fewest digits. Returns 0 on no match.
 */
static int short_decimal(double x, char *d, int *e)
{
	static const double p10[] = {1e0,  1e1,	 1e2,  1e3, 1e4,  1e5,
				     1e6,  1e7,	 1e8,  1e9, 1e10, 1e11,
				     1e12, 1e13, 1e14, 1e15};
	double y;
	uint64_t m;
	int j, k;

	for (j = 1; j < (int)SSFS_ARRAY_SIZE(p10); j++) {
		y = x * p10[j];
		if (y >= 1e14)
			return 0;
		m = (uint64_t)(y + 0.5);
		if ((double)m / p10[j] != x)
			continue;
		k = (int)fmt_u64(d, m);
		*e = k - j - 1;
		while (k > 1 && d[k - 1] == '0')
			k--;
		return k;
	}
	return 0;
}

static size_t format(double x, char *buf, bool json)
{
	char d[17];
	size_t len = 0;
	int k, e, n, i;

	if (isnan(x)) {
		memcpy(buf, "NaN", 4);
		return 3;
	}
	if (isinf(x)) {
		if (x < 0) {
			memcpy(buf, "-Infinity", 10);
			return 9;
		}
		memcpy(buf, "Infinity", 9);
		return 8;
	}
	if (x == 0) {
		memcpy(buf, "0", 2); /* -0 too */
		return 1;
	}
	if (x < 0) {
		buf[len++] = '-';
		x = -x;
	}
	if (x < 9007199254740992.0 && (double)(int64_t)x == x) {
		/* An integer below 2^53: its digits, the common case. */
		len += fmt_u64(buf + len, (uint64_t)x);
		buf[len] = '\0';
		return len;
	}
	k = short_decimal(x, d, &e);
	if (!k)
		k = shortest(x, d, &e);
	n = e + 1; /* x = 0.d1d2...dk * 10^n */
	if (k <= n && n <= 21 && !(json && x >= 9223372036854775808.0)) {
		memcpy(buf + len, d, (size_t)k);
		len += (size_t)k;
		for (i = k; i < n; i++)
			buf[len++] = '0';
	} else if (0 < n && n < k) { /* so n <= 21 too: k <= 17 */
		memcpy(buf + len, d, (size_t)n);
		len += (size_t)n;
		buf[len++] = '.';
		memcpy(buf + len, d + n, (size_t)(k - n));
		len += (size_t)(k - n);
	} else if (-6 < n && n <= 0) {
		buf[len++] = '0';
		buf[len++] = '.';
		for (i = n; i < 0; i++)
			buf[len++] = '0';
		memcpy(buf + len, d, (size_t)k);
		len += (size_t)k;
	} else {
		buf[len++] = d[0];
		if (k > 1) {
			buf[len++] = '.';
			memcpy(buf + len, d + 1, (size_t)(k - 1));
			len += (size_t)(k - 1);
		}
		buf[len++] = 'e';
		buf[len++] = n < 1 ? '-' : '+';
		len += fmt_u64(buf + len, (uint64_t)(n < 1 ? 1 - n : n - 1));
	}
	buf[len] = '\0';
	return len;
}

size_t render_number(double x, char *buf)
{
	return format(x, buf, false);
}

size_t render_number_json(double x, char *buf)
{
	return format(x, buf, true);
}
