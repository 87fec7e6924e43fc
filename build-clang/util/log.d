build-clang/util/log.o: util/log.c util/log.h util/compat.h

util/log.h:

util/compat.h:
