# nflogmon: plain GNU make, pkg-config for every library.
#   make              build ./nflogmon (gcc unless CC=clang)
#   make SANITIZE=1   ASan+UBSan build in build-san/ (tests then use it)
#   make check        every test suite (unit, replay, e2e as root)
#   make fuzz         libFuzzer targets, FUZZ_SECONDS each (clang)
#   make bench        speed and memory figures against a baseline
#   make demo         the live demo (root)
#   make demo-offline the same story replayed from a capture (no root)
#   make install      PREFIX=/usr/local DESTDIR=

CC	?= cc
PREFIX	?= /usr/local
SBINDIR	?= $(PREFIX)/sbin
MANDIR	?= $(PREFIX)/share/man
DATADIR	?= $(PREFIX)/share/nflogmon
SYSCONFDIR ?= /etc
UNITDIR	?= $(PREFIX)/lib/systemd/system
FUZZ_SECONDS ?= 10

PKGS	:= libnetfilter_log libnfnetlink libmnl libipset libpcap libnftables libnftnl \
	   inih jansson libcap-ng libsystemd libcurl sqlite3 zlib
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   := $(shell pkg-config --libs $(PKGS))

WARN	:= -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	   -Wpointer-arith -Wcast-qual -Wformat=2 -Werror
CFLAGS	?= -O2 -g
ALL_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS) $(PKG_CFLAGS) -Idaemon -Ifleet \
	     -D_FILE_OFFSET_BITS=64

ifeq ($(SANITIZE),1)
BUILD	:= build-san
ALL_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer \
	      -fno-sanitize-recover=all
LDFLAGS	+= -fsanitize=address,undefined
else
BUILD	:= build
endif

SRCS	:= $(wildcard daemon/*.c ipset/*.c nft/*.c fleet/*.c)
OBJS	:= $(patsubst %.c,$(BUILD)/%.o,$(SRCS))
LIBOBJS	:= $(filter-out $(BUILD)/daemon/main.o,$(OBJS))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
GEN_BIN	:= $(BUILD)/pcaps/gen-pcaps
# The fleet client alone on the event loop, for the fleet e2e tests.
FLEET_DRIVER := $(BUILD)/tools/fleet-driver

.PHONY: all check unit-check replay-check e2e-check fuzz bench demo demo-offline install \
	clean pcaps cppcheck

all: nflogmon $(FLEET_DRIVER)

$(BUILD)/nflogmon: $(OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

# The top-level ./nflogmon is always the last build (plain or sanitized).
nflogmon: $(BUILD)/nflogmon
	cp $< $@

$(BUILD)/%.o: %.c daemon/nflogmon.h $(wildcard daemon/*.h ipset/*.h nft/*.h fleet/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(LIBOBJS) $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(shell pkg-config --cflags cmocka) $(LDFLAGS) \
	    -o $@ $< $(LIBOBJS) $(PKG_LIBS) $(shell pkg-config --libs cmocka)

$(FLEET_DRIVER): tests/e2e/tools/fleet-driver.c $(LIBOBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(LIBOBJS) $(PKG_LIBS)

$(GEN_BIN): pcaps/gen-pcaps.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(shell pkg-config --libs libpcap)

# Regenerates the fixtures; the generator is deterministic, so the
# committed files must not change (tests/replay checks that).
pcaps: $(GEN_BIN)
	$(GEN_BIN) pcaps

check: nflogmon $(UNIT_BINS) $(GEN_BIN) $(FLEET_DRIVER)
	NFLOGMON=$(abspath $(BUILD)/nflogmon) BUILD=$(BUILD) tests/run-all.sh

unit-check: $(UNIT_BINS)
	BUILD=$(BUILD) tests/run-all.sh unit

replay-check: nflogmon $(GEN_BIN)
	NFLOGMON=$(abspath $(BUILD)/nflogmon) BUILD=$(BUILD) tests/run-all.sh replay

e2e-check: nflogmon $(FLEET_DRIVER)
	NFLOGMON=$(abspath $(BUILD)/nflogmon) BUILD=$(BUILD) tests/run-all.sh e2e

# libFuzzer: the pure objects rebuilt with clang and coverage.
FUZZ_BUILD := build-fuzz
FUZZ_CFLAGS := -std=gnu11 $(WARN) -O1 -g $(PKG_CFLAGS) -Idaemon -Ifleet \
	       -fsanitize=fuzzer-no-link,address,undefined
FUZZ_OBJS := $(patsubst %.c,$(FUZZ_BUILD)/%.o,$(filter-out daemon/main.c,$(SRCS)))
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(FUZZ_BUILD)/%,$(FUZZ_SRCS))

$(FUZZ_BUILD)/%.o: %.c daemon/nflogmon.h
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJS)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJS) $(PKG_LIBS)

fuzz: $(FUZZ_BINS)
	FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh

BENCH_BINS := $(BUILD)/bench/mkflood $(BUILD)/bench/pcap-baseline \
	      $(BUILD)/bench/engine-mem $(BUILD)/bench/synflood \
	      $(BUILD)/bench/nflog-baseline $(BUILD)/bench/policy-load \
	      $(BUILD)/bench/policy-responder $(BUILD)/bench/policy-logins \
	      $(BUILD)/bench/connect-loop

$(BUILD)/bench/mkflood $(BUILD)/bench/pcap-baseline: $(BUILD)/bench/%: bench/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -O2 $(LDFLAGS) -o $@ $< $(shell pkg-config --libs libpcap)

$(BUILD)/bench/engine-mem: bench/engine-mem.c $(LIBOBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(LIBOBJS) $(PKG_LIBS)

$(BUILD)/bench/policy-load $(BUILD)/bench/policy-responder \
    $(BUILD)/bench/policy-logins $(BUILD)/bench/connect-loop: \
    $(BUILD)/bench/%: bench/%.c bench/bench_clock.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -O2 $(LDFLAGS) -o $@ $<

$(BUILD)/bench/synflood: bench/synflood.c bench/bench_clock.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -O2 $(LDFLAGS) -o $@ $<

$(BUILD)/bench/nflog-baseline: bench/nflog-baseline.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -O2 $(LDFLAGS) -o $@ $< \
	    $(shell pkg-config --libs libnetfilter_log libipset)

bench: nflogmon $(BENCH_BINS) $(FLEET_DRIVER)
	NFLOGMON=$(abspath $(BUILD)/nflogmon) BUILD=$(BUILD) bench/run.sh

demo: nflogmon
	./demo.sh

# The same story offline, without root: the bundled office capture replayed.
demo-offline: nflogmon
	./nflogmon replay -c tests/replay/office.conf pcaps/office.pcap

cppcheck:
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability,performance \
	    --std=c11 --inline-suppr -Idaemon -Ifleet --suppress=missingIncludeSystem \
	    daemon ipset nft fleet pcaps bench tests/unit tests/fuzz \
	    tests/e2e/tools

install: nflogmon $(FLEET_DRIVER)
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(DATADIR) \
	    $(DESTDIR)$(SYSCONFDIR)/nflogmon $(DESTDIR)$(UNITDIR)
	install -m 0755 nflogmon $(DESTDIR)$(SBINDIR)/nflogmon
	install -m 0644 man/nflogmon.8 $(DESTDIR)$(MANDIR)/man8/nflogmon.8
	install -m 0644 man/nflogmon.conf.5 $(DESTDIR)$(MANDIR)/man5/nflogmon.conf.5
	install -m 0644 rules.nft $(DESTDIR)$(DATADIR)/rules.nft
	install -m 0644 ipset/nflogmon.iptables $(DESTDIR)$(DATADIR)/nflogmon.iptables
	install -m 0644 ipset/nflogmon.ip6tables $(DESTDIR)$(DATADIR)/nflogmon.ip6tables
	install -m 0644 examples/nflogmon.conf $(DESTDIR)$(DATADIR)/nflogmon.conf.example
	install -m 0755 examples/hook-mail $(DESTDIR)$(DATADIR)/hook-mail
	install -m 0755 examples/exim/hook-suspend $(DESTDIR)$(DATADIR)/hook-suspend
	install -m 0644 examples/exim/acl.conf $(DESTDIR)$(DATADIR)/exim-acl.conf
	install -m 0755 examples/hook-suspend-account $(DESTDIR)$(DATADIR)/hook-suspend-account
	test -e $(DESTDIR)$(SYSCONFDIR)/nflogmon/nflogmon.conf || \
	    install -m 0644 examples/nflogmon.conf $(DESTDIR)$(SYSCONFDIR)/nflogmon/nflogmon.conf
	sed 's|@SBINDIR@|$(SBINDIR)|g' systemd/nflogmon.service.in > \
	    $(DESTDIR)$(UNITDIR)/nflogmon.service

clean:
	rm -rf build build-san build-fuzz nflogmon
