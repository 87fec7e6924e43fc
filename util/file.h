#ifndef SSFS_UTIL_FILE_H
#define SSFS_UTIL_FILE_H

/*
 * Files and folders: the helpers that the settings store, the disk cache
 * and config import share. libc only.
 */

/* The folder part of path ("." when it has none, "/" for "/x"): a new
 * string (caller frees), NULL when out of memory. */
char *file_dirname(const char *path);

#endif /* SSFS_UTIL_FILE_H */
