build-clang/fs/main.o: fs/main.c /usr/include/fuse3/fuse.h \
  /usr/include/fuse3/fuse_common.h /usr/include/fuse3/libfuse_config.h \
  /usr/include/fuse3/fuse_opt.h /usr/include/fuse3/fuse_log.h \
  /usr/include/fuse3/fuse_lowlevel.h api/api.h api/model.h http/http.h \
  util/compat.h auth/auth.h auth/login.h config/config.h fs/cache.h \
  fs/render.h util/sbuf.h fs/cli.h fs/ops.h util/log.h

/usr/include/fuse3/fuse.h:

/usr/include/fuse3/fuse_common.h:

/usr/include/fuse3/libfuse_config.h:

/usr/include/fuse3/fuse_opt.h:

/usr/include/fuse3/fuse_log.h:

/usr/include/fuse3/fuse_lowlevel.h:

api/api.h:

api/model.h:

http/http.h:

util/compat.h:

auth/auth.h:

auth/login.h:

config/config.h:

fs/cache.h:

fs/render.h:

util/sbuf.h:

fs/cli.h:

fs/ops.h:

util/log.h:
