#include "render/number.h"

#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "tests/unit/testlib.h"
#include "util/compat.h"

/* NAN and INFINITY are floats: -Wdouble-promotion wants the cast. */
#define T_NAN ((double)NAN)
#define T_INF ((double)INFINITY)

/* ---- render_number ---- */

static void test_render_number_table(void)
{
	static const struct {
		double x;
		const char *want;
	} t[] = {
	    {0.0, "0"},
	    {-0.0, "0"},
	    {1.0, "1"},
	    {-1.0, "-1"},
	    {0.1, "0.1"},
	    {0.5, "0.5"},
	    {1.5, "1.5"},
	    {-1.5, "-1.5"},
	    {100.0, "100"},
	    {123456789.0, "123456789"},
	    {1e21, "1e+21"},
	    {1e20, "100000000000000000000"},
	    {123456789012345680000.0, "123456789012345680000"},
	    {123e-20, "1.23e-18"},
	    {0.000001, "0.000001"},
	    {0.0000001, "1e-7"},
	    {-1e-7, "-1e-7"},
	    {0.0000012345, "0.0000012345"},
	    {1.0 / 3.0, "0.3333333333333333"},
	    {2.0 / 3.0, "0.6666666666666666"},
	    {5e-324, "5e-324"},
	    {-5e-324, "-5e-324"},
	    {2.2250738585072014e-308, "2.2250738585072014e-308"},
	    {1.7976931348623157e308, "1.7976931348623157e+308"},
	    {9007199254740993.0, "9007199254740992"},
	    {9007199254740992.0, "9007199254740992"},
	    {9007199254740994.0, "9007199254740994"},
	    {18014398509481984.0, "18014398509481984"},
	    {0.1 + 0.2, "0.30000000000000004"},
	    {1234.5678, "1234.5678"},
	    {-1234.5678, "-1234.5678"},
	    {1e100, "1e+100"},
	    {1.5e-10, "1.5e-10"},
	    {4.35, "4.35"},
	    {100.25, "100.25"},
	    {123456.789e3, "123456789"},
	    {1e23, "1e+23"},
	    {9.5367431640625e-7, "9.5367431640625e-7"},
	    {-123456789012.5, "-123456789012.5"},
	    {-1e21, "-1e+21"},
	    {999999999999999868928.0, "999999999999999900000"},
	    {0.00000123, "0.00000123"},
	    {1.2e-7, "1.2e-7"},
	    {2.225073858507201e-308, "2.225073858507201e-308"},
	    {1e-320, "1e-320"},
	    {T_NAN, "NaN"},
	    {-T_NAN, "NaN"},
	    {T_INF, "Infinity"},
	    {-T_INF, "-Infinity"},
	};
	char buf[RENDER_NUM_MAX];
	size_t i, n;

	for (i = 0; i < SSFS_ARRAY_SIZE(t); i++) {
		memset(buf, 'X', sizeof(buf));
		n = render_number(t[i].x, buf);
		CHECK_STR(buf, t[i].want);
		CHECK_INT(n, strlen(t[i].want));
	}
}

/* The reference: try every precision from 1 up, as the spec words it. */
static size_t naive_digits(double x, char *d)
{
	char tmp[64], *p;
	size_t k = 0;
	int prec;

	for (prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, x);
		if (strtod(tmp, NULL) == x)
			break;
	}
	for (p = tmp; *p && *p != 'e'; p++)
		if (*p >= '0' && *p <= '9')
			d[k++] = *p;
	while (k > 1 && d[k - 1] == '0')
		k--;
	d[k] = '\0';
	return k;
}

/* The significant digits of render_number's text. */
static void text_digits(const char *s, char *d)
{
	size_t k = 0;

	while (*s && *s != 'e') {
		if (*s >= '0' && *s <= '9' && (k || *s != '0'))
			d[k++] = *s;
		s++;
	}
	while (k > 1 && d[k - 1] == '0')
		k--;
	d[k] = '\0';
}

static uint64_t rng_next(uint64_t *st)
{
	/* splitmix64 */
	uint64_t z = (*st += 0x9E3779B97F4A7C15u);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
	return z ^ (z >> 31);
}

static void test_render_number_shortest_random(void)
{
	char buf[RENDER_NUM_MAX], want[24], got[24], txt[48];
	uint64_t st = 42, bits;
	int i, bad = 0;
	double x;

	for (i = 0; i < 20000; i++) {
		bits = rng_next(&st);
		switch (i % 5) {
		case 0: /* any bit pattern */
			memcpy(&x, &bits, sizeof(x));
			break;
		case 1: /* a subnormal */
			bits &= 0x800FFFFFFFFFFFFFu;
			memcpy(&x, &bits, sizeof(x));
			break;
		case 2: /* a short decimal, like sheets hold */
			x = (double)(int64_t)(bits % 2000000001u) / 1000.0 -
			    1000000.0;
			break;
		case 3: /* a decimal as the API sends it, parsed */
			snprintf(txt, sizeof(txt), "%" PRIu64 "e-%d",
				 bits % 10000000000000000u,
				 (int)((bits >> 56) % 24u));
			x = strtod(txt, NULL);
			break;
		default: /* a short decimal with an exponent */
			x = (double)(bits % 100000u) *
			    pow(10.0, (double)(int)((bits >> 32) % 80u) - 40.0);
			break;
		}
		if (isnan(x) || isinf(x) || x == 0)
			continue;
		render_number(x, buf);
		naive_digits(fabs(x), want);
		text_digits(buf, got);
		if (strtod(buf, NULL) != x || strcmp(want, got) != 0) {
			if (bad++ < 5)
				fprintf(stderr,
					"%.17g: got %s, want digits %s\n", x,
					buf, want);
		}
	}
	CHECK_INT(bad, 0);
}

static void test_render_number_comma_locale(void)
{
	static const char *const names[] = {"de_DE.UTF-8", "de_DE.utf8",
					    "fr_FR.UTF-8", "fr_FR.utf8"};
	char buf[RENDER_NUM_MAX];
	locale_t loc = (locale_t)0;
	size_t i;

	/* A thread locale, so no setlocale() state stays behind. */
	for (i = 0; i < SSFS_ARRAY_SIZE(names) && !loc; i++)
		loc = newlocale(LC_NUMERIC_MASK, names[i], (locale_t)0);
	if (!loc)
		return; /* no such locale here: nothing to check */
	uselocale(loc);
	snprintf(buf, sizeof(buf), "%.1f", 1.5);
	CHECK_STR(buf, "1,5"); /* the locale is in force */
	render_number(0.1 + 0.2, buf);
	CHECK_STR(buf, "0.30000000000000004");
	render_number(-1.5e-7, buf);
	CHECK_STR(buf, "-1.5e-7");
	render_number(1234.5678, buf);
	CHECK_STR(buf, "1234.5678");
	render_number(5e-324, buf);
	CHECK_STR(buf, "5e-324");
	uselocale(LC_GLOBAL_LOCALE);
	freelocale(loc);
}

/* ---- render_int64 ---- */

/* JSON and NDJSON: integers of 2^63 and more take the exponent form (the
 * same double), everything else prints as render_number does. */
static void test_render_number_json(void)
{
	static const struct {
		double x;
		const char *want;
	} t[] = {
	    {1e20, "1e+20"},
	    {-1.5e20, "-1.5e+20"},
	    {9223372036854775808.0, "9.223372036854776e+18"},
	    {9223372036854774784.0, "9223372036854775000"},
	    {123456789012345678901.0, "1.2345678901234568e+20"},
	    {1e21, "1e+21"},
	    {9007199254740991.0, "9007199254740991"},
	    {0.1, "0.1"},
	    {-0.0, "0"},
	};
	char buf[RENDER_NUM_MAX], plain[RENDER_NUM_MAX];
	size_t i, n;

	for (i = 0; i < SSFS_ARRAY_SIZE(t); i++) {
		n = render_number_json(t[i].x, buf);
		buf[n] = '\0';
		CHECK_STR(buf, t[i].want);
		CHECK(strtod(buf, NULL) == t[i].x);
	}
	/* Below 2^63 the two are the same text. */
	n = render_number(1e18, plain);
	plain[n] = '\0';
	n = render_number_json(1e18, buf);
	buf[n] = '\0';
	CHECK_STR(buf, plain);
}

static void test_render_int64_table(void)
{
	static const struct {
		int64_t v;
		const char *want;
	} t[] = {
	    {0, "0"},
	    {1, "1"},
	    {-1, "-1"},
	    {9, "9"},
	    {10, "10"},
	    {-10, "-10"},
	    {9007199254740993, "9007199254740993"}, /* 2^53 + 1, exact */
	    {7900000000000001, "7900000000000001"},
	    {INT64_MAX, "9223372036854775807"},
	    {INT64_MIN, "-9223372036854775808"},
	    {INT64_MIN + 1, "-9223372036854775807"},
	};
	char buf[RENDER_INT64_MAX + 2];
	size_t i, n;

	for (i = 0; i < SSFS_ARRAY_SIZE(t); i++) {
		memset(buf, 'X', sizeof(buf));
		n = render_int64(t[i].v, buf);
		CHECK_INT(n, strlen(t[i].want));
		CHECK(n <= RENDER_INT64_MAX);
		CHECK(memcmp(buf, t[i].want, strlen(t[i].want)) == 0);
		CHECK(n < sizeof(buf) && buf[n] == 'X'); /* no NUL, no more */
	}
}

int main(void)
{
	T(test_render_number_table);
	T(test_render_number_shortest_random);
	T(test_render_number_comma_locale);
	T(test_render_number_json);
	T(test_render_int64_table);
	return t_run();
}
