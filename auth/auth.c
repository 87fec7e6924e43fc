#include "auth/auth.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

struct auth {
	pthread_mutex_t lock;
	char *token;           /* protected by lock; wiped on free */
	enum auth_state state; /* protected by lock */
};

struct auth *auth_new_token(const char *token)
{
	struct auth *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->token = strdup(token);
	if (!a->token) {
		free(a);
		return NULL;
	}
	pthread_mutex_init(&a->lock, NULL);
	a->state = AUTH_STATE_AUTHORIZED;
	return a;
}

static void wipe_free(char *s)
{
	if (!s)
		return;
	OPENSSL_cleanse(s, strlen(s));
	free(s);
}

void auth_free(struct auth *a)
{
	if (!a)
		return;
	wipe_free(a->token);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

int auth_get_bearer(struct auth *a, char **bearer)
{
	char *copy;
	int rc = 0;

	pthread_mutex_lock(&a->lock);
	if (!a->token || !a->token[0]) {
		rc = -EACCES;
		goto out;
	}
	copy = strdup(a->token);
	if (!copy) {
		rc = -ENOMEM;
		goto out;
	}
	*bearer = copy;
out:
	pthread_mutex_unlock(&a->lock);
	return rc;
}

void auth_bearer_free(char *bearer)
{
	wipe_free(bearer);
}

int auth_rejected(struct auth *a, const char *bearer)
{
	(void)bearer;
	/* A personal token cannot be renewed: the user must fix it. */
	pthread_mutex_lock(&a->lock);
	a->state = AUTH_STATE_REJECTED;
	pthread_mutex_unlock(&a->lock);
	return -EACCES;
}

void auth_accepted(struct auth *a)
{
	pthread_mutex_lock(&a->lock);
	a->state = AUTH_STATE_AUTHORIZED;
	pthread_mutex_unlock(&a->lock);
}

enum auth_state auth_get_state(struct auth *a)
{
	enum auth_state s;

	pthread_mutex_lock(&a->lock);
	s = a->state;
	pthread_mutex_unlock(&a->lock);
	return s;
}

const char *auth_scheme_name(const struct auth *a)
{
	(void)a;
	return "PersonalAccessToken";
}
