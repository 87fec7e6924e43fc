build-clang/config/config.o: config/config.c config/config.h \
  util/compat.h util/sbuf.h

config/config.h:

util/compat.h:

util/sbuf.h:
