#ifndef SSFS_UTIL_ARENA_H
#define SSFS_UTIL_ARENA_H

#include <stddef.h>

/*
 * A bump allocator for data that lives and dies together (one sheet's model).
 * Memory comes in chunks; nothing is freed until arena_free(). Allocations
 * are aligned for any scalar type. Functions returning pointers return NULL
 * when out of memory.
 */
struct arena;

struct arena *arena_new(void);
void arena_free(struct arena *a);
void *arena_alloc(struct arena *a, size_t n);
/* Copies n bytes and appends a NUL. */
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_strdup(struct arena *a, const char *s);
/* Bytes reserved from the system (for memory accounting). */
size_t arena_size(const struct arena *a);

#endif /* SSFS_UTIL_ARENA_H */
