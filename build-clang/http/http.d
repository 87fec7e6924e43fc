build-clang/http/http.o: http/http.c http/http.h util/compat.h util/log.h \
  util/sbuf.h

http/http.h:

util/compat.h:

util/log.h:

util/sbuf.h:
