build-clang/fs/names.o: fs/names.c fs/names.h util/compat.h

fs/names.h:

util/compat.h:
