build-clang/fs/render.o: fs/render.c fs/render.h api/model.h util/sbuf.h \
  util/compat.h

fs/render.h:

api/model.h:

util/sbuf.h:

util/compat.h:
