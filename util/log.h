#ifndef SSFS_UTIL_LOG_H
#define SSFS_UTIL_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <syslog.h>

#include "util/compat.h"

/*
 * Logging. Messages go to stderr until log_use_syslog() is called (after the
 * daemon forks), then to syslog. One write per message, so the handler is
 * thread-safe. Only this module writes to stderr or syslog.
 *
 * Never pass a secret (token, code, client secret, hash) to these functions.
 */

/* Messages above this syslog priority are dropped (LOG_INFO by default). */
void log_set_level(int prio);
int log_get_level(void);
void log_use_syslog(void);
void log_msg(int prio, const char *fmt, ...) SSFS_PRINTF(2, 3);
void log_vmsg(int prio, const char *fmt, va_list ap) SSFS_PRINTF(2, 0);

#define log_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif /* SSFS_UTIL_LOG_H */
