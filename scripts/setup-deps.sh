#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Install what memspy needs to build, run its demo, tests and benchmarks, from Debian 12's
# packages. Run as root. Safe to run again.
set -e
if [ "$(id -u)" != 0 ]; then
	echo "setup-deps: run as root (sudo $0)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# build: compilers, autotools, libbpf, elfutils, Check, ncurses
BUILD="build-essential autoconf automake pkg-config clang llvm bpftool \
	libbpf-dev libelf-dev libdw-dev check libncurses-dev zlib1g-dev"
# tests and demo: real targets and loads, libc's debug info, XML and browser checks
TEST="redis-server redis-tools libc6-dbg elfutils binutils libxml2-utils tmux \
	python3 python3-flask gunicorn wrk procps util-linux chromium bc"
# benchmarks (scripts/bench): GNU time for memspy's peak RSS, perf to compare against
TEST="$TEST time linux-perf"
# a Debian trixie chroot for the CPython 3.13 test (Debian 12 has no python3.13)
TEST="$TEST debootstrap"
# Node for the browser test: Debian's, unless a Node with npm is already installed
# (a nodesource nodejs bundles npm and conflicts with Debian's npm package).
command -v npm >/dev/null || TEST="$TEST nodejs npm"
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $BUILD $TEST > /dev/null
# Debian starts redis-server as a service on install where systemd runs; the tests
# start their own servers on other ports.
# the browser test drives Debian's chromium with playwright-core, pinned by the lock file
npm ci --silent --no-audit --no-fund --prefix "$(dirname "$0")/../tests/browser"
# CPython 3.13 target (tests/integration/python313_frames.sh): Debian trixie's
# python3, about 35 s and 260 MB; kept once built. Built aside and renamed, so an
# interrupted run never leaves a half chroot that looks done.
TRIXIE=/var/lib/memspy/trixie
if [ ! -x "$TRIXIE/usr/bin/python3.13" ]; then
	mkdir -p "$(dirname "$TRIXIE")"
	rm -rf "$TRIXIE.tmp"
	# the demo and every other test need no chroot: a failed download only warns
	if debootstrap --variant=minbase --include=python3 trixie "$TRIXIE.tmp" \
		http://deb.debian.org/debian > /dev/null; then
		rm -rf "$TRIXIE"
		mv "$TRIXIE.tmp" "$TRIXIE"
	else
		rm -rf "$TRIXIE.tmp"
		echo "setup-deps: could not build the Debian trixie chroot in $TRIXIE" \
			"(deb.debian.org unreachable?): the CPython 3.13 test will fail; run" \
			"this script again" >&2
	fi
fi
echo "setup-deps: done"
