#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Install what memspy needs to build, run its demo, tests and benchmarks, from Debian 12's
# packages. Run as root. Safe to run again. With --print-mirror, only print the
# Debian mirror it would build the trixie and sid chroots from (any user).
set -e

# debian_mirror: "URI FILE", the first enabled "deb" source of apt's own
# configuration that serves this system's release (VERSION_CODENAME of
# /etc/os-release) and the file naming it: the mirror this machine already uses
# also holds trixie. One-line sources (sources.list, sources.list.d/*.list) and
# deb822 ones (sources.list.d/*.sources), where apt-config says they are; only
# schemes debootstrap can fetch from.
debian_mirror() {
	SL=/etc/apt/sources.list SP=/etc/apt/sources.list.d/
	release=$(. /etc/os-release 2>/dev/null && echo "$VERSION_CODENAME")
	[ -n "$release" ] || return 1
	if command -v apt-config >/dev/null; then
		eval "$(apt-config shell SL Dir::Etc::sourcelist/f SP Dir::Etc::sourceparts/d)"
	fi
	files=$(ls -d "$SL" "${SP%/}"/*.list "${SP%/}"/*.sources 2>/dev/null) || true
	[ -n "$files" ] || return 1
	# shellcheck disable=SC2086
	awk -v release="$release" '
	function take(types, uris, suites,    x, n, i, want) {
		if (types !~ /(^|[ \t])deb([ \t]|$)/)
			return
		n = split(suites, x, /[ \t]+/)
		for (i = 1; i <= n; i++)
			want = want || x[i] == release
		n = split(uris, x, /[ \t]+/)
		for (i = 1; want && i <= n; i++)
			if (x[i] ~ /^(https?|ftp|file):/) {
				print x[i], file
				found = 1
				exit
			}
	}
	function paragraph() {
		if (tolower(f["enabled"]) !~ /^[ \t]*no[ \t]*$/)
			take(f["types"], f["uris"], f["suites"])
		split("", f)
		key = ""
	}
	FNR == 1 {
		if (deb822)
			paragraph()
		deb822 = FILENAME ~ /\.sources$/
		file = FILENAME
	}
	/^[ \t]*#/ { next }
	!deb822 {	# deb [ options ] uri suite component...
		line = $0
		sub(/#.*/, "", line)
		gsub(/\[[^]]*\]/, " ", line)
		sub(/^[ \t]+/, "", line)
		if (split(line, w, /[ \t]+/) >= 3)
			take(w[1], w[2], w[3])
		next
	}
	/^[ \t]*$/ { paragraph(); next }
	/^[ \t]/ { if (key != "") f[key] = f[key] " " $0; next }
	{
		key = tolower(substr($0, 1, index($0, ":") - 1))
		f[key] = substr($0, index($0, ":") + 1)
	}
	END {
		if (!found && deb822)
			paragraph()
		exit !found
	}
	' $files
}

if [ "$1" = --print-mirror ]; then
	if m=$(debian_mirror); then
		echo "setup-deps: Debian mirror ${m% *} (from ${m##* })"
		exit 0
	fi
	echo "setup-deps: no deb source for this release in apt's sources lists" >&2
	exit 1
fi
if [ "$(id -u)" != 0 ]; then
	echo "setup-deps: run as root (sudo $0)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# build: compilers, autotools, libbpf, elfutils, Check, ncurses, protobuf-c and zlib
# (the pprof files)
BUILD="build-essential autoconf automake pkg-config clang llvm bpftool \
	libbpf-dev libelf-dev libdw-dev check libncurses-dev zlib1g-dev \
	libprotobuf-c-dev protobuf-c-compiler"
# tests and demo: real targets and loads, libc's debug info, XML and browser checks
TEST="redis-server redis-tools libc6-dbg elfutils binutils libxml2-utils tmux \
	python3 python3-flask gunicorn wrk procps util-linux chromium bc"
# a C program embedding CPython through the shared libpython (tests/targets/pyembed)
TEST="$TEST python3-dev"
# Go programs to attach to (tests/integration/attach_go.sh): Debian's toolchain
# in /usr/lib/go-1.19/bin, cgo through build-essential
TEST="$TEST golang-1.19-go"
# benchmarks (scripts/bench): GNU time for memspy's peak RSS, perf to compare against
TEST="$TEST time linux-perf"
# the libFuzzer targets (scripts/fuzz, tests/integration/fuzz_smoke.sh): clang's
# fuzzer runtime is only a recommendation of clang, which is not installed here
TEST="$TEST libclang-rt-14-dev"
# Debian trixie and sid chroots for the CPython 3.13, 3.14 and 3.15 tests (Debian 12
# has none of them)
TEST="$TEST debootstrap"
# debug files fetched by build-id (tests/integration/symbolize_debuginfod.sh): the
# client library memspy loads only when a server is configured, and a server the
# test runs on loopback over a directory of debug files
TEST="$TEST libdebuginfod1 debuginfod"
# Node for the browser test and the JIT test target (tests/integration/symbolize_jit.sh,
# which runs on Debian's node 18 as on later ones): Debian's, unless a Node with npm
# is already installed (a nodesource nodejs bundles npm and conflicts with Debian's
# npm package).
command -v npm >/dev/null || TEST="$TEST nodejs npm"
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $BUILD $TEST > /dev/null
# Debian starts redis-server as a service on install where systemd runs; the tests
# start their own servers on other ports.
# the browser test drives Debian's chromium with playwright-core, pinned by the lock file
npm ci --silent --no-audit --no-fund --prefix "$(dirname "$0")/../tests/browser"
# build_chroot DIR SUITE PACKAGES WHAT: a Debian SUITE chroot in DIR with PACKAGES
# (comma-separated), for the CPython WHAT tests; kept once DIR/TEST_FILE exists.
# Built aside and renamed, so an interrupted run never leaves a half chroot
# that looks done. From the mirror apt uses here, never a host named in this
# script. The demo and every other test need no chroot: a failed download only
# warns.
build_chroot() {
	dir=$1 suite=$2 pkgs=$3 what=$4 test_file=$5
	if [ -x "$dir/$test_file" ]; then
		echo "setup-deps: $dir already built"
		return 0
	fi
	if ! m=$(debian_mirror); then
		echo "setup-deps: no deb source for this release in apt's sources lists:" \
			"no mirror to build the Debian $suite chroot in $dir from; the CPython" \
			"$what tests will fail" >&2
		return 0
	fi
	MIRROR=${m% *}
	echo "setup-deps: building $dir from ${MIRROR} (from ${m##* })"
	mkdir -p "$(dirname "$dir")"
	rm -rf "$dir.tmp"
	if debootstrap --variant=minbase --include="$pkgs" "$suite" "$dir.tmp" \
		"$MIRROR" > /dev/null; then
		rm -rf "$dir"
		mv "$dir.tmp" "$dir"
	else
		rm -rf "$dir.tmp"
		echo "setup-deps: could not build the Debian $suite chroot in $dir" \
			"($MIRROR unreachable, or without $suite?): the CPython $what tests" \
			"will fail; run this script again" >&2
	fi
}
# CPython 3.13 target (tests/integration/python313_frames.sh): Debian trixie's
# python3, about 35 s and 260 MB. MEMSPY_TRIXIE, which the tests read too, puts it
# elsewhere.
build_chroot "${MEMSPY_TRIXIE:-/var/lib/memspy/trixie}" trixie python3 3.13 usr/bin/python3.13
# CPython 3.14 and 3.15 targets (tests/integration/python314_frames.sh,
# python315_frames.sh, tests/check_python_sid_globals): Debian unstable's, about
# 45 s; bookworm's debootstrap knows sid. MEMSPY_SID puts it elsewhere.
build_chroot "${MEMSPY_SID:-/var/lib/memspy/sid}" sid python3.14,python3.15 "3.14 and 3.15" \
	usr/bin/python3.15
echo "setup-deps: done"
