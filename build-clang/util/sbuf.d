build-clang/util/sbuf.o: util/sbuf.c util/sbuf.h util/compat.h

util/sbuf.h:

util/compat.h:
