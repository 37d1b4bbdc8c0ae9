/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The flamegraph and diff subcommands: folded stacks or pprof in, SVG (or folded deltas) out. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "output/diff.h"
#include "output/flamegraph.h"
#include "output/pprof_read.h"

static void flamegraph_usage(FILE *f)
{
	fputs("usage: memspy flamegraph [--title T] [--colors mem|cpu|time] [--inverted]\n"
	      "                         [--width PX] [--sample-index N|NAME] [FILE]\n"
	      "\n"
	      "Draw a profile as a flame graph: one self-contained SVG written to stdout.\n"
	      "Each box is a function; its width is its share of the total (bytes for a heap\n"
	      "profile, samples for CPU), and the boxes above it are what it called. Open the\n"
	      "SVG in a browser: hover for name, value and share, click a box to zoom into it,\n"
	      "Ctrl-F (or Search) highlights functions matching a regular expression and shows\n"
	      "their share of the total.\n"
	      "\n"
	      "FILE holds folded stacks, one per line, root first: 'main;parse;malloc 4096'.\n"
	      "memspy attach writes them (heap.folded, cpu.folded); so do perf script |\n"
	      "stackcollapse-perf.pl and py-spy record -f raw. FILE may also be a pprof\n"
	      "profile, gzipped or not (heap.pb.gz, cpu.pb.gz, or Go's runtime/pprof output),\n"
	      "told apart by its content. Without FILE (or with -) it is read from stdin.\n"
	      "\n"
	      "options:\n"
	      "  -t, --title T        title at the top of the graph\n"
	      "  -c, --colors mem|cpu|time\n"
	      "                       what the counts are: mem = bytes, shown as KiB/MiB/GiB\n"
	      "                       (default), cpu = samples, time = microseconds (offcpu\n"
	      "                       and wall profiles)\n"
	      "  -i, --inverted       icicle graph: callers at the top, the hot leaves at the\n"
	      "                       bottom\n"
	      "  -w, --width PX       image width in pixels (default 1200)\n"
	      "  -s, --sample-index N|NAME\n"
	      "                       which value of a pprof profile to draw, by number from 0\n"
	      "                       or by type (inuse_space, alloc_objects, cpu, ...); default:\n"
	      "                       the profile's default type, else its last, as go tool\n"
	      "                       pprof; ignored for folded stacks. Without --colors, a\n"
	      "                       type in bytes is drawn as mem, any other as cpu\n"
	      "  -h, --help           show this help\n"
	      "\n"
	      "Colours: green (mem) or red (cpu) native code, blue Python frames ('f (x.py:3)'),\n"
	      "orange kernel ('_[k]'), aqua inlined ('_[i]'), purple JIT ('_[j]'); frames under\n"
	      "0.1% of the total are merged into grey boxes.\n"
	      "\n"
	      "examples:\n"
	      "  memspy flamegraph --title 'live heap' memspy-42-*/heap.folded > heap.svg\n"
	      "  memspy flamegraph --sample-index alloc_space heap.pb.gz > allocated.svg\n"
	      "  perf script | stackcollapse-perf.pl | memspy flamegraph --colors cpu > cpu.svg\n",
	      f);
}

static void diff_usage(FILE *f)
{
	fputs("usage: memspy diff [--folded] [--title T] [--colors mem|cpu|time] [--width PX]\n"
	      "                   [--sample-index N|NAME] A B\n"
	      "\n"
	      "Compare two profiles (folded stacks or pprof, gzipped or not, told apart by\n"
	      "content): what changed from A (before) to B (after).\n"
	      "Writes a differential flame graph to stdout: B's shape, boxes in red grew and\n"
	      "boxes in blue shrank, the deeper the colour the larger the change; hover a box\n"
	      "for both values and the change. Stacks found only in A have no width in B and\n"
	      "show as the shrinking of their callers.\n"
	      "\n"
	      "options:\n"
	      "  -f, --folded         print the change of every stack as folded lines instead,\n"
	      "                       B minus A with a sign ('main;cache_put;malloc 65536',\n"
	      "                       'main;parse;malloc -4096'); unchanged stacks are left out\n"
	      "  -t, --title T        title of the graph\n"
	      "  -c, --colors mem|cpu|time\n"
	      "                       units: bytes (default), samples or microseconds\n"
	      "  -w, --width PX       image width in pixels (default 1200)\n"
	      "  -s, --sample-index N|NAME\n"
	      "                       the value of pprof profiles to compare, by number or type;\n"
	      "                       default: the default type, else the last, as go tool pprof\n"
	      "  -h, --help           show this help\n"
	      "\n"
	      "Either file may be - for stdin. Both profiles should cover the same time or load:\n"
	      "the values are compared as they are, not scaled.\n"
	      "\n"
	      "example: memspy diff before/heap.folded after/heap.folded > heap-diff.svg\n",
	      f);
}

/* Each command has its own table, with the options both take and its own:
 * getopt_long would take any long option in a shared table, so flamegraph would
 * accept --folded and ignore it. */
#define MS_GRAPH_OPTIONS                                 \
	{"title", required_argument, NULL, 't'},         \
	{"colors", required_argument, NULL, 'c'},        \
	{"width", required_argument, NULL, 'w'},         \
	{"sample-index", required_argument, NULL, 's'},  \
	{"help", no_argument, NULL, 'h'}

static const struct option flamegraph_long[] = {
    MS_GRAPH_OPTIONS,
    {"inverted", no_argument, NULL, 'i'},
    {NULL, 0, NULL, 0},
};

static const struct option diff_long[] = {
    MS_GRAPH_OPTIONS,
    {"folded", no_argument, NULL, 'f'},
    {NULL, 0, NULL, 0},
};

/* What the command line asks of either command. */
struct graph_args {
	struct flame_options o;
	struct flame_input in;
	bool folded;	 /* diff --folded */
	bool colors_set; /* --colors given: pprof input does not choose the palette */
};

/* Parse the options both commands share; returns -1 to go on, else an exit status. */
static int parse_args(int argc, char **argv, bool is_diff, struct graph_args *g)
{
	struct flame_options *o = &g->o;
	int c;
	optind = 0; /* glibc: start over, the tests call commands more than once */
	opterr = 0;
	while ((c = getopt_long(argc, argv, is_diff ? ":t:c:w:s:fh" : ":t:c:iw:s:h",
				is_diff ? diff_long : flamegraph_long, NULL)) != -1) {
		switch (c) {
		case 't':
			o->title = optarg;
			break;
		case 'c':
			if (!strcmp(optarg, "mem")) {
				o->colors = MS_FLAME_MEM;
			} else if (!strcmp(optarg, "cpu")) {
				o->colors = MS_FLAME_CPU;
			} else if (!strcmp(optarg, "time")) {
				o->colors = MS_FLAME_TIME;
			} else {
				fprintf(stderr,
					"memspy: --colors %s: unknown palette; use mem "
					"(bytes), cpu (samples) or time (microseconds)\n",
					optarg);
				return 2;
			}
			g->colors_set = true;
			break;
		case 's':
			g->in.sample_index = optarg;
			break;
		case 'i':
			o->inverted = true;
			break;
		case 'w': {
			char *end;
			errno = 0;
			long w = strtol(optarg, &end, 10);
			if (errno || *end || w < 200 || w > 100000) {
				fprintf(stderr,
					"memspy: --width %s: not a width in pixels between "
					"200 and 100000\n",
					optarg);
				return 2;
			}
			o->width = (unsigned int)w;
			break;
		}
		case 'f':
			g->folded = true;
			break;
		case 'h':
			if (is_diff)
				diff_usage(stdout);
			else
				flamegraph_usage(stdout);
			return 0;
		case ':':
			fprintf(stderr,
				"memspy: %s: option %s needs a value; see 'memspy %s --help'\n",
				argv[0], argv[optind - 1], argv[0]);
			return 2;
		default:
			fprintf(stderr, "memspy: %s: unknown option %s; see 'memspy %s --help'\n",
				argv[0], argv[optind - 1], argv[0]);
			return 2;
		}
	}
	return -1;
}

/* SVG on a terminal is a wall of markup: say how to save it instead. */
static bool stdout_is_terminal(const char *cmd)
{
	if (!isatty(STDOUT_FILENO))
		return false;
	fprintf(stderr,
		"memspy: %s writes SVG to stdout; redirect it to a file, e.g. 'memspy %s "
		"... > graph.svg'\n",
		cmd, cmd);
	return true;
}

/* A pprof profile says what its values are: bytes are drawn as memory, the rest
 * (samples, nanoseconds) as CPU, unless --colors said otherwise. */
static void choose_colors(struct graph_args *g)
{
	if (!g->colors_set && g->in.is_pprof)
		g->o.colors = strcmp(g->in.unit, "bytes") ? MS_FLAME_CPU : MS_FLAME_MEM;
}

static void set_subtitle(char *buf, size_t size, const struct flame_tree *t,
			 const struct flame_options *o, const char *what)
{
	char total[48];
	flamegraph_format_value(total, sizeof(total), (double)flame_tree__total(t, false),
				o->colors, false);
	snprintf(buf, size, "%s: %s in total", what, total);
}

int cmd_flamegraph(int argc, char **argv)
{
	struct graph_args g = {.o.colors = MS_FLAME_MEM};
	char subtitle[PATH_MAX + 64];
	int ret = parse_args(argc, argv, false, &g);
	if (ret >= 0)
		return ret;
	if (argc - optind > 1) {
		fprintf(stderr,
			"memspy: flamegraph: one input file at most (got %d); see "
			"'memspy flamegraph --help'\n",
			argc - optind);
		return 2;
	}
	const char *path = optind < argc ? argv[optind] : "-";
	bool is_stdin = !strcmp(path, "-");
	const char *name = is_stdin ? "stdin" : path;
	if (is_stdin && isatty(STDIN_FILENO)) {
		fprintf(stderr, "memspy: flamegraph: no input; give a profile FILE (folded stacks or "
				"pprof) or pipe one in (see 'memspy flamegraph --help')\n");
		return 2;
	}
	if (stdout_is_terminal("flamegraph"))
		return 2;
	struct flame_tree *t = flame_tree__new();
	if (!t) {
		fprintf(stderr, "memspy: flamegraph: out of memory\n");
		return 1;
	}
	ret = flame_tree__read_input(t, path, false, &g.in);
	choose_colors(&g);
	if (!ret && !flame_tree__total(t, false)) {
		fprintf(stderr,
			"memspy: %s: no stacks to draw (the input is empty or every count "
			"is 0); expected lines like 'main;work;malloc 4096'\n",
			name);
		ret = -ENODATA;
	} else if (!ret) {
		set_subtitle(subtitle, sizeof(subtitle), t, &g.o, name);
		g.o.subtitle = subtitle;
		ret = flame_tree__write_svg(t, stdout, &g.o);
		if (ret)
			fprintf(stderr, "memspy: cannot write the flame graph to stdout: %s\n",
				strerror(-ret));
	}
	flame_tree__free(t);
	return ret ? 1 : 0;
}

int cmd_diff(int argc, char **argv)
{
	struct graph_args g = {.o.colors = MS_FLAME_MEM};
	char subtitle[256], a_total[48], b_total[48], change[48];
	int ret = parse_args(argc, argv, true, &g);
	if (ret >= 0)
		return ret;
	if (argc - optind != 2) {
		fprintf(stderr, "memspy: diff: needs two profiles, A (before) and B (after); see "
				"'memspy diff --help'\n");
		return 2;
	}
	const char *a = argv[optind], *b = argv[optind + 1];
	if (!strcmp(a, "-") && !strcmp(b, "-")) {
		fprintf(stderr, "memspy: diff: only one of A and B can be stdin\n");
		return 2;
	}
	if (!g.folded && stdout_is_terminal("diff"))
		return 2;
	struct flame_tree *t = diff_read_files(a, b, g.folded, &g.in);
	if (!t)
		return 1;
	choose_colors(&g);
	uint64_t ta = flame_tree__total(t, true), tb = flame_tree__total(t, false);
	if (!ta && !tb) {
		fprintf(stderr,
			"memspy: diff: %s and %s have no stacks to compare (empty, or "
			"every count is 0)\n",
			a, b);
		flame_tree__free(t);
		return 1;
	}
	if (g.folded) {
		ret = diff_write_folded(t, stdout);
	} else if (!tb) {
		fprintf(stderr,
			"memspy: diff: %s has no stacks, so there is no shape to draw; "
			"'memspy diff --folded' lists what shrank\n",
			b);
		flame_tree__free(t);
		return 1;
	} else {
		flamegraph_format_value(a_total, sizeof(a_total), (double)ta, g.o.colors, false);
		flamegraph_format_value(b_total, sizeof(b_total), (double)tb, g.o.colors, false);
		flamegraph_format_value(change, sizeof(change), (double)tb - (double)ta, g.o.colors,
					true);
		snprintf(subtitle, sizeof(subtitle),
			 "A %s, B %s, change %s (red grew, blue shrank)", a_total, b_total, change);
		g.o.subtitle = subtitle;
		ret = flame_tree__write_svg(t, stdout, &g.o);
	}
	if (ret)
		fprintf(stderr, "memspy: diff: cannot write to stdout: %s\n", strerror(-ret));
	flame_tree__free(t);
	return ret ? 1 : 0;
}
