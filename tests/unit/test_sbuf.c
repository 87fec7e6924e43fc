#include "util/sbuf.h"

#include <errno.h>
#include <stdlib.h>

#include "tests/unit/testlib.h"
#include "util/arena.h"

static void assert_sane(const struct sbuf *sb)
{
	CHECK(sb->buf != NULL);
	CHECK(sb->buf[sb->len] == '\0');
	CHECK(sb->alloc == 0 || sb->len < sb->alloc);
	CHECK(sb->alloc != 0 || sb->buf == sbuf_empty);
}

static void test_sbuf_init_empty(void)
{
	struct sbuf sb = SBUF_INIT(0);

	assert_sane(&sb);
	CHECK_STR(sb.buf, "");
	sbuf_release(&sb);
	sbuf_release(&sb);
	assert_sane(&sb);
}

static void test_sbuf_add_and_format(void)
{
	struct sbuf sb = SBUF_INIT(0);
	int i;

	CHECK_INT(sbuf_addstr(&sb, "ab"), 0);
	assert_sane(&sb);
	CHECK_INT(sbuf_addch(&sb, 'c'), 0);
	CHECK_INT(sbuf_addf(&sb, "-%d-%s", 42, "x"), 0);
	assert_sane(&sb);
	CHECK_STR(sb.buf, "abc-42-x");
	for (i = 0; i < 1000; i++)
		CHECK_INT(sbuf_addstr(&sb, "0123456789"), 0);
	CHECK_INT(sb.len, 8 + 10000);
	assert_sane(&sb);
	sbuf_reset(&sb);
	CHECK_INT(sb.len, 0);
	assert_sane(&sb);
	sbuf_release(&sb);
}

static void test_sbuf_cap(void)
{
	struct sbuf sb = SBUF_INIT(5);

	CHECK_INT(sbuf_addstr(&sb, "12345"), 0);
	CHECK_INT(sbuf_addstr(&sb, "6"), -EFBIG);
	/* A failure empties the buffer but leaves it usable. */
	assert_sane(&sb);
	CHECK_INT(sb.len, 0);
	CHECK_INT(sbuf_addf(&sb, "%s", "123456"), -EFBIG);
	assert_sane(&sb);
	CHECK_INT(sbuf_addstr(&sb, "abc"), 0);
	CHECK_STR(sb.buf, "abc");
	sbuf_release(&sb);
}

static void test_sbuf_detach(void)
{
	struct sbuf sb = SBUF_INIT(0);
	size_t len = 99;
	char *p;

	p = sbuf_detach(&sb, &len);
	CHECK_STR(p, "");
	CHECK_INT(len, 0);
	free(p);
	CHECK_INT(sbuf_addstr(&sb, "hello"), 0);
	p = sbuf_detach(&sb, &len);
	CHECK_STR(p, "hello");
	CHECK_INT(len, 5);
	assert_sane(&sb);
	free(p);
}

static void test_arena_alloc(void)
{
	struct arena *a = arena_new();
	char *s;
	double *d;
	int i;

	CHECK(a != NULL);
	s = arena_strdup(a, "x");
	d = arena_alloc(a, sizeof(*d));
	CHECK(((unsigned long)d % sizeof(double)) == 0);
	*d = 1.5;
	CHECK_STR(s, "x");
	for (i = 0; i < 10000; i++)
		CHECK(arena_strndup(a, "abcdef", 3) != NULL);
	/* A block larger than a chunk still works. */
	CHECK(arena_alloc(a, 1024 * 1024) != NULL);
	CHECK(arena_strdup(a, "after") != NULL);
	CHECK(arena_size(a) >= 1024 * 1024);
	arena_free(a);
	arena_free(NULL);
}

int main(void)
{
	T(test_sbuf_init_empty);
	T(test_sbuf_add_and_format);
	T(test_sbuf_cap);
	T(test_sbuf_detach);
	T(test_arena_alloc);
	return t_run();
}
