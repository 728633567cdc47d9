#!/bin/sh
# The README's entry point on a fresh Debian 12: installs every package the
# project needs (make and a compiler included, which a minimal system lacks),
# then runs make with the given targets.  Run as root:
#   ./make.sh demo     the demo
#   ./make.sh check    every test suite
set -eu
cd "$(dirname "$0")"
sh scripts/install-deps.sh
exec make -j"$(nproc)" "$@"
