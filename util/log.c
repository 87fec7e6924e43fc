/*
 * Logging (util/log.h): stderr with a "smartsheetfs: <level>: " prefix until
 * log_use_syslog(), then syslog. Level and destination are atomics and each
 * message is one write, so every thread may log at once. The only place
 * that writes to stderr or syslog.
 */
#include "util/log.h"

#include <stdio.h>
#include <stdatomic.h>

static atomic_int log_level = LOG_INFO;
static atomic_bool log_syslog;

void log_set_level(int prio)
{
	atomic_store(&log_level, prio);
}

int log_get_level(void)
{
	return atomic_load(&log_level);
}

void log_use_syslog(void)
{
	openlog("smartsheetfs", LOG_PID, LOG_USER);
	atomic_store(&log_syslog, true);
}

static const char *prio_name(int prio)
{
	switch (prio) {
	case LOG_EMERG:
	case LOG_ALERT:
	case LOG_CRIT:
	case LOG_ERR:
		return "error";
	case LOG_WARNING:
		return "warning";
	case LOG_NOTICE:
	case LOG_INFO:
		return "info";
	default:
		return "debug";
	}
}

void log_vmsg(int prio, const char *fmt, va_list ap)
{
	char line[2048];
	int n;

	if (prio > atomic_load(&log_level))
		return;
	if (atomic_load(&log_syslog)) {
		vsyslog(prio, fmt, ap);
		return;
	}
	n = snprintf(line, sizeof(line), "smartsheetfs: %s: ", prio_name(prio));
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	/* One fprintf per message keeps lines whole across threads. */
	fprintf(stderr, "%s\n", line);
}

void log_msg(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(prio, fmt, ap);
	va_end(ap);
}
