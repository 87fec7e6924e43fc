build-clang/api/sheet_parser.o: api/sheet_parser.c api/api.h api/model.h \
  http/http.h util/compat.h util/arena.h util/log.h

api/api.h:

api/model.h:

http/http.h:

util/compat.h:

util/arena.h:

util/log.h:
