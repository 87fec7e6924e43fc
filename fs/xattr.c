/*
 * Extended attributes (SPEC §7, getfattr -d): user.smartsheet.id,
 * .permalink and .access on every sheet and report file and every
 * workspace and folder, .version on sheet files (of the content held).
 * Read-only; names a node does not have are ENODATA (other namespaces'
 * without a look at the path). libfuse's workers.
 */
#include "fs/ops_i.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cache/cache.h"
#include "fs/ops.h"

#define XATTR_PREFIX "user.smartsheet."
#define XATTR_ID XATTR_PREFIX "id"
#define XATTR_PERMALINK XATTR_PREFIX "permalink"
#define XATTR_ACCESS XATTR_PREFIX "access"
#define XATTR_VERSION XATTR_PREFIX "version"

/* The value of attribute name of node n into buf (NUL-terminated); false
 * when n does not have it. */
static bool value_of(const struct node *n, const char *name, char *buf,
		     size_t size)
{
	const struct cache_item *it = fsops_node_item(n);
	int64_t v;

	if (!it)
		return false;
	if (strcmp(name, XATTR_ID) == 0) {
		snprintf(buf, size, "%" PRId64, it->id);
		return true;
	}
	if (strcmp(name, XATTR_PERMALINK) == 0 && it->permalink) {
		snprintf(buf, size, "%s", it->permalink);
		return true;
	}
	if (strcmp(name, XATTR_ACCESS) == 0 && it->access) {
		snprintf(buf, size, "%s", it->access);
		return true;
	}
	if (strcmp(name, XATTR_VERSION) == 0 && n->kind == NODE_FILE &&
	    !n->ref.report) {
		v = cache_held_version(fsops_cache(), n->ref.id);
		if (v < 0)
			return false;
		snprintf(buf, size, "%" PRId64, v);
		return true;
	}
	return false;
}

/* Copy what an xattr call returns: the length when size is 0, ERANGE
 * when it does not fit. */
static int answer(const char *data, size_t len, char *out, size_t size)
{
	if (size == 0)
		return (int)len;
	if (len > size)
		return -ERANGE;
	memcpy(out, data, len);
	return (int)len;
}

int fsops_getxattr(const char *path, const char *name, char *value,
		   size_t size)
{
	char buf[4096];
	struct node n;
	int rc;

	/*
	 * ls -l asks every file for security.selinux and
	 * system.posix_acl_access: a name this filesystem never has is
	 * ENODATA at once, with no path walked and nothing requested. The
	 * kernel looked the path up before it asked (ENOENT there for a path
	 * that does not exist), so resolving it again could only turn
	 * "no such attribute" into a network error.
	 */
	if (strncmp(name, XATTR_PREFIX, sizeof(XATTR_PREFIX) - 1) != 0)
		return -ENODATA;
	rc = fsops_resolve(path, &n);
	if (rc)
		return rc;
	rc = value_of(&n, name, buf, sizeof(buf))
		 ? answer(buf, strlen(buf), value, size)
		 : -ENODATA;
	fsops_node_release(&n);
	return rc;
}

int fsops_listxattr(const char *path, char *list, size_t size)
{
	static const char *const names[] = {XATTR_ID, XATTR_PERMALINK,
					    XATTR_ACCESS, XATTR_VERSION};
	char buf[4096], names_buf[256];
	size_t len = 0, i, l;
	struct node n;
	int rc;

	rc = fsops_resolve(path, &n);
	if (rc)
		return rc;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!value_of(&n, names[i], buf, sizeof(buf)))
			continue;
		l = strlen(names[i]) + 1;
		memcpy(names_buf + len, names[i], l);
		len += l;
	}
	fsops_node_release(&n);
	return answer(names_buf, len, list, size);
}
