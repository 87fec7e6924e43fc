# smartsheetfs: one GNU Makefile (STYLE B1).
#   make                 build build/smartsheetfs
#   make test            install deps, then unit + integration tests, plain and
#                        under ASan+UBSan; ends with "N passed, N failed"
#   make check-unit      unit tests only (this build)
#   make check-integration  integration tests only (this build, mounts for real)
#   make static          clang-tidy, cppcheck, banned functions
#   make tsan            ThreadSanitizer over the threaded code
#   make valgrind        the daemon under memcheck
#   make bench-edit      parse + diff of a 20,000 x 25 save: time, memory
#   make bench-write     the write-back rows of make bench only (9-11)
#   make fuzz            the libFuzzer targets, FUZZ_SECONDS each
#   make demo            mount a demo account (fake Smartsheet) at ./mnt
#   make SAN=1 ...       AddressSanitizer + UndefinedBehaviorSanitizer build
#   make -s print-VAR    a variable for the scripts (PKGS, EXTRA_LIBS, WARN,
#                        SRC_DIRS, LIB_SRC, ALL_CFLAGS), so they keep no copy of it
#   make install PREFIX=/usr/local DESTDIR=
#                        binary, man page, systemd units, example config
#   make uninstall       the same PREFIX and DESTDIR
#   make man             check that man/smartsheetfs.1 renders cleanly

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
# The units read /etc/smartsheetfs/NAME.ini whatever the PREFIX.
SYSCONFDIR ?= /etc
# systemd looks in /usr/local/lib/systemd/{system,user} too.
UNITDIR ?= $(PREFIX)/lib/systemd/system
USERUNITDIR ?= $(PREFIX)/lib/systemd/user
PKG_CONFIG ?= pkg-config
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo 0.0.0)
# The one package list (pkg-config names) and, below, the one warning list:
# every script asks for them with make -s print-PKGS / print-WARN.
PKGS := fuse3 libcurl libcjson inih openssl yajl libmicrohttpd
# Libraries without a pkg-config file in Debian 12 (libcsv-dev ships none):
# linked by name. The scripts ask for them with make -s print-EXTRA_LIBS.
EXTRA_LIBS := -lcsv
# One folder a layer, in dependency order (STYLE M1); cmd/main.c is the
# program, everything else goes into the library the tests link.
SRC_DIRS := util config http auth api render edit cache fs cmd
# inih has no version call; --version prints what it was built against.
INIH_VERSION := $(shell $(PKG_CONFIG) --modversion inih 2>/dev/null || echo unknown)

ifeq ($(SAN),1)
BUILD ?= build-san
else
BUILD ?= build
endif

IS_CLANG := $(shell $(CC) -dM -E -x c /dev/null 2>/dev/null | grep -c __clang__)

WARN := -Wall -Wextra -Wpedantic -Wformat=2 -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wmissing-declarations -Wold-style-definition \
	-Wwrite-strings -Wundef -Wpointer-arith -Wcast-qual -Wvla \
	-Wnull-dereference -Wimplicit-fallthrough -Wconversion \
	-Wno-sign-conversion -Wdouble-promotion
ifeq ($(IS_CLANG),0)
WARN += -Wjump-misses-init -Wlogical-op -Wduplicated-cond \
	-Wduplicated-branches -Wrestrict -Walloc-zero
endif
ifeq ($(WERROR),1)
WARN += -Werror
endif

ifeq ($(SAN),1)
OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=all
SANLD := -fsanitize=address,undefined
else
OPT ?= -O2 -g
SANLD :=
endif

PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)

CPPFLAGS += -I. -DFUSE_USE_VERSION=314 -DSSFS_VERSION='"$(VERSION)"' \
	-DSSFS_INIH_VERSION='"$(INIH_VERSION)"' \
	-D_GNU_SOURCE -D_FILE_OFFSET_BITS=64
CFLAGS += -std=c11 $(OPT) $(WARN) $(PKG_CFLAGS) -pthread -MMD -MP
LDFLAGS += $(SANLD) -pthread
LDLIBS += $(PKG_LIBS) $(EXTRA_LIBS) -lm

MAIN_SRC := cmd/main.c
LIB_SRC := $(filter-out $(MAIN_SRC),$(foreach d,$(SRC_DIRS),$(wildcard $(d)/*.c)))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
MAIN_OBJ := $(MAIN_SRC:%.c=$(BUILD)/%.o)
ALL_CFLAGS = $(CPPFLAGS) $(CFLAGS)
LIB := $(BUILD)/libsmartsheetfs.a
BIN := $(BUILD)/smartsheetfs

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all deps test check check-unit check-integration demo demo-stop \
	install uninstall man clean bench bench-edit bench-write fuzz format check-format static \
	tsan valgrind

all: $(BIN)

deps:
	@scripts/install-deps

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BIN): $(MAIN_OBJ) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Tests dereference what they just checked; gcc -O2 cannot see that.
$(BUILD)/tests/unit/%.o: tests/unit/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -Wno-null-dereference -c -o $@ $<

check-unit: $(UNIT_BIN)
	@scripts/run-unit $(UNIT_BIN)

check-integration: $(BIN)
	@SSFS_BIN=$(abspath $(BIN)) scripts/run-integration

check: check-unit check-integration

# The whole suite, as CI runs it: plain build then ASan+UBSan build.
test: deps
	@scripts/run-tests

demo: deps
	@$(MAKE) --no-print-directory all
	@scripts/demo start

demo-stop:
	@scripts/demo stop

bench: deps
	@$(MAKE) --no-print-directory all
	@bench/bench

bench-write: deps
	@$(MAKE) --no-print-directory all
	@bench/bench --write-only

# The speed and memory of a save's parse and diff (edit/), 20,000 x 25.
bench-edit: $(BUILD)/bench/edit_bench
	@echo "edit_bench: 20000 rows x 25 columns, best of 5, one case a process"
	@for c in csv json reversed; do $(BUILD)/bench/edit_bench 20000 25 5 $$c; done

$(BUILD)/bench/edit_bench: $(BUILD)/bench/edit_bench.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# libFuzzer targets (tests/fuzz/) under ASan+UBSan, FUZZ_SECONDS each.
FUZZ_SECONDS ?= 60
fuzz: deps
	@scripts/fuzz $(FUZZ_SECONDS)

static: deps
	@scripts/static-check

tsan: deps
	@scripts/tsan-check

valgrind: deps
	@$(MAKE) --no-print-directory all
	@scripts/valgrind-check

print-%:
	@echo $($*)

# The units name the binary by its installed path (@BINDIR@). There is no
# mount.smartsheetfs helper: mount(8) runs mount.fuse3 for the type
# fuse.smartsheetfs, and that runs smartsheetfs from /usr/local/bin or
# /usr/bin (mount clears PATH), which also keeps its setuid= option.
UNITS := dist/smartsheetfs@.service
USERUNITS := dist/user/smartsheetfs@.service
SUBST = sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g'

install: $(BIN)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(USERUNITDIR)
	install -d -m 0700 $(DESTDIR)$(SYSCONFDIR)/smartsheetfs
	install -m 0755 $(BIN) $(DESTDIR)$(BINDIR)/smartsheetfs
	install -m 0644 man/smartsheetfs.1 $(DESTDIR)$(MANDIR)/man1/smartsheetfs.1
	install -m 0600 dist/config.ini.example \
		$(DESTDIR)$(SYSCONFDIR)/smartsheetfs/config.ini.example
	$(SUBST) $(UNITS) >$(DESTDIR)$(UNITDIR)/smartsheetfs@.service.tmp
	mv $(DESTDIR)$(UNITDIR)/smartsheetfs@.service.tmp \
		$(DESTDIR)$(UNITDIR)/smartsheetfs@.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/smartsheetfs@.service
	$(SUBST) $(USERUNITS) >$(DESTDIR)$(USERUNITDIR)/smartsheetfs@.service.tmp
	mv $(DESTDIR)$(USERUNITDIR)/smartsheetfs@.service.tmp \
		$(DESTDIR)$(USERUNITDIR)/smartsheetfs@.service
	chmod 0644 $(DESTDIR)$(USERUNITDIR)/smartsheetfs@.service

# Your own files in SYSCONFDIR/smartsheetfs stay; so does the folder then.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/smartsheetfs \
		$(DESTDIR)$(MANDIR)/man1/smartsheetfs.1 \
		$(DESTDIR)$(UNITDIR)/smartsheetfs@.service \
		$(DESTDIR)$(USERUNITDIR)/smartsheetfs@.service \
		$(DESTDIR)$(SYSCONFDIR)/smartsheetfs/config.ini.example
	rmdir $(DESTDIR)$(SYSCONFDIR)/smartsheetfs 2>/dev/null || true

man:
	LC_ALL=C.UTF-8 MANWIDTH=80 groff -man -Tutf8 -ww -z man/smartsheetfs.1

format:
	clang-format -i $(foreach d,$(SRC_DIRS),$(wildcard $(d)/*.[ch])) \
		$(wildcard tests/unit/*.[ch])

check-format:
	clang-format --dry-run -Werror \
		$(foreach d,$(SRC_DIRS),$(wildcard $(d)/*.[ch]))

clean:
	rm -rf build build-san build-clang build-fuzz build-tsan

-include $(LIB_OBJ:.o=.d) $(MAIN_OBJ:.o=.d) $(UNIT_BIN:$(BUILD)/tests/%=$(BUILD)/tests/unit/%.d)
