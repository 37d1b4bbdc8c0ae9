#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# make install puts the binary, the man page and the bash completion where they
# belong; the completion completes subcommands and options; --version names the
# libraries' versions.
. "$(dirname "$0")/lib.sh"
: "${srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
builddir=$(dirname "$MEMSPY")

# a make of our own: not the options and jobserver of the make running the tests
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$builddir" install DESTDIR="$T/root" \
	prefix=/usr > "$T/install.out" 2>&1 || { cat "$T/install.out"; fail "make install failed"; }
for f in /usr/bin/memspy /usr/share/man/man1/memspy.1 \
	/usr/share/bash-completion/completions/memspy; do
	[ -s "$T/root$f" ] || { find "$T/root"; fail "make install did not install $f"; }
done
[ -x "$T/root/usr/bin/memspy" ] || fail "the installed memspy is not executable"
echo "ok: binary, man page and completion installed"

v=$("$T/root/usr/bin/memspy" --version)
echo "$v" | grep -Eq '^memspy [0-9]+\.[0-9]+\.[0-9]+ \(libbpf [0-9]+\.[0-9]+[^,]*, elfutils [0-9]+\.[0-9]+\)$' ||
	fail "--version said '$v'"
echo "ok: $v"

# complete WORDS...: what the installed completion offers for the last word
complete_words() {
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _memspy
		printf "%s\n" "${COMPREPLY[@]}"' complete \
		"$T/root/usr/share/bash-completion/completions/memspy" "$@"
}
got=$(complete_words memspy '' | sort | tr '\n' ' ')
[ "$got" = "--help --version attach diff dump flamegraph top " ] || fail "memspy <TAB> offered '$got'"
got=$(complete_words memspy a | tr '\n' ' ')
[ "$got" = "attach " ] || fail "memspy a<TAB> offered '$got'"
got=$(complete_words memspy attach -- | sort)
for o in --pid --duration --output --sample-bytes --children --no-rss --quiet --help; do
	echo "$got" | grep -qx -- "$o" || fail "memspy attach --<TAB> lacks $o: $got"
done
echo "$got" | grep -qx -- --inverted && fail "memspy attach --<TAB> offers flamegraph's --inverted"
got=$(complete_words memspy attach -p $$)
echo "$got" | grep -qx "$$" || fail "memspy attach -p $$<TAB> did not offer pid $$: $got"
got=$(complete_words memspy dump --c | tr '\n' ' ')
[ "$got" = "--consistent " ] || fail "memspy dump --c<TAB> offered '$got'"
got=$(complete_words memspy dump $$)
echo "$got" | grep -qx "$$" || fail "memspy dump $$<TAB> did not offer pid $$: $got"
got=$(complete_words memspy diff --c)
[ "$got" = "--colors" ] || fail "memspy diff --c<TAB> offered '$got'"
echo "ok: completion of subcommands, attach's and dump's options and pids"

env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$builddir" uninstall DESTDIR="$T/root" \
	prefix=/usr > "$T/uninstall.out" 2>&1 || { cat "$T/uninstall.out"; fail "make uninstall failed"; }
left=$(find "$T/root" -type f)
[ -z "$left" ] || fail "make uninstall left $left"
echo PASS
