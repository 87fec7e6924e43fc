/*
 * LD_PRELOAD shim for the integration tests: faults at the boundary
 * between the daemon and what it runs on, which no fake server can make.
 *
 * - fuse_destroy() frees libfuse's path tables before it calls the
 *   filesystem's destroy: a thread of the daemon that still runs then (a
 *   prefetch worker telling the kernel of a changed size) reads freed
 *   memory. With SHIM_DESTROY_DELAY_MS set, the shim widens that window,
 *   sleeping that long at the start of fuse_destroy, and reports any call
 *   to fuse_invalidate_path from then on (exit 70), so a test fails
 *   whether or not the freed memory happens to crash.
 * - With SHIM_FAIL_RENAME_TO=PATH, rename() onto PATH fails with EIO
 *   while the file PATH.failrename exists (a settings file that cannot
 *   be saved after the token endpoint already rotated the pair).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct fuse;

static atomic_int destroying;

void fuse_destroy(struct fuse *f);
int fuse_invalidate_path(struct fuse *f, const char *path);
int rename(const char *from, const char *to);

void fuse_destroy(struct fuse *f)
{
	void (*real)(struct fuse *);
	const char *ms = getenv("SHIM_DESTROY_DELAY_MS");

	*(void **)&real = dlsym(RTLD_NEXT, "fuse_destroy");
	if (ms) {
		long delay = strtol(ms, NULL, 10);
		struct timespec ts = {delay / 1000, (delay % 1000) * 1000000L};

		atomic_store(&destroying, 1);
		nanosleep(&ts, NULL);
	}
	real(f);
}

int fuse_invalidate_path(struct fuse *f, const char *path)
{
	static const char msg[] =
	    "shim: fuse_invalidate_path called after fuse_destroy began\n";
	int (*real)(struct fuse *, const char *);

	if (atomic_load(&destroying)) {
		(void)!write(2, msg, sizeof(msg) - 1);
		_exit(70);
	}
	*(void **)&real = dlsym(RTLD_NEXT, "fuse_invalidate_path");
	return real(f, path);
}

int rename(const char *from, const char *to)
{
	const char *victim = getenv("SHIM_FAIL_RENAME_TO");
	int (*real)(const char *, const char *);
	char flag[4096];

	if (victim && to && strcmp(to, victim) == 0 &&
	    snprintf(flag, sizeof(flag), "%s.failrename", victim) <
		(int)sizeof(flag) &&
	    access(flag, F_OK) == 0) {
		errno = EIO;
		return -1;
	}
	*(void **)&real = dlsym(RTLD_NEXT, "rename");
	return real(from, to);
}
