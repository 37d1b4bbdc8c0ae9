#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Checks the includes of src/: which stage folder may include which (the table
# below), that every quoted include resolves, and that no two modules (a module is
# a .c and its .h) or folders include each other round a cycle. One line per
# violation, exit 1 if any. Usage: check-includes.sh [TOP], TOP holding src/.
set -eu

# Folder: the folders its files may include besides its own; dependencies run one
# way down the pipeline. include/memspy/, config.h, the skeletons (src/probes
# only) and system headers are allowed everywhere.
ALLOWED='
base:
target:    base
inject:    base target
probes:    base target
symbolize: base target
python:    base target symbolize
profile:   base
output:    base profile
run:       base target inject probes symbolize python profile output
cli:       base run output profile target
'

top=${1:-$(dirname "$0")/..}
cd "$top"
[ -d src ] || { echo "check-includes: no src/ in $top" >&2; exit 2; }

list=$(mktemp "${TMPDIR:-/tmp}/check-includes.XXXXXX")
trap 'rm -f "$list"' EXIT
# every file the includes may name, then the sources to check
find src include bpf -type f 2>/dev/null | LC_ALL=C sort > "$list"
sources=$(grep -E '^src/.*\.[ch]$' "$list") || { echo "check-includes: no sources in $top/src" >&2; exit 2; }
# shellcheck disable=SC2086
MS_ALLOWED=$ALLOWED LC_ALL=C awk -v list="$list" '
function fail(msg) {
	print msg
	failures++
}

# path with "." and "dir/.." taken out
function normalize(path,    n, i, k, part, out) {
	n = split(path, part, "/")
	k = 0
	for (i = 1; i <= n; i++) {
		if (part[i] == "." || part[i] == "")
			continue
		if (part[i] == ".." && k > 0 && out[k] != "..")
			k--
		else
			out[++k] = part[i]
	}
	path = out[1]
	for (i = 2; i <= k; i++)
		path = path "/" out[i]
	return path
}

function dirname(path) {
	sub(/\/[^\/]*$/, "", path)
	return path
}

# src/x/y.c -> x; "" for a file directly in src/
function folder_of(path,    part) {
	return split(path, part, "/") >= 3 ? part[2] : ""
}

# a private header x_impl.h belongs to module x: x.c including it is no cycle
function module_of(path) {
	sub(/^src\//, "", path)
	sub(/\.[ch]$/, "", path)
	sub(/_impl$/, "", path)
	return path
}

# a generated skeleton, src/probes/NAME.skel.h built from bpf/NAME.bpf.c
function is_skeleton(path,    name) {
	if (path !~ /^src\/probes\/[^\/]+\.skel\.h$/)
		return 0
	name = path
	sub(/^src\/probes\//, "", name)
	sub(/\.skel\.h$/, "", name)
	return ("bpf/" name ".bpf.c") in exists
}

# a generated protobuf-c header, src/DIR/NAME.pb-c.h built from src/DIR/NAME.proto
function is_protobuf(path,    proto) {
	proto = path
	if (!sub(/\.pb-c\.h$/, ".proto", proto))
		return 0
	return proto in exists
}

# Where the compiler finds an include of file (quoted: its folder first; then
# -I include -I src, the build tree for generated headers): "" when nowhere.
function resolve(inc, file, angle,    p) {
	if (inc == "config.h")
		return "config.h"
	p = normalize(dirname(file) "/" inc)
	if (!angle && (p in exists || is_skeleton(p) || is_protobuf(p)))
		return p
	p = normalize("include/" inc)
	if (p in exists)
		return p
	p = normalize("src/" inc)
	if (p in exists || is_skeleton(p) || is_protobuf(p))
		return p
	return ""
}

function add_edge(g, from, to, where) {
	if (from == to || (g, from, to) in edge)
		return
	edge[g, from, to] = where
	adj[g, from] = adj[g, from] " " to
	if (!((g, from) in node)) {
		node[g, from] = 1
		nodes[g, ++nnodes[g]] = from
	}
}

# Depth first: an edge back to a node on the path closes a cycle.
# The cycle is reported at the include that closes it, with the includes that
# make the rest of it.
function visit(g, u,    list, n, i, v, j, cycle, via) {
	state[g, u] = 1
	path[++depth] = u
	n = split(adj[g, u], list, " ")
	for (i = 1; i <= n; i++) {
		v = list[i]
		if (state[g, v] == 1) {
			for (j = depth; path[j] != v; j--)
				;
			cycle = v
			via = ""
			for (j++; j <= depth; j++) {
				cycle = cycle " -> " path[j]
				via = via (via == "" ? "" : ", ") edge[g, path[j - 1], path[j]]
			}
			fail(edge[g, u, v] ": " g " cycle " cycle " -> " v \
			     (via == "" ? "" : " (with " via ")"))
		} else if (!state[g, v]) {
			visit(g, v)
		}
	}
	depth--
	state[g, u] = 2
}

function check_include(file, line, inc, angle,    where, from, to, target) {
	where = file ":" line
	from = folder_of(file)
	target = resolve(inc, file, angle)
	if (angle && target !~ /^src\//)
		return	# a system header
	if (target == "") {
		fail(where ": \"" inc "\" does not resolve (not in " dirname(file) \
		     "/, include/ or src/)")
		return
	}
	if (target == "config.h" || target ~ /^include\//)
		return
	if (is_skeleton(target)) {
		if (from != "probes")
			fail(where ": folder " from " may not include skeleton " inc \
			     " (skeletons only in probes)")
		return
	}
	to = folder_of(target)
	if (to != from && (from in known) && !((from, to) in allow))
		fail(where ": folder " from " may not include " to " (allowed: " \
		     (allowed[from] == "" ? "nothing" : allowed[from]) ")")
	add_edge("module", module_of(file), module_of(target), where)
	add_edge("folder", from, to, where)
}

BEGIN {
	n = split(ENVIRON["MS_ALLOWED"], rows, "\n")
	for (i = 1; i <= n; i++) {
		if (split(rows[i], word, /[: \t]+/) < 1 || word[1] == "")
			continue
		known[word[1]] = 1
		for (j = 2; j in word; j++) {
			if (word[j] == "")
				continue
			allow[word[1], word[j]] = 1
			allowed[word[1]] = allowed[word[1]] (allowed[word[1]] == "" ? "" : ", ") word[j]
		}
	}
	while ((getline f < list) > 0)
		exists[f] = 1
	close(list)
}

FNR == 1 {
	files++
	f = folder_of(FILENAME)
	if (!(f in known) && !(f in unknown)) {
		unknown[f] = 1
		fail(FILENAME ":1: folder " (f == "" ? "src/ itself" : f) \
		     " is not in the table of scripts/check-includes.sh")
	}
}

/^[ \t]*#[ \t]*include[ \t]*["<]/ {
	includes++
	s = $0
	sub(/^[ \t]*#[ \t]*include[ \t]*/, "", s)
	angle = substr(s, 1, 1) == "<"
	s = substr(s, 2)
	if (angle)
		sub(/>.*/, "", s)
	else
		sub(/".*/, "", s)
	check_include(FILENAME, FNR, s, angle)
}

END {
	for (k = 1; k <= nnodes["module"]; k++)
		if (!state["module", nodes["module", k]])
			visit("module", nodes["module", k])
	for (k = 1; k <= nnodes["folder"]; k++)
		if (!state["folder", nodes["folder", k]])
			visit("folder", nodes["folder", k])
	if (failures) {
		print "check-includes: " failures " violations in " files " files"
		exit 1
	}
	print "check-includes: " files " files, " includes " includes: no violations"
}
' $sources
