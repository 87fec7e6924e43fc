/*
 * Files and folders shared by the settings store, the disk cache and config
 * import (util/file.h). Thread-safe: no state.
 */
#include "util/file.h"

#include <stdlib.h>
#include <string.h>

char *file_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}
