#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Builds the symbolization test targets in OUT: inline.c with debug info in the
# binary (full), split off by build-id (bid, debug file under OUT/dbg/.build-id),
# split off by .gnu_debuglink (link/ with its .debug beside it, no build-id),
# MiniDebugInfo only (mini), stripped to nothing (strip), cxx.cpp (cxx), and
# inline.c with scopes.c in two compile units (multi); a build-id but no debug file
# anywhere (nodbg); stripped with its debug file aside (fetched, aside/fetched.debug).
# Usage: build.sh SRCDIR OUT
set -e
S=$1
O=$2
CC=${CC:-cc}
CXX=${CXX:-c++}
mkdir -p "$O/dbg" "$O/link"
cd "$O"
$CC -O2 -g -o full "$S/inline.c"
$CXX -O2 -g -o cxx "$S/cxx.cpp"
$CC -O2 -g -o multi "$S/inline.c" "$S/scopes.c"
# -O1: other code than full's, so another build-id, which no debug file has
$CC -O1 -g -o nodbg "$S/inline.c"
objcopy --strip-all nodbg

# by build-id: .symtab kept, DWARF only in the separate file
cp full bid
id=$(readelf -n bid | sed -n 's/.*Build ID: *//p')
d=$(echo "$id" | cut -c1-2)
f=$(echo "$id" | cut -c3-)
mkdir -p "dbg/.build-id/$d"
objcopy --only-keep-debug bid "dbg/.build-id/$d/$f.debug"
objcopy --strip-debug bid

# by debuglink, without a build-id so nothing else can find it
$CC -O2 -g -Wl,--build-id=none -o link/linked "$S/inline.c"
objcopy --only-keep-debug link/linked link/linked.debug
objcopy --strip-debug --add-gnu-debuglink=link/linked.debug link/linked

# MiniDebugInfo: the function symbols .dynsym lacks, xz-compressed in .gnu_debugdata;
# a build-id of its own, so that bid's debug file does not match it
$CC -O2 -g -Wl,--build-id=0x6d696e6964656275676461746131 -o mini.full "$S/inline.c"
nm -D mini.full --format=posix --defined-only | awk '{print $1}' | sort > dynsyms
nm mini.full --format=posix --defined-only | awk '$2 ~ /^[Tt]$/ {print $1}' | sort > funcsyms
comm -13 dynsyms funcsyms > keep
objcopy --only-keep-debug mini.full mini.dbg
objcopy -S --remove-section .gdb_index --remove-section .comment --keep-symbols=keep mini.dbg mini.sym
rm -f mini.sym.xz
xz -q mini.sym
objcopy --strip-all mini.full mini
objcopy --add-section .gnu_debugdata=mini.sym.xz mini
objcopy --strip-all mini.full strip

# stripped to nothing, its debug file kept where no search looks (as one fetched
# by build-id would be), with a build-id of its own
mkdir -p aside
$CC -O2 -g -Wl,--build-id=0x66657463686564000000000000000000000000aa -o fetched.full "$S/inline.c"
objcopy --only-keep-debug fetched.full aside/fetched.debug
objcopy --strip-all fetched.full fetched
