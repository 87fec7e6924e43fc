build-clang/fs/cache.o: fs/cache.c fs/cache.h fs/render.h api/model.h \
  util/sbuf.h util/compat.h api/api.h http/http.h fs/names.h util/log.h

fs/cache.h:

fs/render.h:

api/model.h:

util/sbuf.h:

util/compat.h:

api/api.h:

http/http.h:

fs/names.h:

util/log.h:
