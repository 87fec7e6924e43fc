/*
 * config/values.c and config/props.c: one value's syntax and the tables of
 * names, table by table, without a file.
 */
#include "config/values.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "config/props_i.h"
#include "tests/unit/testlib.h"

static void test_config_parse_int64(void)
{
	static const struct {
		const char *s;
		int rc;
		int64_t want;
	} cases[] = {
	    {"0", 0, 0},
	    {"42", 0, 42},
	    {"9223372036854775807", 0, INT64_MAX},
	    {"9223372036854775808", -EINVAL, 0},
	    {"", -EINVAL, 0},
	    {"-1", -EINVAL, 0},
	    {"+1", -EINVAL, 0},
	    {"1.5", -EINVAL, 0},
	    {" 1", -EINVAL, 0},
	};
	int64_t out;
	size_t i;

	for (i = 0; i < SSFS_ARRAY_SIZE(cases); i++) {
		out = 77;
		CHECK_INT(cfg_parse_int64(cases[i].s, &out), cases[i].rc);
		CHECK_INT(out, cases[i].rc ? 77 : cases[i].want);
	}
	CHECK_INT(cfg_parse_int64(NULL, &out), -EINVAL);
}

static void test_config_parse_seconds(void)
{
	static const struct {
		const char *s;
		long min, max;
		int rc;
		long want;
	} cases[] = {
	    {"0", 0, 86400, 0, 0},
	    {"86400", 0, 86400, 0, 86400},
	    {"007", 0, 10, 0, 7},
	    {"86401", 0, 86400, -EINVAL, 0},
	    {"0", 1, 3600, -EINVAL, 0},
	    {"", 0, 10, -EINVAL, 0},
	    {"+1", 0, 10, -EINVAL, 0},
	    {"-1", -5, 10, -EINVAL, 0},
	    {" 1", 0, 10, -EINVAL, 0},
	    {"1 ", 0, 10, -EINVAL, 0},
	    {"1e3", 0, 10000, -EINVAL, 0},
	    {"0x10", 0, 100, -EINVAL, 0},
	    {"99999999999999999999", 0, 100, -EINVAL, 0},
	};
	size_t i;
	long out;

	for (i = 0; i < SSFS_ARRAY_SIZE(cases); i++) {
		out = 77;
		CHECK_INT(cfg_parse_seconds(cases[i].s, cases[i].min,
					    cases[i].max, &out),
			  cases[i].rc);
		CHECK_INT(out, cases[i].rc ? 77 : cases[i].want);
	}
	CHECK_INT(cfg_parse_seconds(NULL, 0, 1, &out), -EINVAL);
}

static void test_config_parse_values(void)
{
	static const struct {
		const char *s;
		int rc;
		enum cfg_values want;
	} cases[] = {
	    {"raw", 0, CFG_VALUES_RAW},
	    {"RAW", 0, CFG_VALUES_RAW},
	    {"display", 0, CFG_VALUES_DISPLAY},
	    {"Display", 0, CFG_VALUES_DISPLAY},
	    {"", -EINVAL, CFG_VALUES_DISPLAY},
	    {"displayed", -EINVAL, CFG_VALUES_DISPLAY},
	    {NULL, -EINVAL, CFG_VALUES_DISPLAY},
	};
	enum cfg_values v;
	size_t i;

	for (i = 0; i < SSFS_ARRAY_SIZE(cases); i++) {
		v = CFG_VALUES_DISPLAY;
		if (cases[i].want == CFG_VALUES_DISPLAY && !cases[i].rc)
			v = CFG_VALUES_RAW;
		CHECK_INT(cfg_parse_values(cases[i].s, &v), cases[i].rc);
		CHECK_INT(v, cases[i].want);
	}
}

static void test_config_suggest(void)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
	    {"PersonalAccesToken", "PersonalAccessToken"},
	    {"timout", "Timeout"},
	    {"TIMEOUT", "Timeout"},
	    {"cachetl", "CacheTTL"},
	    {"Valeus", "Values"},
	    {"regoin", "Region"},
	    {"BaseUrl", "BaseURL"},
	    {"OAuthClientID", "OAuthClientId"},
	    {"OAuthSecret", NULL},
	    {"ProxyPasswd", "ProxyPassword"},
	    {"xyzzyplugh", NULL},
	    {"", NULL},
	    {"ThisNameIsFarLongerThanAnyKnownPropertyName", NULL},
	};
	size_t i;

	for (i = 0; i < SSFS_ARRAY_SIZE(cases); i++) {
		if (cases[i].want)
			CHECK_STR(cfg_suggest(cases[i].in), cases[i].want);
		else
			CHECK(cfg_suggest(cases[i].in) == NULL);
	}
	CHECK(cfg_suggest(NULL) == NULL);
}

static void test_config_parse_bool(void)
{
	static const struct {
		const char *s;
		int rc;
		bool want;
	} cases[] = {
	    {"true", 0, true},	       {"YES", 0, true},
	    {"on", 0, true},	       {"1", 0, true},
	    {"False", 0, false},       {"no", 0, false},
	    {"OFF", 0, false},	       {"0", 0, false},
	    {"", -EINVAL, false},      {"2", -EINVAL, false},
	    {"y", -EINVAL, false},     {"truee", -EINVAL, false},
	    {" true", -EINVAL, false},
	};
	size_t i;
	bool v;

	for (i = 0; i < SSFS_ARRAY_SIZE(cases); i++) {
		v = !cases[i].want;
		CHECK_INT(cfg_parse_bool(cases[i].s, &v), cases[i].rc);
		if (!cases[i].rc)
			CHECK_INT(v, cases[i].want);
	}
}

static void test_config_has_ctl(void)
{
	static const struct {
		const char *s;
		bool want;
	} cases[] = {
	    {"", false},
	    {"plain text", false},
	    {"caf\xc3\xa9", false},
	    {"~!@#$%^&*()", false},
	    {"a\tb", true},
	    {"a\nb", true},
	    {"\x1f", true},
	    {"del\x7f", true},
	    {"\r", true},
	};
	size_t i;

	for (i = 0; i < SSFS_ARRAY_SIZE(cases); i++) {
		if (cfg_has_ctl(cases[i].s) != cases[i].want)
			fprintf(stderr, "  case %zu\n", i);
		CHECK_INT(cfg_has_ctl(cases[i].s), cases[i].want);
	}
}

static void test_config_host_is_loopback(void)
{
	static const struct {
		const char *host;
		bool want;
	} cases[] = {
	    {"localhost", true},
	    {"LocalHost", true},
	    {"127.0.0.1", true},
	    {"127.255.255.254", true},
	    {"[::1]", true},
	    {"[0:0:0:0:0:0:0:1]", true},
	    {"128.0.0.1", false},
	    {"126.0.0.1", false},
	    {"::1", false},
	    {"[::2]", false},
	    {"[::ffff:127.0.0.1]", false},
	    {"localhost.example", false},
	    {"", false},
	    {"[]", false},
	    {"[", false},
	    {"example.com", false},
	};
	size_t i;

	for (i = 0; i < SSFS_ARRAY_SIZE(cases); i++) {
		if (cfg_host_is_loopback(cases[i].host) != cases[i].want)
			fprintf(stderr, "  host '%s'\n", cases[i].host);
		CHECK_INT(cfg_host_is_loopback(cases[i].host), cases[i].want);
	}
}

static void test_config_is_loopback_url(void)
{
	static const struct {
		const char *url;
		bool want;
	} cases[] = {
	    {"http://localhost:33333", true},
	    {"HTTP://LOCALHOST:1/", true},
	    {"http://127.0.0.1:65535/cb", true},
	    {"http://localhost:65536", false},
	    {"http://localhost:0", false},
	    {"http://localhost:123456", false},
	    {"http://localhost", false},
	    {"http://localhost:", false},
	    {"http://localhost:80x", false},
	    {"https://localhost:8080", false},
	    {"http://127.0.0.2:8080", false},
	    {"http://[::1]:8080", false},
	    {"http://localhost:80/a b", false},
	    {"http://example.com:80", false},
	};
	size_t i;

	for (i = 0; i < SSFS_ARRAY_SIZE(cases); i++) {
		if (cfg_is_loopback_url(cases[i].url) != cases[i].want)
			fprintf(stderr, "  url '%s'\n", cases[i].url);
		CHECK_INT(cfg_is_loopback_url(cases[i].url), cases[i].want);
	}
}

static void test_config_property_table(void)
{
	static const struct {
		const char *name, *canonical, *section;
		bool secret;
	} cases[] = {
	    {"personalaccesstoken", "PersonalAccessToken", "connection", true},
	    {"OAuthClientSecret", "OAuthClientSecret", "connection", true},
	    {"OAUTHVERIFIER", "OAuthVerifier", "connection", true},
	    {"proxypassword", "ProxyPassword", "connection", true},
	    {"OAuthAccessToken", "OAuthAccessToken", "connection", true},
	    {"OAuthRefreshToken", "OAuthRefreshToken", "connection", true},
	    {"region", "Region", "connection", false},
	    {"cachettl", "CacheTTL", "mount", false},
	    {"Values", "Values", "mount", false},
	    {"crlf", "CRLF", "mount", false},
	    {"write", "Write", "mount", false},
	};
	const char *canonical, *section;
	enum cfg_sect sect;
	bool secret;
	size_t i;

	for (i = 0; i < SSFS_ARRAY_SIZE(cases); i++) {
		CHECK_INT(
		    cfg_property(cases[i].name, &canonical, &section, &secret),
		    0);
		CHECK_STR(canonical, cases[i].canonical);
		CHECK_STR(section, cases[i].section);
		CHECK_INT(secret, cases[i].secret);
	}
	CHECK_INT(cfg_property("Token", NULL, NULL, NULL), -ENOENT);
	CHECK_INT(cfg_property(NULL, NULL, NULL, NULL), -ENOENT);
	CHECK_INT(cfg_property("Region", NULL, NULL, NULL), 0);

	/* Sections as inih passes them: blanks around, any case. */
	CHECK(cfg_sect_find("", 0, &sect) && sect == CFG_SECT_CONNECTION);
	CHECK(cfg_sect_find(" Mount ", 7, &sect) && sect == CFG_SECT_MOUNT);
	CHECK(cfg_sect_find("CONNECTION", 10, &sect) &&
	      sect == CFG_SECT_CONNECTION);
	CHECK(cfg_sect_find("mountain", 5, &sect) && sect == CFG_SECT_MOUNT);
	CHECK(!cfg_sect_find("mounts", 6, &sect));
	CHECK_STR(cfg_sect_name(CFG_SECT_MOUNT), "mount");

	CHECK_STR(cfg_region_find("gov")->name, "GOV");
	CHECK(cfg_region_find("UK") == NULL);
	CHECK(cfg_region_find("") == NULL);
	CHECK_STR(cfg_scope_find("read_sheets", 11), "READ_SHEETS");
	CHECK_STR(cfg_scope_find("WRITE_SHEETS and more", 12), "WRITE_SHEETS");
	CHECK(cfg_scope_find("READ_SHEET", 10) == NULL);
	CHECK(cfg_scope_find("READ_SHEETS", 10) == NULL);
}

int main(void)
{
	T(test_config_parse_int64);
	T(test_config_parse_seconds);
	T(test_config_parse_values);
	T(test_config_parse_bool);
	T(test_config_has_ctl);
	T(test_config_host_is_loopback);
	T(test_config_is_loopback_url);
	T(test_config_suggest);
	T(test_config_property_table);
	return t_run();
}
