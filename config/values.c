/*
 * One value's syntax: whole numbers, seconds, booleans, the Values choice,
 * control characters, loopback hosts and callback URLs. Pure functions,
 * table-tested through test_config.c; the config file, the command line
 * and the loopback listener call them, from any thread.
 */
#include "config/values.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "util/compat.h"

int cfg_parse_int64(const char *s, int64_t *out)
{
	int64_t v = 0;
	int d;

	if (!s || !*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		d = *s - '0';
		if (v > (INT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int cfg_parse_seconds(const char *s, long min, long max, long *out)
{
	int64_t v;

	if (cfg_parse_int64(s, &v) || v < min || v > max)
		return -EINVAL;
	*out = (long)v;
	return 0;
}

int cfg_parse_values(const char *s, enum cfg_values *out)
{
	if (!s)
		return -EINVAL;
	if (!strcasecmp(s, "raw"))
		*out = CFG_VALUES_RAW;
	else if (!strcasecmp(s, "display"))
		*out = CFG_VALUES_DISPLAY;
	else
		return -EINVAL;
	return 0;
}

int cfg_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};
	size_t i;

	for (i = 0; i < SSFS_ARRAY_SIZE(yes); i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

bool cfg_has_ctl(const char *s)
{
	for (; *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	}
	return false;
}

bool cfg_host_is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;
	char buf[INET6_ADDRSTRLEN + 2];
	size_t n = strlen(host);

	if (strcasecmp(host, "localhost") == 0)
		return true;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return ntohl(a4.s_addr) >> 24 == 127;
	if (n < 3 || n - 2 >= sizeof(buf) || host[0] != '[' ||
	    host[n - 1] != ']')
		return false;
	memcpy(buf, host + 1, n - 2);
	buf[n - 2] = '\0';
	return inet_pton(AF_INET6, buf, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

bool cfg_is_loopback_url(const char *v)
{
	static const char *const hosts[] = {"localhost:", "127.0.0.1:"};
	const char *s;
	long port = 0;
	size_t i, digits = 0;

	if (strncasecmp(v, "http://", 7) != 0 || strpbrk(v, " \t"))
		return false;
	v += 7;
	for (i = 0; i < SSFS_ARRAY_SIZE(hosts); i++) {
		if (!strncasecmp(v, hosts[i], strlen(hosts[i])))
			break;
	}
	if (i == SSFS_ARRAY_SIZE(hosts))
		return false;
	for (s = v + strlen(hosts[i]); *s >= '0' && *s <= '9'; s++) {
		if (++digits > 5)
			return false;
		port = port * 10 + (*s - '0');
	}
	return digits && port >= 1 && port <= 65535 && (!*s || *s == '/');
}
