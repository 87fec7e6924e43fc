build-clang/api/model.o: api/model.c api/model.h util/arena.h

api/model.h:

util/arena.h:
