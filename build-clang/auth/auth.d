build-clang/auth/auth.o: auth/auth.c auth/auth.h util/compat.h \
  auth/oauth.h auth/store.h config/config.h http/http.h util/log.h \
  util/sbuf.h

auth/auth.h:

util/compat.h:

auth/oauth.h:

auth/store.h:

config/config.h:

http/http.h:

util/log.h:

util/sbuf.h:
