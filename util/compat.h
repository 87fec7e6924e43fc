#ifndef SSFS_UTIL_COMPAT_H
#define SSFS_UTIL_COMPAT_H

/* Attributes and small helpers shared by every layer. */

#define SSFS_WUR __attribute__((warn_unused_result))
#define SSFS_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define SSFS_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#ifndef SSFS_VERSION
#define SSFS_VERSION "0.0.0"
#endif

#endif /* SSFS_UTIL_COMPAT_H */
