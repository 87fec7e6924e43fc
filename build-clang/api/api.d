build-clang/api/api.o: api/api.c api/api.h api/model.h http/http.h \
  util/compat.h auth/auth.h util/log.h util/sbuf.h

api/api.h:

api/model.h:

http/http.h:

util/compat.h:

auth/auth.h:

util/log.h:

util/sbuf.h:
