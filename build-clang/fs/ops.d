build-clang/fs/ops.o: fs/ops.c fs/ops.h /usr/include/fuse3/fuse.h \
  /usr/include/fuse3/fuse_common.h /usr/include/fuse3/libfuse_config.h \
  /usr/include/fuse3/fuse_opt.h /usr/include/fuse3/fuse_log.h api/api.h \
  api/model.h http/http.h util/compat.h auth/auth.h fs/cache.h \
  fs/render.h util/sbuf.h util/log.h

fs/ops.h:

/usr/include/fuse3/fuse.h:

/usr/include/fuse3/fuse_common.h:

/usr/include/fuse3/libfuse_config.h:

/usr/include/fuse3/fuse_opt.h:

/usr/include/fuse3/fuse_log.h:

api/api.h:

api/model.h:

http/http.h:

util/compat.h:

auth/auth.h:

fs/cache.h:

fs/render.h:

util/sbuf.h:

util/log.h:
