build-clang/auth/auth.o: auth/auth.c auth/auth.h util/compat.h

auth/auth.h:

util/compat.h:
