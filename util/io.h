#ifndef SSFS_UTIL_IO_H
#define SSFS_UTIL_IO_H

#include <stddef.h>

#include "util/compat.h"

/* Small byte-level helpers the layers share. */

/* write(2) all of data, retrying after EINTR. 0 or -errno. */
int io_write_all(int fd, const void *data, size_t len) SSFS_WUR;

/* n bytes as 2n lowercase hex digits and a NUL in out. */
void io_hex(const unsigned char *in, size_t n, char *out);

/*
 * A one-line message into a caller's buffer (for functions that report
 * an error to their caller instead of logging it). buf may be NULL.
 */
void io_say(char *buf, size_t len, const char *fmt, ...) SSFS_PRINTF(3, 4);

#endif /* SSFS_UTIL_IO_H */
