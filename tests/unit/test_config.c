#include "config/config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/unit/testlib.h"

/* The folder load_str() resolves relative paths against. */
#define DIR_ "/cfgdir"

/* Short paths keep the snprintf() size checks quiet. */
#define SHORT_PATH 256
static char tmpdir[64];		   /* from mkdtemp() */
static char tmpdir_real[PATH_MAX]; /* its realpath() */

static int load_str(struct cfg *c, const char *text, char *err)
{
	return cfg_load_string(c, text, "t.ini", DIR_, err, CFG_ERRBUF_SIZE);
}

/* Writes dir/name with the given mode; returns the path (static buffer). */
static const char *write_file(const char *name, const char *text, mode_t mode)
{
	static char path[SHORT_PATH];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	unlink(path); /* it may be mode 0000 from an earlier test */
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0);
	if (fd < 0)
		return path;
	CHECK_INT(write(fd, text, strlen(text)), (long long)strlen(text));
	CHECK_INT(fchmod(fd, mode), 0);
	close(fd);
	return path;
}

static void test_config_init_defaults(void)
{
	struct cfg c;

	cfg_init(&c);
	CHECK(c.path == NULL);
	CHECK_INT(c.auth_scheme, CFG_AUTH_TOKEN);
	CHECK_INT(c.initiate, CFG_INITIATE_GETANDREFRESH);
	CHECK_INT(c.timeout_s, 60);
	CHECK_INT(c.cache_ttl_s, 30);
	CHECK_INT(c.values, CFG_VALUES_RAW);
	CHECK(!c.crlf);
	CHECK_INT(c.oauth_expires_in_s, -1);
	CHECK_INT(c.oauth_token_timestamp_ms, -1);
	CHECK_INT(c.proxy_port, 0);
	CHECK(c.token == NULL);
	cfg_release(&c);
}

static void test_config_finish_defaults(void)
{
	struct cfg c;
	char err[CFG_ERRBUF_SIZE];

	setenv("SMARTSHEET_ACCESS_TOKEN", "envtok", 1);
	setenv("XDG_CONFIG_HOME", "/xdg", 1);
	cfg_init(&c);
	CHECK_INT(load_str(&c, "", err), 0);
	CHECK_STR(err, "");
	CHECK_INT(cfg_finish(&c, err, sizeof(err)), 0);
	CHECK_STR(err, "");
	CHECK_STR(c.token, "envtok");
	CHECK(c.token_from_env);
	CHECK_STR(c.region, "US");
	CHECK_STR(c.base_url, "https://api.smartsheet.com/2.0");
	CHECK_STR(c.authorize_url, "https://app.smartsheet.com/b/authorize");
	CHECK_STR(c.scope, "READ_SHEETS");
	CHECK_STR(c.callback_url, "http://localhost:33333");
	CHECK_STR(c.settings_location, "/xdg/smartsheetfs/OAuthSettings.txt");
	CHECK_INT(c.timeout_s, 60);
	CHECK_INT(c.cache_ttl_s, 30);
	CHECK_INT(c.values, CFG_VALUES_RAW);
	/* A second finish changes nothing and leaks nothing. */
	CHECK_INT(cfg_finish(&c, err, sizeof(err)), 0);
	CHECK_STR(c.token, "envtok");
	cfg_release(&c);

	/* A relative $XDG_CONFIG_HOME is ignored; $HOME is used. */
	setenv("XDG_CONFIG_HOME", "relative", 1);
	setenv("HOME", "/home/u", 1);
	cfg_init(&c);
	CHECK_INT(cfg_finish(&c, err, sizeof(err)), 0);
	CHECK_STR(c.settings_location,
		  "/home/u/.config/smartsheetfs/OAuthSettings.txt");
	cfg_release(&c);
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("SMARTSHEET_ACCESS_TOKEN");
}

static void test_config_all_properties(void)
{
	static const char text[] =
	    "; every property, names and enum values in odd cases\n"
	    "[Connection]\n"
	    "authscheme = oauth\n"
	    "OAUTHCLIENTID = cid\n"
	    "OAuthClientSecret = csec\n"
	    "CallbackURL = http://127.0.0.1:8080/cb\n"
	    "scope = read_sheets  Write_Sheets\n"
	    "InitiateOAuth = refresh\n"
	    "OAuthSettingsLocation = MEMORY://\n"
	    "OAuthAccessToken = at\n"
	    "OAuthRefreshToken = rt\n"
	    "OAuthExpiresIn = 604799\n"
	    "OAuthTokenTimestamp = 9223372036854775807\n"
	    "OAuthVerifier = ver\n"
	    "Region = gov\n"
	    "Timeout = 3600\n"
	    "ProxyServer = proxy.example\n"
	    "ProxyPort = 65535\n"
	    "ProxyUser = pu\n"
	    "ProxyPassword = pp\n"
	    "SSLServerCert = /etc/ssl/ca.pem\n"
	    "[MOUNT]\n"
	    "cachettl = 0\n"
	    "values = DISPLAY\n"
	    "crlf = Yes\n";
	struct cfg c;
	char err[CFG_ERRBUF_SIZE];

	cfg_init(&c);
	CHECK_INT(load_str(&c, text, err), 0);
	CHECK_STR(err, "");
	CHECK_INT(c.auth_scheme, CFG_AUTH_OAUTH);
	CHECK_STR(c.client_id, "cid");
	CHECK_STR(c.client_secret, "csec");
	CHECK_STR(c.callback_url, "http://127.0.0.1:8080/cb");
	CHECK_STR(c.scope, "READ_SHEETS WRITE_SHEETS");
	CHECK_INT(c.initiate, CFG_INITIATE_REFRESH);
	CHECK_STR(c.settings_location, "memory://");
	CHECK_STR(c.oauth_access_token, "at");
	CHECK_STR(c.oauth_refresh_token, "rt");
	CHECK_INT(c.oauth_expires_in_s, 604799);
	CHECK(c.oauth_token_timestamp_ms == INT64_MAX);
	CHECK_STR(c.oauth_verifier, "ver");
	CHECK_STR(c.region, "GOV");
	CHECK_INT(c.timeout_s, 3600);
	CHECK_STR(c.proxy_server, "proxy.example");
	CHECK_INT(c.proxy_port, 65535);
	CHECK_STR(c.proxy_user, "pu");
	CHECK_STR(c.proxy_password, "pp");
	CHECK_STR(c.ssl_server_cert, "/etc/ssl/ca.pem");
	CHECK_INT(c.cache_ttl_s, 0);
	CHECK_INT(c.values, CFG_VALUES_DISPLAY);
	CHECK(c.crlf);
	CHECK(c.token == NULL);

	CHECK_INT(cfg_finish(&c, err, sizeof(err)), 0);
	CHECK_STR(c.base_url, "https://api.smartsheetgov.com/2.0");
	CHECK_STR(c.authorize_url, "https://app.smartsheetgov.com/b/authorize");
	cfg_release(&c);
}

struct bad_case {
	const char *text;
	int rc;
	const char *msg;
};

static void test_config_bad_input_messages(void)
{
	static const struct bad_case cases[] = {
	    {"[connection]\nAuthScheme = xyz\n", -EINVAL,
	     "t.ini:2: AuthScheme: expected PersonalAccessToken or OAuth, "
	     "got 'xyz'"},
	    {"; comment\n\n[connection]\nTimeout = 0\n", -EINVAL,
	     "t.ini:4: Timeout: expected a whole number of seconds from 1 "
	     "to 3600, got '0'"},
	    {"Timeout = 3601", -EINVAL,
	     "t.ini:1: Timeout: expected a whole number of seconds from 1 "
	     "to 3600, got '3601'"},
	    {"Timeout = -1", -EINVAL,
	     "t.ini:1: Timeout: expected a whole number of seconds from 1 "
	     "to 3600, got '-1'"},
	    {"Timeout = 1.5", -EINVAL,
	     "t.ini:1: Timeout: expected a whole number of seconds from 1 "
	     "to 3600, got '1.5'"},
	    {"Timeout = 10s\r\n", -EINVAL,
	     "t.ini:1: Timeout: expected a whole number of seconds from 1 "
	     "to 3600, got '10s'"},
	    {"Region = mars", -EINVAL,
	     "t.ini:1: Region: expected US, EU, GOV or AU, got 'mars'"},
	    {"InitiateOAuth = sometimes", -EINVAL,
	     "t.ini:1: InitiateOAuth: expected OFF, GETANDREFRESH or "
	     "REFRESH, got 'sometimes'"},
	    {"[mount]\nValues = pretty", -EINVAL,
	     "t.ini:2: Values: expected raw or display, got 'pretty'"},
	    {"[mount]\nCacheTTL = 86401", -EINVAL,
	     "t.ini:2: CacheTTL: expected a whole number of seconds from 0 "
	     "to 86400, got '86401'"},
	    {"[mount]\nCRLF = maybe", -EINVAL,
	     "t.ini:2: CRLF: expected true or false, got 'maybe'"},
	    {"[mount]\nWrite = often", -EINVAL,
	     "t.ini:2: Write: expected true or false, got 'often'"},
	    {"Write = true", -EINVAL,
	     "t.ini:1: Write belongs in [mount]; put it after a [mount] line"},
	    {"ProxyPort = 0", -EINVAL,
	     "t.ini:1: ProxyPort: expected a port number from 1 to 65535, "
	     "got '0'"},
	    {"ProxyPort = 65536", -EINVAL,
	     "t.ini:1: ProxyPort: expected a port number from 1 to 65535, "
	     "got '65536'"},
	    {"OAuthExpiresIn = -1", -EINVAL,
	     "t.ini:1: OAuthExpiresIn: expected a whole number of seconds "
	     "(0 or more), got '-1'"},
	    {"OAuthExpiresIn = 9223372036854775808", -EINVAL,
	     "t.ini:1: OAuthExpiresIn: expected a whole number of seconds "
	     "(0 or more), got '9223372036854775808'"},
	    {"OAuthTokenTimestamp = 12.5", -EINVAL,
	     "t.ini:1: OAuthTokenTimestamp: expected a Unix time in "
	     "milliseconds (0 or more), got '12.5'"},
	    {"BaseURL = ftp://example.com", -EINVAL,
	     "t.ini:1: BaseURL: expected a URL starting with http:// or "
	     "https://, got 'ftp://example.com'"},
	    {"BaseURL = https://", -EINVAL,
	     "t.ini:1: BaseURL: expected a URL starting with http:// or "
	     "https://, got 'https://'"},
	    {"BaseURL = api.smartsheet.com/2.0", -EINVAL,
	     "t.ini:1: BaseURL: expected a URL starting with http:// or "
	     "https://, got 'api.smartsheet.com/2.0'"},
	    {"AuthorizeURL = https:///b/authorize", -EINVAL,
	     "t.ini:1: AuthorizeURL: expected a URL starting with http:// "
	     "or https://, got 'https:///b/authorize'"},
	    {"CallbackURL = http://example.com:33333", -EINVAL,
	     "t.ini:1: CallbackURL: expected http://localhost:PORT or "
	     "http://127.0.0.1:PORT (a loopback address), got "
	     "'http://example.com:33333'"},
	    {"Scope = READ_SHEET", -EINVAL,
	     "t.ini:1: Scope: expected Smartsheet scopes separated by "
	     "spaces (such as READ_SHEETS), got 'READ_SHEET'"},
	    {"Scope = READ_SHEETS,WRITE_SHEETS", -EINVAL,
	     "t.ini:1: Scope: expected Smartsheet scopes separated by "
	     "spaces (such as READ_SHEETS), got "
	     "'READ_SHEETS,WRITE_SHEETS'"},
	    {"OAuthSettingsLocation = ~bob/s.txt", -EINVAL,
	     "t.ini:1: OAuthSettingsLocation: expected a path ('~user' is "
	     "not supported), got '~bob/s.txt'"},
	    {"Timeout =\n", -EINVAL, "t.ini:1: Timeout: expected a value"},
	    {"ProxyUser = a\x01"
	     "b\n",
	     -EINVAL,
	     "t.ini:1: ProxyUser: the value holds a control character"},
	    {"= 5\n", -EINVAL,
	     "t.ini:1: a property name is missing before '='"},
	    /* Names. */
	    {"[connection]\nPersonalAccesToken = x\n", -EINVAL,
	     "t.ini:2: unknown property 'PersonalAccesToken' (did you mean "
	     "'PersonalAccessToken'?)"},
	    {"timout = 5", -EINVAL,
	     "t.ini:1: unknown property 'timout' (did you mean "
	     "'Timeout'?)"},
	    {"[mount]\ncachetl = 5", -EINVAL,
	     "t.ini:2: unknown property 'cachetl' (did you mean "
	     "'CacheTTL'?)"},
	    {"Frobnicate = 1", -EINVAL,
	     "t.ini:1: unknown property 'Frobnicate'"},
	    {"[mount]\nTimeout = 5", -EINVAL,
	     "t.ini:2: Timeout belongs in [connection], not [mount]"},
	    {"[connection]\nValues = raw", -EINVAL,
	     "t.ini:2: Values belongs in [mount], not [connection]"},
	    {"CacheTTL = 5", -EINVAL,
	     "t.ini:1: CacheTTL belongs in [mount]; put it after a [mount] "
	     "line"},
	    /* Sections. */
	    {"Timeout = 5\n[conection]\nAuthScheme = OAuth\n", -EINVAL,
	     "t.ini:2: unknown section [conection] (expected [connection] "
	     "or [mount])"},
	    {"[extra]\n", -EINVAL,
	     "t.ini:1: unknown section [extra] (expected [connection] or "
	     "[mount])"},
	    {"\n[mount\n", -EINVAL,
	     "t.ini:2: missing ']' after the section name"},
	    /* Syntax, and which of two errors wins: the first line. */
	    {"[connection]\nAuthScheme\n", -EINVAL,
	     "t.ini:2: expected 'Name = value' or '[section]'"},
	    {"junk\nTimeout = 0\n", -EINVAL,
	     "t.ini:1: expected 'Name = value' or '[section]'"},
	    {"Timeout = 0\njunk\n", -EINVAL,
	     "t.ini:1: Timeout: expected a whole number of seconds from 1 "
	     "to 3600, got '0'"},
	    {"Timeout = 5\nRegion = mars\nTimeout = 0\n", -EINVAL,
	     "t.ini:2: Region: expected US, EU, GOV or AU, got 'mars'"},
	    {"a\n[bad]\n", -EINVAL,
	     "t.ini:1: expected 'Name = value' or '[section]'"},
	    {"[bad]\nb\n", -EINVAL,
	     "t.ini:1: unknown section [bad] (expected [connection] or "
	     "[mount])"},
	};
	char err[CFG_ERRBUF_SIZE];
	struct cfg c;
	size_t i;

	for (i = 0; i < SSFS_ARRAY_SIZE(cases); i++) {
		cfg_init(&c);
		memset(err, 'x', sizeof(err));
		CHECK_INT(load_str(&c, cases[i].text, err), cases[i].rc);
		CHECK_STR(err, cases[i].msg);
		if (strcmp(err, cases[i].msg) != 0)
			fprintf(stderr, "  (case %zu)\n", i);
		cfg_release(&c);
	}
}

static void test_config_callback_urls(void)
{
	static const struct {
		const char *url;
		bool ok;
	} cases[] = {
	    {"http://localhost:33333", true},
	    {"http://LOCALHOST:1/", true},
	    {"http://127.0.0.1:65535/oauth/cb", true},
	    {"http://localhost", false},
	    {"http://localhost:", false},
	    {"http://localhost:0", false},
	    {"http://localhost:65536", false},
	    {"http://localhost:123456", false},
	    {"https://localhost:33333", false},
	    {"http://127.0.0.2:33333", false},
	    {"http://localhost:33333?x=1", false},
	    {"http://localhost.evil.com:33333", false},
	};
	char text[256], err[CFG_ERRBUF_SIZE];
	struct cfg c;
	size_t i;

	for (i = 0; i < SSFS_ARRAY_SIZE(cases); i++) {
		cfg_init(&c);
		snprintf(text, sizeof(text), "CallbackURL = %s\n",
			 cases[i].url);
		CHECK_INT(load_str(&c, text, err), cases[i].ok ? 0 : -EINVAL);
		if (cases[i].ok)
			CHECK_STR(c.callback_url, cases[i].url);
		else
			CHECK(strstr(err, "CallbackURL: expected") != NULL);
		cfg_release(&c);
	}
}

/*
 * Plain http is for loopback only (the tests' fake server): BaseURL would
 * send the token and the /token hash in clear text, AuthorizeURL the
 * login's state. The host is the one curl will connect to, whatever the
 * spelling.
 */
static void test_config_plain_http_only_on_loopback(void)
{
	static const char base_msg[] =
	    "t.ini:1: BaseURL: plain http would send the token in clear "
	    "text; only a loopback host (localhost, 127.x.x.x, [::1]) may use "
	    "it: use https://";
	static const char auth_msg[] =
	    "t.ini:1: AuthorizeURL: plain http would expose the sign-in page "
	    "and the login's state; only a loopback host (localhost, "
	    "127.x.x.x, [::1]) may use it: use https://";
	static const struct {
		const char *url;
		bool ok;
	} cases[] = {
	    {"https://api.smartsheet.com/2.0", true},
	    {"https://example.com", true},
	    {"HTTPS://example.com/2.0", true},
	    {"http://127.0.0.1:1", true},
	    {"http://127.0.0.1:8080/2.0", true},
	    {"http://127.1.2.3/2.0", true},
	    {"http://localhost", true},
	    {"http://LocalHost:9/2.0", true},
	    {"http://[::1]:8/2.0", true},
	    {"HTTP://127.0.0.1:5/2.0", true},
	    {"http://example.com", false},
	    {"http://api.smartsheet.com/2.0", false},
	    {"HTTP://example.com/2.0", false},
	    {"Http://example.com", false},
	    {"http://127.0.0.1.evil.com", false},
	    {"http://127.0.0.1.evil.com:80/2.0", false},
	    {"http://localhost.evil.com", false},
	    {"http://evil-localhost", false},
	    {"http://127.0.0.1@evil.com", false},
	    {"http://127.0.0.1:80@evil.com/2.0", false},
	    {"http://localhost:x@evil.com", false},
	    {"http://user:pw@example.com/2.0", false},
	    {"http://128.0.0.1", false},
	    {"http://10.0.0.1:8080/2.0", false},
	    {"http://0.0.0.0:8080", false},
	    {"http://[::]:8/2.0", false},
	    {"http://[::2]:8/2.0", false},
	    {"http://[::ffff:8.8.8.8]/2.0", false},
	};
	char text[256], err[CFG_ERRBUF_SIZE];
	struct cfg c;
	size_t i;
	int rc;

	for (i = 0; i < SSFS_ARRAY_SIZE(cases); i++) {
		cfg_init(&c);
		snprintf(text, sizeof(text), "BaseURL = %s\n", cases[i].url);
		rc = load_str(&c, text, err);
		CHECK_INT(rc, cases[i].ok ? 0 : -EINVAL);
		CHECK_STR(err, cases[i].ok ? "" : base_msg);
		if (rc != (cases[i].ok ? 0 : -EINVAL) ||
		    strcmp(err, cases[i].ok ? "" : base_msg) != 0)
			fprintf(stderr, "  (BaseURL %s)\n", cases[i].url);
		cfg_release(&c);

		cfg_init(&c);
		snprintf(text, sizeof(text), "AuthorizeURL = %s\n",
			 cases[i].url);
		CHECK_INT(load_str(&c, text, err), cases[i].ok ? 0 : -EINVAL);
		CHECK_STR(err, cases[i].ok ? "" : auth_msg);
		cfg_release(&c);
	}
}

static void test_config_bool_spellings(void)
{
	static const struct {
		const char *v;
		bool want;
	} cases[] = {
	    {"true", true}, {"TRUE", true}, {"yes", true},
	    {"On", true},   {"1", true},    {"false", false},
	    {"No", false},  {"OFF", false}, {"0", false},
	};
	char text[64], err[CFG_ERRBUF_SIZE];
	struct cfg c;
	size_t i;

	for (i = 0; i < SSFS_ARRAY_SIZE(cases); i++) {
		cfg_init(&c);
		c.crlf = !cases[i].want;
		snprintf(text, sizeof(text), "[mount]\nCRLF = %s\n",
			 cases[i].v);
		CHECK_INT(load_str(&c, text, err), 0);
		CHECK_INT(c.crlf, cases[i].want);
		cfg_release(&c);
		cfg_init(&c);
		snprintf(text, sizeof(text), "[mount]\nWrite = %s\n",
			 cases[i].v);
		CHECK_INT(load_str(&c, text, err), 0);
		CHECK_INT(c.write, cases[i].want);
		cfg_release(&c);
	}
}

static void test_config_regions(void)
{
	static const struct {
		const char *in, *region, *base, *authorize;
	} cases[] = {
	    {"us", "US", "https://api.smartsheet.com/2.0",
	     "https://app.smartsheet.com/b/authorize"},
	    {"Eu", "EU", "https://api.smartsheet.eu/2.0",
	     "https://app.smartsheet.eu/b/authorize"},
	    {"GOV", "GOV", "https://api.smartsheetgov.com/2.0",
	     "https://app.smartsheetgov.com/b/authorize"},
	    {"au", "AU", "https://api.smartsheet.au/2.0",
	     "https://app.smartsheet.au/b/authorize"},
	};
	char text[128], err[CFG_ERRBUF_SIZE];
	struct cfg c;
	size_t i;

	for (i = 0; i < SSFS_ARRAY_SIZE(cases); i++) {
		cfg_init(&c);
		snprintf(text, sizeof(text),
			 "PersonalAccessToken = t\nREGION = %s\n", cases[i].in);
		CHECK_INT(load_str(&c, text, err), 0);
		CHECK_INT(cfg_finish(&c, err, sizeof(err)), 0);
		CHECK_STR(c.region, cases[i].region);
		CHECK_STR(c.base_url, cases[i].base);
		CHECK_STR(c.authorize_url, cases[i].authorize);
		cfg_release(&c);
	}
}

static void test_config_base_url_overrides_region(void)
{
	struct cfg c;
	char err[CFG_ERRBUF_SIZE];

	/* BaseURL before Region: the order in the file does not matter. */
	cfg_init(&c);
	CHECK_INT(load_str(&c,
			   "PersonalAccessToken = t\n"
			   "BaseURL = http://127.0.0.1:8080/2.0//\n"
			   "Region = eu\n",
			   err),
		  0);
	CHECK_INT(cfg_finish(&c, err, sizeof(err)), 0);
	CHECK_STR(c.base_url, "http://127.0.0.1:8080/2.0");
	CHECK_STR(c.authorize_url, "https://app.smartsheet.eu/b/authorize");
	cfg_release(&c);

	cfg_init(&c);
	CHECK_INT(load_str(&c,
			   "PersonalAccessToken = t\n"
			   "AuthorizeURL = HTTPS://auth.example/b/authorize/\n",
			   err),
		  0);
	CHECK_INT(cfg_finish(&c, err, sizeof(err)), 0);
	CHECK_STR(c.base_url, "https://api.smartsheet.com/2.0");
	CHECK_STR(c.authorize_url, "HTTPS://auth.example/b/authorize");
	cfg_release(&c);
}

static void test_config_later_wins(void)
{
	struct cfg c;
	char err[CFG_ERRBUF_SIZE];

	cfg_init(&c);
	CHECK_INT(load_str(&c,
			   "Timeout = 10\n"
			   "PersonalAccessToken = first\n"
			   "timeout = 20\n"
			   "personalaccesstoken = second\n",
			   err),
		  0);
	CHECK_INT(c.timeout_s, 20);
	CHECK_STR(c.token, "second");
	/* A second load on the same cfg overrides only what it names. */
	CHECK_INT(load_str(&c, "[mount]\nValues = display\n", err), 0);
	CHECK_STR(c.token, "second");
	CHECK_INT(c.timeout_s, 20);
	CHECK_INT(c.values, CFG_VALUES_DISPLAY);
	cfg_release(&c);
}

static void test_config_layout_tolerance(void)
{
	struct cfg c;
	char err[CFG_ERRBUF_SIZE];

	/* Indented lines are properties, not continuations of the last
	 * value; BOM, CRLF, inline comments and "Name: value" are fine. */
	cfg_init(&c);
	CHECK_INT(load_str(&c,
			   "\xEF\xBB\xBF[connection]\r\n"
			   "    AuthScheme = OAuth\r\n"
			   "\tOAuthClientId = id ; the app's id\r\n"
			   "  [ Mount ]\n"
			   "  CacheTTL: 7\n"
			   "# done\n",
			   err),
		  0);
	CHECK_STR(err, "");
	CHECK_INT(c.auth_scheme, CFG_AUTH_OAUTH);
	CHECK_STR(c.client_id, "id");
	CHECK_INT(c.cache_ttl_s, 7);
	cfg_release(&c);
}

static void test_config_long_line(void)
{
	char text[600], err[CFG_ERRBUF_SIZE];
	struct cfg c;
	int n;

	/* A long line is refused, not cut in two. */
	n = snprintf(text, sizeof(text), "Timeout = 5\nBaseURL = https://x/");
	memset(text + n, 'a', 300);
	snprintf(text + n + 300, sizeof(text) - (size_t)n - 300, "%s",
		 "\nTimeout = 6\n");
	cfg_init(&c);
	CHECK_INT(load_str(&c, text, err), -EINVAL);
	CHECK(strncmp(err, "t.ini:2: line is too long (the limit is ",
		      strlen("t.ini:2: line is too long (the limit is ")) == 0);
	cfg_release(&c);

	/* 150 characters fit. */
	n = snprintf(text, sizeof(text), "BaseURL = https://x/");
	memset(text + n, 'a', 130);
	text[n + 130] = '\0';
	cfg_init(&c);
	CHECK_INT(load_str(&c, text, err), 0);
	CHECK_INT(strlen(c.base_url), 150 - strlen("BaseURL = "));
	cfg_release(&c);
}

static void test_config_paths(void)
{
	struct cfg c;
	char err[CFG_ERRBUF_SIZE], want[PATH_MAX + 16], *cwd;

	setenv("HOME", "/home/u", 1);
	cfg_init(&c);
	CHECK_INT(load_str(&c,
			   "OAuthSettingsLocation = ~/s/o.txt\n"
			   "SSLServerCert = ca/bundle.pem\n",
			   err),
		  0);
	CHECK_STR(c.settings_location, "/home/u/s/o.txt");
	CHECK_STR(c.ssl_server_cert, DIR_ "/ca/bundle.pem");
	CHECK_INT(load_str(&c,
			   "OAuthSettingsLocation = ~\n"
			   "SSLServerCert = /abs/ca.pem\n",
			   err),
		  0);
	CHECK_STR(c.settings_location, "/home/u");
	CHECK_STR(c.ssl_server_cert, "/abs/ca.pem");
	CHECK_INT(load_str(&c, "OAuthSettingsLocation = memory://\n", err), 0);
	CHECK_STR(c.settings_location, "memory://");
	cfg_release(&c);

	/* HOME="/" does not give "//x". */
	setenv("HOME", "/", 1);
	cfg_init(&c);
	CHECK_INT(load_str(&c, "SSLServerCert = ~/x.pem\n", err), 0);
	CHECK_STR(c.ssl_server_cert, "/x.pem");
	cfg_release(&c);

	unsetenv("HOME");
	cfg_init(&c);
	CHECK_INT(load_str(&c, "\nSSLServerCert = ~/x.pem\n", err), -EINVAL);
	CHECK_STR(err, "t.ini:2: SSLServerCert: cannot expand '~': $HOME is "
		       "not set");
	cfg_release(&c);
	setenv("HOME", "/home/u", 1);

	/* No folder given: relative to the current one. */
	cwd = getcwd(NULL, 0);
	CHECK(cwd != NULL);
	snprintf(want, sizeof(want), "%s/rel.pem", cwd ? cwd : "");
	cfg_init(&c);
	CHECK_INT(cfg_load_string(&c, "SSLServerCert = rel.pem", "s", NULL, err,
				  sizeof(err)),
		  0);
	CHECK_STR(c.ssl_server_cert, want);
	cfg_release(&c);
	free(cwd);
}

static void test_config_finish_missing(void)
{
	static const struct bad_case cases[] = {
	    {"", -EINVAL,
	     "(no config file): no PersonalAccessToken, and "
	     "SMARTSHEET_ACCESS_TOKEN is not set"},
	    {"AuthScheme = OAuth", -EINVAL,
	     "(no config file): OAuthClientId is missing, needed for "
	     "AuthScheme = OAuth"},
	    {"AuthScheme = OAuth\nOAuthClientId = id", -EINVAL,
	     "(no config file): OAuthClientSecret is missing, needed for "
	     "AuthScheme = OAuth"},
	    {"PersonalAccessToken = t\nOAuthExpiresIn = 5", -EINVAL,
	     "(no config file): OAuthTokenTimestamp is missing, needed "
	     "with OAuthExpiresIn"},
	    {"PersonalAccessToken = t\nOAuthTokenTimestamp = 5", -EINVAL,
	     "(no config file): OAuthExpiresIn is missing, needed with "
	     "OAuthTokenTimestamp"},
	    {"PersonalAccessToken = t\nProxyPort = 3128", -EINVAL,
	     "(no config file): ProxyServer is missing, needed for "
	     "ProxyPort"},
	    {"PersonalAccessToken = t\nProxyServer = p\nProxyPassword = x",
	     -EINVAL,
	     "(no config file): ProxyUser is missing, needed for "
	     "ProxyPassword"},
	    /* And some that are complete. */
	    {"AuthScheme = OAuth\nOAuthClientId = id\n"
	     "OAuthClientSecret = s",
	     0, ""},
	    {"PersonalAccessToken = t\nOAuthExpiresIn = 5\n"
	     "OAuthTokenTimestamp = 0",
	     0, ""},
	    {"PersonalAccessToken = t\nProxyServer = p\nProxyUser = u\n"
	     "ProxyPassword = x\nProxyPort = 8080",
	     0, ""},
	};
	char err[CFG_ERRBUF_SIZE];
	struct cfg c;
	size_t i;

	unsetenv("SMARTSHEET_ACCESS_TOKEN");
	for (i = 0; i < SSFS_ARRAY_SIZE(cases); i++) {
		cfg_init(&c);
		CHECK_INT(load_str(&c, cases[i].text, err), 0);
		CHECK_INT(cfg_finish(&c, err, sizeof(err)), cases[i].rc);
		CHECK_STR(err, cases[i].msg);
		cfg_release(&c);
	}

	/* OAuth needs somewhere for its settings. */
	unsetenv("HOME");
	cfg_init(&c);
	CHECK_INT(load_str(&c,
			   "AuthScheme = OAuth\nOAuthClientId = id\n"
			   "OAuthClientSecret = s",
			   err),
		  0);
	CHECK_INT(cfg_finish(&c, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "(no config file): OAuthSettingsLocation is missing, "
		       "needed for AuthScheme = OAuth when $HOME is not set");
	CHECK_INT(load_str(&c, "OAuthSettingsLocation = memory://", err), 0);
	CHECK_INT(cfg_finish(&c, err, sizeof(err)), 0);
	cfg_release(&c);
	setenv("HOME", "/home/u", 1);
}

static void test_config_env_token(void)
{
	struct cfg c;
	char err[CFG_ERRBUF_SIZE];

	/* The file wins over the environment. */
	setenv("SMARTSHEET_ACCESS_TOKEN", "envtok", 1);
	cfg_init(&c);
	CHECK_INT(load_str(&c, "PersonalAccessToken = filetok", err), 0);
	CHECK_INT(cfg_finish(&c, err, sizeof(err)), 0);
	CHECK_STR(c.token, "filetok");
	CHECK(!c.token_from_env);
	cfg_release(&c);

	/* OAuth does not pick up the token. */
	cfg_init(&c);
	CHECK_INT(load_str(&c,
			   "AuthScheme = OAuth\nOAuthClientId = id\n"
			   "OAuthClientSecret = s",
			   err),
		  0);
	CHECK_INT(cfg_finish(&c, err, sizeof(err)), 0);
	CHECK(c.token == NULL);
	CHECK(!c.token_from_env);
	cfg_release(&c);

	/* An empty variable counts as unset. */
	setenv("SMARTSHEET_ACCESS_TOKEN", "", 1);
	cfg_init(&c);
	CHECK_INT(cfg_finish(&c, err, sizeof(err)), -EINVAL);
	CHECK(c.token == NULL);
	cfg_release(&c);

	setenv("SMARTSHEET_ACCESS_TOKEN", "bad\ntok", 1);
	cfg_init(&c);
	CHECK_INT(cfg_finish(&c, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "(no config file): SMARTSHEET_ACCESS_TOKEN holds a "
		       "control character");
	cfg_release(&c);
	unsetenv("SMARTSHEET_ACCESS_TOKEN");
}

static void test_config_no_secret_in_errors(void)
{
	static const char *const secrets[] = {
	    "PersonalAccessToken", "OAuthClientSecret", "OAuthAccessToken",
	    "OAuthRefreshToken",   "OAuthVerifier",	"ProxyPassword",
	};
	/* Text before and after the property name. */
	static const struct {
		const char *before, *after;
	} forms[] = {
	    {"[mount]\n", " = s3cr3tVALUE\n"},	     /* wrong section */
	    {"", " = s3cr3tVALUE\x01\n"},	     /* control character */
	    {"[extra]\n", " = s3cr3tVALUE\n"},	     /* unknown section */
	    {"", "X = s3cr3tVALUE\n"},		     /* unknown name */
	    {"", "\ns3cr3tVALUE\n"},		     /* syntax */
	    {"", " = s3cr3tVALUE\nTimeout = 0\n"},   /* a later error */
	    {"", " = s3cr3tVALUE\n  s3cr3tVALUE\n"}, /* indented */
	};
	char text[256], err[CFG_ERRBUF_SIZE];
	struct cfg c;
	size_t i, j;

	for (i = 0; i < SSFS_ARRAY_SIZE(secrets); i++) {
		for (j = 0; j < SSFS_ARRAY_SIZE(forms); j++) {
			cfg_init(&c);
			snprintf(text, sizeof(text), "%s%s%s", forms[j].before,
				 secrets[i], forms[j].after);
			CHECK_INT(load_str(&c, text, err), -EINVAL);
			CHECK(err[0] != '\0');
			CHECK(strstr(err, "s3cr3t") == NULL);
			cfg_release(&c);
		}
	}
}

static void test_config_errbuf_truncation(void)
{
	struct cfg c;
	char err[16];

	cfg_init(&c);
	memset(err, 'x', sizeof(err));
	CHECK_INT(cfg_load_string(&c, "\nTimeout = 0", "t.ini", NULL, err, 10),
		  -EINVAL);
	CHECK_STR(err, "t.ini:2: ");
	CHECK(err[10] == 'x');
	CHECK_INT(cfg_load_string(&c, "Timeout = 0", "t.ini", NULL, err, 1),
		  -EINVAL);
	CHECK_STR(err, "");
	CHECK_INT(cfg_load_string(&c, "Timeout = 0", "t.ini", NULL, NULL, 0),
		  -EINVAL);
	CHECK_INT(cfg_finish(&c, NULL, 0), -EINVAL);
	cfg_release(&c);
}

static void test_config_release_twice(void)
{
	struct cfg c;
	char err[CFG_ERRBUF_SIZE];

	cfg_init(&c);
	CHECK_INT(load_str(&c,
			   "PersonalAccessToken = t\nOAuthClientSecret = s\n"
			   "ProxyServer = h\nProxyUser = u\n"
			   "ProxyPassword = p\nTimeout = 5\n"
			   "SSLServerCert = x.pem\n",
			   err),
		  0);
	CHECK_INT(cfg_finish(&c, err, sizeof(err)), 0);
	cfg_release(&c);
	CHECK(c.token == NULL);
	CHECK(c.client_secret == NULL);
	CHECK(c.proxy_password == NULL);
	CHECK(c.ssl_server_cert == NULL);
	CHECK(c.base_url == NULL);
	CHECK_INT(c.timeout_s, CFG_DEFAULT_TIMEOUT_S);
	CHECK_INT(c.oauth_expires_in_s, -1);
	cfg_release(&c);
	CHECK(c.token == NULL);
}

static void test_config_default_path(void)
{
	char *p;

	setenv("SMARTSHEETFS_CONFIG", "/etc/ssfs.ini", 1);
	setenv("XDG_CONFIG_HOME", "/xdg", 1);
	p = cfg_default_path();
	CHECK_STR(p, "/etc/ssfs.ini");
	free(p);

	unsetenv("SMARTSHEETFS_CONFIG");
	p = cfg_default_path();
	CHECK_STR(p, "/xdg/smartsheetfs/config.ini");
	free(p);

	unsetenv("XDG_CONFIG_HOME");
	setenv("HOME", "/home/u", 1);
	p = cfg_default_path();
	CHECK_STR(p, "/home/u/.config/smartsheetfs/config.ini");
	free(p);

	unsetenv("HOME");
	p = cfg_default_path();
	CHECK(p == NULL);
	free(p);
	setenv("HOME", "/home/u", 1);
}

static void test_config_file_permissions(void)
{
	static const char text[] = "[connection]\nPersonalAccessToken = t0k\n";
	char err[CFG_ERRBUF_SIZE], want[2 * PATH_MAX], path[SHORT_PATH];
	struct cfg c;

	/* Readable by others with a secret: refused, with the fix. */
	snprintf(path, sizeof(path), "%s", write_file("t.ini", text, 0644));
	cfg_init(&c);
	CHECK_INT(cfg_load_file(&c, path, err, sizeof(err)), -EACCES);
	snprintf(want, sizeof(want),
		 "%s: holds a secret (PersonalAccessToken) but is readable by "
		 "others; run: chmod 600 %s",
		 path, path);
	CHECK_STR(err, want);
	CHECK(strstr(err, "t0k") == NULL);
	CHECK(c.path == NULL);
	cfg_release(&c);

	/* Group-readable is enough to refuse. */
	write_file("t.ini", "[connection]\nOAuthRefreshToken = r\n", 0640);
	cfg_init(&c);
	CHECK_INT(cfg_load_file(&c, path, err, sizeof(err)), -EACCES);
	CHECK(strstr(err, "holds a secret (OAuthRefreshToken)") != NULL);
	cfg_release(&c);

	/* Refused even when the file has an error further down. */
	write_file("t.ini", "PersonalAccessToken = t0k\nTimeout = 0\n", 0604);
	cfg_init(&c);
	CHECK_INT(cfg_load_file(&c, path, err, sizeof(err)), -EACCES);
	cfg_release(&c);

	/* 0600: read, and c->path is absolute. */
	write_file("t.ini", text, 0600);
	cfg_init(&c);
	CHECK_INT(cfg_load_file(&c, path, err, sizeof(err)), 0);
	CHECK_STR(err, "");
	CHECK_STR(c.token, "t0k");
	snprintf(want, sizeof(want), "%s/t.ini", tmpdir_real);
	CHECK_STR(c.path, want);
	cfg_release(&c);

	/* No secret: any mode will do; an empty secret is not a secret. */
	write_file("t.ini", "[mount]\nCacheTTL = 5\n", 0644);
	cfg_init(&c);
	CHECK_INT(cfg_load_file(&c, path, err, sizeof(err)), 0);
	CHECK_INT(c.cache_ttl_s, 5);
	cfg_release(&c);
	write_file("t.ini", "Timeout = 5\nPersonalAccessToken =\n", 0644);
	cfg_init(&c);
	CHECK_INT(cfg_load_file(&c, path, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want),
		 "%s:2: PersonalAccessToken: expected a value", path);
	CHECK_STR(err, want);
	cfg_release(&c);

	/* The chmod hint quotes a path the shell would split. */
	snprintf(path, sizeof(path), "%s",
		 write_file("my cfg.ini", text, 0644));
	cfg_init(&c);
	CHECK_INT(cfg_load_file(&c, path, err, sizeof(err)), -EACCES);
	snprintf(want, sizeof(want), "; run: chmod 600 '%s'", path);
	CHECK(strlen(err) > strlen(want) &&
	      !strcmp(err + strlen(err) - strlen(want), want));
	cfg_release(&c);
	unlink(path);
}

static void test_config_file_errors(void)
{
	char err[CFG_ERRBUF_SIZE], want[2 * PATH_MAX], path[SHORT_PATH];
	struct cfg c;

	snprintf(path, sizeof(path), "%s/missing.ini", tmpdir);
	cfg_init(&c);
	CHECK_INT(cfg_load_file(&c, path, err, sizeof(err)), -ENOENT);
	snprintf(want, sizeof(want), "%s: no such file", path);
	CHECK_STR(err, want);

	CHECK_INT(cfg_load_file(&c, tmpdir, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s: is a folder, not a file", tmpdir);
	CHECK_STR(err, want);

	/* Root reads anything, so this only means something as a user. */
	snprintf(path, sizeof(path), "%s",
		 write_file("t.ini", "Timeout = 5\n", 0000));
	if (geteuid() != 0) {
		CHECK_INT(cfg_load_file(&c, path, err, sizeof(err)), -EACCES);
		snprintf(want, sizeof(want), "%s: permission denied", path);
		CHECK_STR(err, want);
	}

	/* Messages name the file as given, with the line. */
	write_file("t.ini", "[connection]\n\nTimeout = 0\n", 0600);
	CHECK_INT(cfg_load_file(&c, path, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want),
		 "%s:3: Timeout: expected a whole number of seconds from 1 to "
		 "3600, got '0'",
		 path);
	CHECK_STR(err, want);
	cfg_release(&c);

	/* cfg_finish names the absolute path. */
	unsetenv("SMARTSHEET_ACCESS_TOKEN");
	write_file("t.ini", "Timeout = 5\n", 0600);
	cfg_init(&c);
	CHECK_INT(cfg_load_file(&c, path, err, sizeof(err)), 0);
	CHECK_INT(cfg_finish(&c, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want),
		 "%s/t.ini: no PersonalAccessToken, and "
		 "SMARTSHEET_ACCESS_TOKEN is not set",
		 tmpdir_real);
	CHECK_STR(err, want);
	cfg_release(&c);
}

static void test_config_file_paths(void)
{
	char err[CFG_ERRBUF_SIZE], want[2 * PATH_MAX], path[SHORT_PATH];
	char cwd[PATH_MAX];
	struct cfg c;

	setenv("HOME", "/home/u", 1);
	snprintf(path, sizeof(path), "%s",
		 write_file("t.ini",
			    "OAuthSettingsLocation = sub/s.txt\n"
			    "SSLServerCert = ~/ca.pem\n",
			    0644));
	cfg_init(&c);
	CHECK_INT(cfg_load_file(&c, path, err, sizeof(err)), 0);
	snprintf(want, sizeof(want), "%s/sub/s.txt", tmpdir_real);
	CHECK_STR(c.settings_location, want);
	CHECK_STR(c.ssl_server_cert, "/home/u/ca.pem");
	cfg_release(&c);

	/* A relative config path: values are relative to its folder, not
	 * to the current one, and c->path is still absolute. */
	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	CHECK_INT(chdir(tmpdir), 0);
	cfg_init(&c);
	CHECK_INT(cfg_load_file(&c, "./t.ini", err, sizeof(err)), 0);
	CHECK_STR(c.settings_location, want);
	snprintf(want, sizeof(want), "%s/t.ini", tmpdir_real);
	CHECK_STR(c.path, want);
	cfg_release(&c);
	CHECK_INT(chdir(cwd), 0);
	unlink(path);
}

int main(void)
{
	char tmpl[] = "/tmp/ssfs-cfg-XXXXXX";

	unsetenv("SMARTSHEET_ACCESS_TOKEN");
	unsetenv("SMARTSHEETFS_CONFIG");
	unsetenv("XDG_CONFIG_HOME");
	setenv("HOME", "/home/u", 1);
	if (!mkdtemp(tmpl) || !realpath(tmpl, tmpdir_real)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(tmpdir, sizeof(tmpdir), "%s", tmpl);

	T(test_config_init_defaults);
	T(test_config_finish_defaults);
	T(test_config_all_properties);
	T(test_config_bad_input_messages);
	T(test_config_callback_urls);
	T(test_config_plain_http_only_on_loopback);
	T(test_config_bool_spellings);
	T(test_config_regions);
	T(test_config_base_url_overrides_region);
	T(test_config_later_wins);
	T(test_config_layout_tolerance);
	T(test_config_long_line);
	T(test_config_paths);
	T(test_config_finish_missing);
	T(test_config_env_token);
	T(test_config_no_secret_in_errors);
	T(test_config_errbuf_truncation);
	T(test_config_release_twice);
	T(test_config_default_path);
	T(test_config_file_permissions);
	T(test_config_file_errors);
	T(test_config_file_paths);

	rmdir(tmpdir);
	return t_run();
}
