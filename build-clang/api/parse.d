build-clang/api/parse.o: api/parse.c api/api.h api/model.h http/http.h \
  util/compat.h util/log.h

api/api.h:

api/model.h:

http/http.h:

util/compat.h:

util/log.h:
