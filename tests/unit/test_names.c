#include "render/names.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "tests/unit/testlib.h"

#define FW_SLASH "\xef\xbc\x8f" /* U+FF0F */
#define REPL "\xef\xbf\xbd"	/* U+FFFD */

static void test_names_sanitize_table(void)
{
	static const struct {
		const char *in, *want;
	} t[] = {
	    {"Plan", "Plan"},
	    {"A/B", "A" FW_SLASH "B"},
	    {"//", FW_SLASH FW_SLASH},
	    {"A" FW_SLASH "B", "A" FW_SLASH "B"},
	    {"a\tb\nc\rd", "a_b_c_d"},
	    {"\x01\x1f\x7f x", "___ x"},
	    {"", "_"},
	    {".", "."},
	    {"..", ".."},
	    {"...", "..."},
	    {" lead and trail ", " lead and trail "},
	    {"Tâche ✓ 日本語 😀", "Tâche ✓ 日本語 😀"},
	    {"\xff", REPL},
	    {"a\xc3", "a" REPL},
	    {"\xc3\xa9\xc3", "\xc3\xa9" REPL},
	    {"\xc0\xaf", REPL REPL},		       /* overlong '/' */
	    {"\xe0\x80\xaf", REPL REPL REPL},	       /* overlong */
	    {"\xed\xa0\x80", REPL REPL REPL},	       /* surrogate */
	    {"\xf4\x90\x80\x80", REPL REPL REPL REPL}, /* > U+10FFFF */
	    {"\xf0\x9f\x98", REPL REPL REPL},	       /* cut-off 😀 */
	    {"\xe2\x82", REPL REPL},
	    {"\x80x", REPL "x"},
	    {"\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf"}, /* U+10FFFF */
	    {"\xed\x9f\xbf", "\xed\x9f\xbf"},	      /* U+D7FF */
	    {"\xc2\x85", "\xc2\x85"}, /* C1 controls are not touched */
	};
	size_t i;
	char *s;

	for (i = 0; i < SSFS_ARRAY_SIZE(t); i++) {
		s = names_sanitize(t[i].in);
		CHECK_STR(s, t[i].want);
		free(s);
	}
	s = names_sanitize(NULL);
	CHECK_STR(s, "_");
	free(s);
}

struct name_case {
	int64_t id;
	const char *name;
	const char *want;
};

/* Assign names for cases[], forwards and backwards; check both. */
static void check_assign(const struct name_case *c, size_t n)
{
	struct names_entry *e = calloc(n, sizeof(*e));
	size_t i, pass;

	CHECK(e != NULL);
	if (!e)
		return;
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < n; i++) {
			size_t k = pass ? n - 1 - i : i;

			e[i].id = c[k].id;
			e[i].name = c[k].name;
			e[i].stem = (char *)1; /* must be overwritten */
		}
		CHECK_INT(names_assign(e, n, NULL), 0);
		for (i = 0; i < n; i++) {
			size_t k = pass ? n - 1 - i : i;

			CHECK_STR(e[i].stem, c[k].want);
		}
		names_release(e, n);
		for (i = 0; i < n; i++)
			CHECK(e[i].stem == NULL);
	}
	free(e);
}

static void test_names_assign_basic(void)
{
	static const struct name_case c[] = {
	    {1, "Plan", "Plan"},
	    {2, "A/B", "A" FW_SLASH "B (2)"},
	    {3, "A" FW_SLASH "B", "A" FW_SLASH "B (3)"},
	    {4, "..", ".."},
	    {5, ".", "."},
	    {6, "Dup", "Dup (6)"},
	    {7, "Dup", "Dup (7)"},
	    {8, "Dup", "Dup (8)"},
	    {9, "dup", "dup"},
	    {10, "", "_ (10)"},
	    {11, "_", "_ (11)"},
	    {12, "tab\there", "tab_here"},
	    {13, "bad\xff", "bad" REPL},
	    {9223372036854775807, "Big", "Big (9223372036854775807)"},
	    {9007199254740993, "Big", "Big (9007199254740993)"},
	    {-5, "Big", "Big (-5)"},
	};

	check_assign(c, SSFS_ARRAY_SIZE(c));
}

/* SPEC §7: names are unique over a folder's files and folders. */
static void test_names_folders_and_files(void)
{
	static const struct {
		int64_t id;
		const char *name;
		bool folder;
		const char *want;
	} c[] = {
	    {1, "Notes", false, "Notes (1)"},	       /* Notes.csv ... */
	    {2, "Notes.csv", true, "Notes.csv (2)"}, /* ... is a folder */
	    {3, "Roadmap", true, "Roadmap"},	       /* no clash with ... */
	    {4, "Roadmap", false, "Roadmap"},	       /* ... Roadmap.csv */
	    {5, "Status", false, "Status (5)"},    /* a sheet and ... */
	    {6, "Status", false, "Status (6)"},    /* ... a report */
	    {7, "Level", true, "Level (7)"},	       /* two folders */
	    {8, "Level", true, "Level (8)"},
	    {9, ".", true, ". (9)"},		       /* not this folder */
	    {10, "..", true, ".. (10)"},	       /* nor its parent */
	    {11, "..", false, ".."},		       /* a file: "...csv" */
	    {12, "Data.ndjson", true, "Data.ndjson"}, /* no ndjson here */
	    {13, "Data", false, "Data"},
	};
	const size_t n = SSFS_ARRAY_SIZE(c);
	struct names_entry e[SSFS_ARRAY_SIZE(c)];
	size_t i;

	memset(e, 0, sizeof(e));
	for (i = 0; i < n; i++) {
		e[i].id = c[i].id;
		e[i].name = c[i].name;
		e[i].folder = c[i].folder;
	}
	CHECK_INT(names_assign(e, n, NULL), 0);
	for (i = 0; i < n; i++)
		CHECK_STR(e[i].stem, c[i].want);
	names_release(e, n);
	/* With -o ndjson, Data.ndjson is a file name too. */
	CHECK_INT(names_assign(e, n, names_exts_ndjson), 0);
	CHECK_STR(e[11].stem, "Data.ndjson (12)");
	CHECK_STR(e[12].stem, "Data (13)");
	names_release(e, n);
}

/* The 255-byte cut counts the longest extension in use. */
static void test_names_cut_counts_the_longest_extension(void)
{
	char name[300];
	struct names_entry e = {.id = 7, .name = name};

	memset(name, 'a', 249);
	name[249] = '\0'; /* 249 + ".json" = 254: fits; + ".ndjson" = 256 */
	CHECK_INT(names_assign(&e, 1, NULL), 0);
	CHECK_INT((long long)strlen(e.stem), 249);
	names_release(&e, 1);
	CHECK_INT(names_assign(&e, 1, names_exts_ndjson), 0);
	CHECK(strlen(e.stem) + strlen(".ndjson") <= 255);
	CHECK(strstr(e.stem, " (7)") != NULL);
	names_release(&e, 1);
	/* A folder has no extension: 255 bytes fit. */
	memset(name, 'b', 255);
	name[255] = '\0';
	e.folder = true;
	CHECK_INT(names_assign(&e, 1, NULL), 0);
	CHECK_INT((long long)strlen(e.stem), 255);
	names_release(&e, 1);
}

static void test_names_assign_renamed_collides(void)
{
	static const struct name_case c1[] = {
	    {5, "X", "X (5)"},
	    {6, "X", "X (6)"},
	    {7, "X (5)", "X (5) (7)"},
	};
	/* A chain: each rename makes the next collision. */
	static const struct name_case c2[] = {
	    {5, "X", "X (5)"},
	    {6, "X", "X (6)"},
	    {7, "X (5)", "X (5) (7)"},
	    {8, "X (5) (7)", "X (5) (7) (8)"},
	    {9, "X (6) (9)", "X (6) (9)"},
	};
	/* The same id twice (a broken list): it ends, and stems repeat. */
	static const struct name_case c4[] = {
	    {5, "X", "X (5)"},
	    {5, "X", "X (5)"},
	    {6, "X (5)", "X (5) (6)"},
	};
	/* A renamed long name meets a plain one. */
	static char longname[300], cut[300], want_cut[300];
	struct name_case c3[2];

	check_assign(c1, SSFS_ARRAY_SIZE(c1));
	check_assign(c2, SSFS_ARRAY_SIZE(c2));
	check_assign(c4, SSFS_ARRAY_SIZE(c4));

	memset(longname, 'a', 260);
	longname[260] = '\0';
	/* " (7)" is 4 bytes: the cut keeps 255 - 5 - 4 = 246. */
	memset(cut, 'a', 246);
	memcpy(cut + 246, " (7)", 5);
	/* The plain "<246 a> (7)" fits, but with " (8)" it is cut again. */
	memset(want_cut, 'a', 246);
	memcpy(want_cut + 246, " (8)", 5);
	c3[0] = (struct name_case){7, longname, cut};
	c3[1] = (struct name_case){8, cut, want_cut};
	check_assign(c3, 2);
}

/* Every stem: valid UTF-8, no '/', fits with ".json". */
static bool stem_ok(const char *stem)
{
	char *again = names_sanitize(stem);
	bool ok = again && strcmp(again, stem) == 0 &&
		  strlen(stem) + 5 <= NAMES_MAX_BYTES;

	free(again);
	return ok;
}

static char *repeat(const char *unit, size_t times, const char *prefix)
{
	size_t ul = strlen(unit), pl = strlen(prefix), i;
	char *s = malloc(pl + ul * times + 1);

	if (!s)
		return NULL;
	memcpy(s, prefix, pl);
	for (i = 0; i < times; i++)
		memcpy(s + pl + i * ul, unit, ul);
	s[pl + ul * times] = '\0';
	return s;
}

static void test_names_long_cut(void)
{
	static const struct {
		const char *unit;
		size_t times;
		const char *prefix;
		int64_t id;
		size_t want_len; /* of the stem; 0: the name as it is */
	} t[] = {
	    /* 250 + ".json" is exactly 255: kept. */
	    {"a", 250, "", 1, 0},
	    /* 251: cut to 255 - 5 - 4 = 246, then " (1)". */
	    {"a", 251, "", 1, 250},
	    /* Exactly fills 255 with a 3-digit id: 244 + 6 + 5. */
	    {"a", 300, "", 123, 250},
	    /* 3-byte chars: 245 allowed, 81 chars = 243 bytes. */
	    {"日", 100, "", 42, 243 + 5},
	    /* Shifted by one byte: 1 + 81 * 3 = 244 <= 245. */
	    {"日", 100, "a", 42, 244 + 5},
	    /* Shifted by two: 2 + 81 * 3 = 245, exactly the budget. */
	    {"日", 100, "ab", 42, 245 + 5},
	    /* 3 + 81 * 3 = 246 > 245: one char less, 3 + 240. */
	    {"日", 100, "abc", 42, 243 + 5},
	    /* 4-byte chars: 61 chars = 244 bytes <= 245. */
	    {"😀", 70, "", 42, 244 + 5},
	    {"😀", 70, "a", 42, 245 + 5},
	    {"😀", 70, "ab", 42, 242 + 5},
	    /* 3-byte chars, 250 bytes in all: kept. */
	    {"日", 83, "a", 42, 0},
	    /* 251 bytes: cut. */
	    {"日", 83, "ab", 42, 2 + 81 * 3 + 5},
	    /* A big id leaves less room. */
	    {"x", 400, "", INT64_MIN, 255 - 5},
	    /* Slashes count 3 bytes each once sanitized. */
	    {"/", 84, "", 1, 246 + 4},
	};
	struct names_entry e = {0};
	size_t i;

	for (i = 0; i < SSFS_ARRAY_SIZE(t); i++) {
		char *name = repeat(t[i].unit, t[i].times, t[i].prefix);
		char *plain = names_sanitize(name);
		char suffix[32];

		CHECK(name && plain);
		if (!name || !plain) {
			free(name);
			free(plain);
			continue;
		}
		e.id = t[i].id;
		e.name = name;
		CHECK_INT(names_assign(&e, 1, NULL), 0);
		CHECK(stem_ok(e.stem));
		if (t[i].want_len == 0) {
			CHECK_STR(e.stem, plain);
		} else {
			size_t sl = (size_t)snprintf(suffix, sizeof(suffix),
						     " (%" PRId64 ")", t[i].id);
			size_t len = strlen(e.stem);

			CHECK_INT(len, t[i].want_len);
			CHECK(len >= sl &&
			      strcmp(e.stem + len - sl, suffix) == 0);
			/* The cut is a prefix of the plain stem. */
			CHECK(strncmp(e.stem, plain, len - sl) == 0);
			/* Longest: one more char would not fit. */
			CHECK(len + 5 + strlen(t[i].unit) > NAMES_MAX_BYTES);
		}
		names_release(&e, 1);
		free(plain);
		free(name);
	}
}

static void test_names_long_and_duplicate(void)
{
	char *a = repeat("b", 300, ""), *mid = repeat("c", 245, "");
	struct names_entry e[4] = {
	    {.id = 1, .name = a},
	    {.id = 2, .name = a},
	    {.id = 1234567890123, .name = mid},
	    {.id = 1234567890124, .name = mid},
	};
	size_t i;

	CHECK(a && mid);
	if (!a || !mid)
		goto out;
	CHECK_INT(names_assign(e, 4, NULL), 0);
	for (i = 0; i < 4; i++) {
		CHECK(stem_ok(e[i].stem));
		/* The id appears once. */
		CHECK(strstr(e[i].stem, " (") == strrchr(e[i].stem, ' '));
	}
	CHECK_INT(strlen(e[0].stem), 255 - 5);
	CHECK(strcmp(e[0].stem + 246, " (1)") == 0);
	CHECK(strcmp(e[1].stem + 246, " (2)") == 0);
	/* 245 + 16 would not fit: cut to 250 - 16 = 234. */
	CHECK_INT(strlen(e[2].stem), 250);
	CHECK(strcmp(e[2].stem + 234, " (1234567890123)") == 0);
	CHECK(strcmp(e[3].stem + 234, " (1234567890124)") == 0);
	names_release(e, 4);
	names_release(e, 4);
out:
	free(a);
	free(mid);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_names_many(void)
{
	enum { NDIFF = 20000, NSAME = 1000, N = NDIFF + NSAME };
	struct names_entry *e = calloc(N, sizeof(*e));
	char(*names)[32] = calloc(NDIFF, sizeof(*names));
	char **stems = calloc(N, sizeof(*stems));
	char want[64];
	size_t i;
	int dups = 0, bad = 0;

	CHECK(e && names && stems);
	if (!e || !names || !stems)
		goto out;
	for (i = 0; i < NDIFF; i++) {
		snprintf(names[i], sizeof(names[i]), "Sheet %zu", i);
		e[i].id = (int64_t)i + 1;
		e[i].name = names[i];
	}
	for (i = NDIFF; i < N; i++) {
		e[i].id = (int64_t)i + 1;
		e[i].name = "Same/name";
	}
	CHECK_INT(names_assign(e, N, NULL), 0);
	for (i = 0; i < N; i++)
		stems[i] = e[i].stem;
	qsort(stems, N, sizeof(*stems), cmp_str);
	for (i = 1; i < N; i++)
		dups += strcmp(stems[i - 1], stems[i]) == 0;
	CHECK_INT(dups, 0);
	for (i = 0; i < NDIFF; i++)
		bad += strcmp(e[i].stem, names[i]) != 0;
	for (i = NDIFF; i < N; i++) {
		snprintf(want, sizeof(want), "Same" FW_SLASH "name (%zu)",
			 i + 1);
		bad += strcmp(e[i].stem, want) != 0;
	}
	CHECK_INT(bad, 0);
	names_release(e, N);
out:
	free(stems);
	free(names);
	free(e);
}

static void test_names_empty_list(void)
{
	struct names_entry e = {.id = 1, .name = "x", .stem = NULL};

	CHECK_INT(names_assign(&e, 0, NULL), 0);
	CHECK(e.stem == NULL);
	names_release(&e, 0);
}

/* ---- names_parse_id ---- */

static void test_names_parse_id_table(void)
{
	static const struct {
		const char *in;
		int rc;
		int64_t id;
	} t[] = {
	    {"0", 0, 0},
	    {"1", 0, 1},
	    {"7900000000000001", 0, 7900000000000001},
	    {"9007199254740993", 0, 9007199254740993}, /* 2^53 + 1 */
	    {"9223372036854775807", 0, INT64_MAX},
	    {"9223372036854775808", -ERANGE, 0}, /* INT64_MAX + 1 */
	    {"9999999999999999999", -ERANGE, 0},
	    {"18446744073709551616", -ERANGE, 0}, /* 2^64: no wrap */
	    {"12345678901234567890", -ERANGE, 0}, /* 20 digits */
	    {"00", -EINVAL, 0},
	    {"01", -EINVAL, 0},
	    {"0007", -EINVAL, 0},
	    {"09223372036854775807", -EINVAL, 0},
	    {"", -EINVAL, 0},
	    {"-1", -EINVAL, 0},
	    {"-0", -EINVAL, 0},
	    {"+1", -EINVAL, 0},
	    {"-9223372036854775808", -EINVAL, 0},
	    {" 1", -EINVAL, 0},
	    {"1 ", -EINVAL, 0},
	    {"1a", -EINVAL, 0},
	    {"0x10", -EINVAL, 0},
	    {"1e3", -EINVAL, 0},
	    {"1.0", -EINVAL, 0},
	    {"\xef\xbc\x91", -EINVAL, 0},	   /* U+FF11 FULLWIDTH ONE */
	    {"99999999999999999999x", -EINVAL, 0}, /* not a number at all */
	};
	size_t i;
	int64_t id;
	int rc;

	for (i = 0; i < SSFS_ARRAY_SIZE(t); i++) {
		id = 42;
		rc = names_parse_id(t[i].in, strlen(t[i].in), &id);
		if (rc != t[i].rc || (!rc && id != t[i].id))
			fprintf(stderr, "case \"%s\"\n", t[i].in);
		CHECK_INT(rc, t[i].rc);
		CHECK_INT(id, t[i].rc ? 42 : t[i].id); /* set only on success */
	}
}

/* Only the n bytes given count: the stem of "123.csv" is "123". */
static void test_names_parse_id_length(void)
{
	int64_t id = 42;

	CHECK_INT(names_parse_id("123.csv", 3, &id), 0);
	CHECK_INT(id, 123);
	CHECK_INT(names_parse_id("1234", 2, &id), 0);
	CHECK_INT(id, 12);
	CHECK_INT(names_parse_id("0123", 1, &id), 0);
	CHECK_INT(id, 0);
	CHECK_INT(names_parse_id("5", 0, &id), -EINVAL);
	CHECK_INT(id, 0);
}

int main(void)
{
	T(test_names_sanitize_table);
	T(test_names_assign_basic);
	T(test_names_folders_and_files);
	T(test_names_cut_counts_the_longest_extension);
	T(test_names_assign_renamed_collides);
	T(test_names_long_cut);
	T(test_names_long_and_duplicate);
	T(test_names_many);
	T(test_names_empty_list);
	T(test_names_parse_id_table);
	T(test_names_parse_id_length);
	return t_run();
}
