/*
 * The settings file on disk (auth/store.h): load, save through a temporary
 * file and rename(), the .lock and .reserve files beside it, and the
 * pending `state` of `auth url`; memory:// keeps the same bytes in the
 * process. The format itself is store_crypt.c's. Thread-safe: FUSE
 * workers, prefetch threads and the subcommands call it; store_lock()
 * serialises a read-refresh-write across threads and processes.
 */
#include "auth/store.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "auth/store_i.h"
#include "util/clock.h"
#include "util/file.h"
#include "util/io.h"
#include "util/sbuf.h"
#include "util/secret.h"

#define STORE_LOCK_RETRY_MS 20
/* A temporary file older than this is left over from a writer that died
 * (kill -9 between create and rename); writes take well under a second. */
#define STORE_STALE_TEMP_S 60
/* Why a read was refused, or failed: one short clause. */
#define STORE_WHY 160

/* What a store keeps: the settings file and the pending `state`. */
enum store_blob { STORE_BLOB_TOKENS, STORE_BLOB_STATE, STORE_BLOB_COUNT };

struct store {
	char *location;		      /* the path, or "memory://" */
	char *path[STORE_BLOB_COUNT]; /* files: <path>, <path>.state */
	char *lock_path;	      /* files: <path>.lock */
	char *reserve_path;	      /* files: <path>.reserve */
	char *secret;		      /* wiped on close */
	size_t secret_len;
	bool memory;

	/* store_lock()'s threads' half, held across a refresh: a flag under
	 * a mutex and a condition (monotonic), rather than a mutex taken with
	 * pthread_mutex_clocklock(), which ThreadSanitizer cannot see. */
	pthread_mutex_t gate;
	pthread_cond_t freed; /* signalled when held goes false */
	bool held;	      /* protected by gate */
	int lock_fd;	      /* protected by held: the fcntl lock, or -1 */

	/* memory:// keeps what would be the files' bytes (so the tokens stay
	 * encrypted here too); NULL when absent. Protected by mem_lock. */
	pthread_mutex_t mem_lock;
	char *mem[STORE_BLOB_COUNT];
	size_t mem_len[STORE_BLOB_COUNT];
};

/* path followed by suffix, a new string. */
static char *path_plus(const char *path, const char *suffix)
{
	char *p = NULL;

	if (asprintf(&p, "%s%s", path, suffix) < 0)
		return NULL;
	return p;
}

/*
 * Open file (flags: O_RDONLY, or O_RDWR/O_WRONLY with O_CREAT to create it
 * 0600). Whoever can write the settings folder can put something there for
 * us to read (tokens or a `state` of their choosing), to write through
 * (store_reserve() fills its file with zeros) or to create: a symbolic link
 * to any file, a hard link to a file of ours (which passes an owner check;
 * the kernel's protected_hardlinks is not always on), or a file of their
 * own. So no symbolic link (O_NOFOLLOW), then, checked on what was opened
 * and before anything is read or written (no O_TRUNC here), a regular file
 * of our effective uid, and with one_name no other name. O_NONBLOCK: a FIFO
 * must not hang the open. Returns the descriptor, or -errno with why.
 */
static int open_checked(const char *file, int flags, bool one_name, char *why,
			size_t whylen)
{
	struct stat st;
	int fd, rc = 0;

	fd = open(file, flags | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0600);
	if (fd < 0) {
		rc = -errno;
		if (rc == -ELOOP)
			io_say(why, whylen,
			       "it is a symbolic link, not "
			       "followed; remove it");
		else
			io_say(why, whylen, "%s", strerror(-rc));
		return rc;
	}
	if (fstat(fd, &st)) {
		rc = -errno;
		io_say(why, whylen, "%s", strerror(-rc));
	} else if (!S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		io_say(why, whylen, "not a regular file; remove it");
	} else if (st.st_uid != geteuid()) {
		rc = -EACCES;
		io_say(why, whylen, "owned by uid %u, not by uid %u; remove it",
		       (unsigned)st.st_uid, (unsigned)geteuid());
	} else if (one_name && st.st_nlink > 1) {
		rc = -EMLINK;
		io_say(why, whylen,
		       "it has %ju names (hard links), so it may be another "
		       "file of ours; remove it",
		       (uintmax_t)st.st_nlink);
	}
	if (rc) {
		close(fd);
		return rc;
	}
	return fd;
}

/* "<path>.lock" or "<path>.reserve", created if missing, as open_checked()
 * with one name; err "<file>: <doing>: <why>". */
static int open_beside(const char *file, int flags, const char *doing,
		       char *err, size_t errlen)
{
	char why[STORE_WHY];
	int fd = open_checked(file, flags | O_CREAT, true, why, sizeof(why));

	if (fd < 0)
		io_say(err, errlen, "%s: %s: %s", file, doing, why);
	return fd;
}

/*
 * At most cap bytes of path (as open_checked() allows it), NUL-terminated;
 * -EFBIG beyond that, -EINVAL for something that is not a regular file;
 * other -errno with why.
 */
static int read_file(const char *path, size_t cap, char **out, size_t *len,
		     char *why, size_t whylen)
{
	char *buf = NULL;
	size_t n = 0;
	ssize_t got;
	int fd, rc = 0;

	fd = open_checked(path, O_RDONLY, false, why, whylen);
	if (fd < 0)
		return fd;
	buf = malloc(cap + 2);
	if (!buf) {
		rc = -ENOMEM;
		goto out;
	}
	while (n <= cap) {
		got = read(fd, buf + n, cap + 1 - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = -errno;
			goto out;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	if (n > cap) {
		rc = -EFBIG;
		goto out;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	buf = NULL;
out:
	if (rc)
		io_say(why, whylen, "%s", strerror(-rc));
	free(buf);
	close(fd);
	return rc;
}

/* Create the missing folders above path, 0700 (mkdir -p of its dirname). */
static int make_parents(const char *path, char *err, size_t errlen)
{
	char *dir = file_dirname(path), failed[512] = "";
	int rc;

	if (!dir)
		return -ENOMEM;
	rc = file_mkdirs(dir, failed, sizeof(failed));
	if (rc)
		io_say(err, errlen, "%s: cannot create the folder %s: %s", path,
		       failed, strerror(-rc));
	free(dir);
	return rc;
}

struct store *store_open(const char *location, const char *client_secret)
{
	struct store *s = calloc(1, sizeof(*s));
	pthread_condattr_t ca;

	if (!s)
		return NULL;
	s->lock_fd = -1;
	pthread_mutex_init(&s->gate, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->freed, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&s->mem_lock, NULL);
	s->memory = strcasecmp(location, STORE_MEMORY) == 0;
	s->location = strdup(s->memory ? STORE_MEMORY : location);
	s->secret = strdup(client_secret ? client_secret : "");
	if (!s->memory) {
		s->path[STORE_BLOB_TOKENS] = strdup(location);
		s->path[STORE_BLOB_STATE] = path_plus(location, ".state");
		s->lock_path = path_plus(location, ".lock");
		s->reserve_path = path_plus(location, ".reserve");
	}
	if (!s->location || !s->secret ||
	    (!s->memory &&
	     (!s->path[STORE_BLOB_TOKENS] || !s->path[STORE_BLOB_STATE] ||
	      !s->lock_path || !s->reserve_path))) {
		store_close(s);
		return NULL;
	}
	s->secret_len = strlen(s->secret);
	return s;
}

void store_close(struct store *s)
{
	int i;

	if (!s)
		return;
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	for (i = 0; i < STORE_BLOB_COUNT; i++) {
		free(s->mem[i]);
		free(s->path[i]);
	}
	secret_free(s->secret);
	free(s->location);
	free(s->lock_path);
	free(s->reserve_path);
	pthread_mutex_destroy(&s->mem_lock);
	pthread_cond_destroy(&s->freed);
	pthread_mutex_destroy(&s->gate);
	free(s);
}

bool store_is_memory(const struct store *s)
{
	return s->memory;
}

const char *store_location(const struct store *s)
{
	return s->location;
}

/* The bytes of a blob (NUL-terminated, caller frees); as read_file(). */
static int blob_read(struct store *s, enum store_blob b, size_t cap, char **out,
		     size_t *len, char *why, size_t whylen)
{
	int rc = -ENOENT;

	if (!s->memory)
		return read_file(s->path[b], cap, out, len, why, whylen);
	pthread_mutex_lock(&s->mem_lock);
	if (s->mem[b]) {
		*out = malloc(s->mem_len[b] + 1);
		rc = *out ? 0 : -ENOMEM;
	}
	if (!rc) {
		memcpy(*out, s->mem[b], s->mem_len[b] + 1);
		*len = s->mem_len[b];
	}
	pthread_mutex_unlock(&s->mem_lock);
	return rc;
}

/* Replace a blob: for a file, missing folders made, a dead writer's
 * temporary files swept, then file_write_atomic(). */
static int blob_write(struct store *s, enum store_blob b, const char *text,
		      size_t len, char *err, size_t errlen)
{
	char *copy;
	int rc;

	if (!s->memory) {
		/* The space store_reserve() claimed is for this write. */
		unlink(s->reserve_path);
		rc = make_parents(s->path[b], err, errlen);
		if (rc)
			return rc;
		file_sweep_temps(s->path[b], STORE_STALE_TEMP_S);
		return file_write_atomic(s->path[b], text, len, 0600, err,
					 errlen);
	}
	copy = malloc(len + 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, text, len + 1);
	pthread_mutex_lock(&s->mem_lock);
	free(s->mem[b]);
	s->mem[b] = copy;
	s->mem_len[b] = len;
	pthread_mutex_unlock(&s->mem_lock);
	return 0;
}

/* The tokens; on failure why says what is wrong (without the path). */
static int load_tokens(struct store *s, struct store_tokens *t, char *why,
		       size_t whylen)
{
	const char *bad = NULL;
	char *text = NULL;
	size_t len = 0;
	int rc = blob_read(s, STORE_BLOB_TOKENS, STORE_MAX_FILE_BYTES, &text,
			   &len, why, whylen);

	if (rc == -EFBIG || rc == -EINVAL) {
		bad = rc == -EFBIG ? "not a settings file (larger than 64 KiB)"
				   : "not a settings file (not a regular file)";
		rc = -EBADMSG;
	} else if (rc == -ENOENT) {
		bad = s->memory ? "no tokens saved yet" : "no such file";
	} else if (rc == -ENOMEM) {
		bad = strerror(ENOMEM);
	} else if (!rc) {
		rc = store_crypt_decode(s->secret, s->secret_len, text, len, t,
					&bad);
		if (rc && rc != -EBADMSG)
			bad = strerror(-rc);
	}
	if (bad)
		io_say(why, whylen, "%s", bad);
	free(text);
	return rc;
}

int store_load(struct store *s, struct store_tokens *t, char *err,
	       size_t errlen)
{
	char why[STORE_WHY] = "";
	int rc = load_tokens(s, t, why, sizeof(why));

	if (rc)
		io_say(err, errlen, "%s: %s", s->location, why);
	return rc;
}

int store_save(struct store *s, const struct store_tokens *t, char *err,
	       size_t errlen)
{
	struct sbuf text = SBUF_INIT(STORE_MAX_FILE_BYTES);
	struct store_tokens old;
	char why[STORE_WHY] = "";
	int rc;

	memset(&old, 0, sizeof(old));
	if (t->expires_at_ms < 0 || t->expires_at_ms > STORE_MAX_MS) {
		io_say(err, errlen, "%s: expiry time out of range",
		       s->location);
		return -EINVAL;
	}
	/* A file we cannot read back may be someone's only copy of their
	 * tokens (another secret) or not ours at all: never overwrite it. */
	rc = load_tokens(s, &old, why, sizeof(why));
	store_tokens_release(&old);
	if (rc == -EBADMSG) {
		io_say(err, errlen, "%s: not replacing it: %s", s->location,
		       why);
		goto out;
	}
	if (rc && rc != -ENOENT) {
		io_say(err, errlen,
		       "%s: cannot read it before replacing it: %s",
		       s->location, why);
		goto out;
	}
	rc = store_crypt_encode(s->secret, s->secret_len, t, clock_wall_ms(),
				&text);
	if (rc)
		io_say(err, errlen, "%s: %s", s->location,
		       rc == -EFBIG ? "the tokens are too large to save"
				    : strerror(-rc));
	else
		rc = blob_write(s, STORE_BLOB_TOKENS, text.buf, text.len, err,
				errlen);
out:
	sbuf_release(&text);
	return rc;
}

int store_seal(const struct store *s, const void *payload, size_t n,
	       struct sbuf *out)
{
	return store_crypt_seal(s->secret, s->secret_len, payload, n, out);
}

/*
 * A refresh kills the old pair at Smartsheet before the new one is saved, so
 * a save that fails for want of space loses the refresh token. Before the
 * request, claim the space: write STORE_RESERVE_BYTES (far more than a
 * settings file) beside the file; store_save releases it just before it
 * writes. A full or read-only folder fails here, with nothing spent.
 */
#define STORE_RESERVE_BYTES 16384
#define STORE_CANNOT_RESERVE "cannot save tokens there"

int store_reserve(struct store *s, char *err, size_t errlen)
{
	static const char zeros[4096];
	size_t done = 0;
	int fd, rc = 0;

	if (s->memory)
		return 0;
	rc = make_parents(s->reserve_path, err, errlen);
	if (rc)
		return rc;
	fd = open_beside(s->reserve_path, O_WRONLY, STORE_CANNOT_RESERVE, err,
			 errlen);
	if (fd < 0)
		return fd; /* not ours to remove */
	if (ftruncate(fd, 0))
		rc = -errno;
	while (!rc && done < STORE_RESERVE_BYTES) {
		rc = io_write_all(fd, zeros, sizeof(zeros));
		done += sizeof(zeros);
	}
	if (!rc && fsync(fd))
		rc = -errno;
	if (close(fd) && !rc)
		rc = -errno;
	if (rc) {
		unlink(s->reserve_path);
		io_say(err, errlen, "%s: " STORE_CANNOT_RESERVE ": %s",
		       s->reserve_path, strerror(-rc));
	}
	return rc;
}

/* Take the threads' half of the lock by the monotonic deadline dl. */
static int hold(struct store *s, const struct timespec *dl)
{
	int rc = 0;

	pthread_mutex_lock(&s->gate);
	while (s->held && !rc)
		rc = pthread_cond_timedwait(&s->freed, &s->gate, dl);
	if (!s->held) {
		s->held = true;
		rc = 0;
	}
	pthread_mutex_unlock(&s->gate);
	return -rc;
}

static void release(struct store *s)
{
	pthread_mutex_lock(&s->gate);
	s->held = false;
	pthread_cond_signal(&s->freed);
	pthread_mutex_unlock(&s->gate);
}

/*
 * Why a separate "<path>.lock": the settings file is replaced by rename(),
 * so a lock on it would stay with the old inode while the next process
 * locks the new one. Why a lock between threads as well: POSIX record
 * locks belong to the process, so a second thread would be granted the
 * same lock at once.
 * The lock file is opened only here and closed only by store_unlock(),
 * because closing any descriptor of it would drop the process's lock.
 */
int store_lock(struct store *s, int timeout_ms, char *err, size_t errlen)
{
	struct timespec pause = {0, STORE_LOCK_RETRY_MS * 1000000L}, dl;
	int64_t end = clock_mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	struct flock fl;
	int fd = -1, rc;

	dl.tv_sec = (time_t)(end / 1000);
	dl.tv_nsec = (long)(end % 1000 * 1000000);
	rc = hold(s, &dl);
	if (rc) {
		io_say(err, errlen, "%s: cannot lock: %s", s->location,
		       rc == -ETIMEDOUT ? "timed out: another thread is "
					  "refreshing the tokens"
					: strerror(-rc));
		return rc;
	}
	if (s->memory)
		return 0;
	rc = make_parents(s->lock_path, err, errlen);
	if (rc)
		goto fail;
	fd = open_beside(s->lock_path, O_RDWR, "cannot lock", err, errlen);
	if (fd < 0) {
		rc = fd;
		goto fail;
	}
	while (!rc) {
		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		if (fcntl(fd, F_SETLK, &fl) == 0)
			break;
		if (errno != EACCES && errno != EAGAIN && errno != EINTR)
			rc = -errno;
		else if (clock_mono_ms() >= end)
			rc = -ETIMEDOUT;
		else
			nanosleep(&pause, NULL);
	}
	if (rc == -ETIMEDOUT)
		io_say(
		    err, errlen,
		    "%s: timed out after %d ms: another smartsheetfs process "
		    "is refreshing the tokens",
		    s->lock_path, timeout_ms);
	else if (rc)
		io_say(err, errlen, "%s: cannot lock: %s", s->lock_path,
		       strerror(-rc));
	if (!rc) {
		s->lock_fd = fd;
		return 0;
	}
fail:
	if (fd >= 0)
		close(fd);
	release(s);
	return rc;
}

void store_unlock(struct store *s)
{
	if (s->lock_fd >= 0) {
		close(s->lock_fd); /* drops the fcntl lock */
		s->lock_fd = -1;
	}
	release(s);
}

/* ---- the pending OAuth state: "<state> <issued, Unix seconds>\n" ---- */

int store_put_state(struct store *s, const char *state, char *err,
		    size_t errlen)
{
	char text[STORE_MAX_STATE_LEN + 32];
	size_t i, n = strlen(state);

	for (i = 0; i < n && state[i] > ' ' && state[i] <= '~'; i++)
		;
	if (n == 0 || n > STORE_MAX_STATE_LEN || i < n) {
		io_say(err, errlen,
		       "OAuth state is empty, too long or not text");
		return -EINVAL;
	}
	snprintf(text, sizeof(text), "%s %lld\n", state, (long long)time(NULL));
	return blob_write(s, STORE_BLOB_STATE, text, strlen(text), err, errlen);
}

int store_get_state(struct store *s, long max_age_s, char **state, char *err,
		    size_t errlen)
{
	char *text = NULL, *sp, *end, *copy, why[STORE_WHY] = "";
	long long at, now;
	size_t len;
	int rc;

	rc = blob_read(s, STORE_BLOB_STATE, STORE_MAX_STATE_LEN + 32, &text,
		       &len, why, sizeof(why));
	if (rc == -EFBIG || rc == -EINVAL)
		rc = -ENOENT;
	if (rc && rc != -ENOENT)
		io_say(err, errlen, "%s: %s", s->path[STORE_BLOB_STATE], why);
	if (rc)
		goto out;
	rc = -ENOENT;
	sp = text ? strchr(text, ' ') : NULL;
	if (!sp || sp == text)
		goto out;
	*sp = '\0';
	errno = 0;
	at = strtoll(sp + 1, &end, 10);
	now = (long long)time(NULL);
	if (errno || end == sp + 1 || strcmp(end, "\n") != 0 || at < 0 ||
	    at > now || now - at >= max_age_s)
		goto out; /* garbled, from the future, or too old */
	copy = strdup(text);
	rc = copy ? 0 : -ENOMEM;
	if (!rc)
		*state = copy;
out:
	free(text);
	return rc;
}

void store_clear_state(struct store *s)
{
	if (!s->memory) {
		unlink(s->path[STORE_BLOB_STATE]);
		return;
	}
	pthread_mutex_lock(&s->mem_lock);
	free(s->mem[STORE_BLOB_STATE]);
	s->mem[STORE_BLOB_STATE] = NULL;
	pthread_mutex_unlock(&s->mem_lock);
}
