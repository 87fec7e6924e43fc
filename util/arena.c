/*
 * The bump allocator one sheet's model lives in (util/arena.h): chunks of
 * 256 KiB, strings packed without alignment, everything freed at once by
 * arena_free(). Not thread-safe: an arena belongs to the one thread that
 * builds its sheet, then is only read.
 */
#include "util/arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_CHUNK_BYTES (256u * 1024u)

struct chunk {
	struct chunk *next;
	size_t size;
	size_t used;
	alignas(max_align_t) unsigned char data[];
};

struct arena {
	struct chunk *head;
	size_t total;
};

struct arena *arena_new(void)
{
	return calloc(1, sizeof(struct arena));
}

void arena_free(struct arena *a)
{
	struct chunk *c, *next;

	if (!a)
		return;
	for (c = a->head; c; c = next) {
		next = c->next;
		free(c);
	}
	free(a);
}

static void *alloc_aligned(struct arena *a, size_t n, size_t align)
{
	struct chunk *c = a->head;
	size_t off, size;

	if (n > SIZE_MAX / 2)
		return NULL;
	if (c) {
		off = (c->used + align - 1) & ~(align - 1);
		if (off + n <= c->size) {
			c->used = off + n;
			return c->data + off;
		}
	}
	size = n > ARENA_CHUNK_BYTES / 4 ? n : ARENA_CHUNK_BYTES;
	c = malloc(sizeof(*c) + size);
	if (!c)
		return NULL;
	c->size = size;
	c->used = n;
	if (size == n && a->head) {
		/* A big block goes behind the current chunk, which stays open. */
		c->next = a->head->next;
		a->head->next = c;
	} else {
		c->next = a->head;
		a->head = c;
	}
	a->total += sizeof(*c) + size;
	return c->data;
}

void *arena_alloc(struct arena *a, size_t n)
{
	return alloc_aligned(a, n, alignof(max_align_t));
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	/* Strings need no alignment: packing them keeps big sheets small. */
	char *p = alloc_aligned(a, n + 1, 1);

	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

size_t arena_size(const struct arena *a)
{
	return a->total;
}
