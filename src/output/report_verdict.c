/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The verdict paragraph that ends the report: the one thing to read first. */
#include <stdarg.h>
#include <string.h>

#include "output/report.h"
#include "output/report_verdict.h"
#include "profile/site_name.h"

#define MS_VERDICT_WIDTH 80
/* Suspects the first is told apart from (the report lists 32 at most). */
#define MS_VERDICT_TITLED 32

struct para {
	char buf[2048];
	size_t len;
};

static void say(struct para *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p->len >= sizeof(p->buf) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(p->buf + p->len, sizeof(p->buf) - p->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		p->len += (size_t)n;
	if (p->len >= sizeof(p->buf))
		p->len = sizeof(p->buf) - 1;
}

/* Print the paragraph indented two spaces, broken at blanks before the width. */
static void wrap(FILE *f, const char *s)
{
	while (*s) {
		size_t room = MS_VERDICT_WIDTH - 2, len = strlen(s), cut = len;

		if (len > room) {
			for (cut = room; cut > 0 && s[cut] != ' '; cut--)
				;
			if (!cut)
				cut = strcspn(s, " ");
		}
		fprintf(f, "  %.*s\n", (int)cut, s);
		s += cut;
		while (*s == ' ')
			s++;
	}
}

/* The first suspect's title as the suspects list prints it: told apart from the
 * others that share its name. */
static void suspect_title(const struct verdict_input *in, char *out)
{
	uint32_t ids[MS_VERDICT_TITLED];
	char titles[MS_VERDICT_TITLED][MS_SITE_TITLE_MAX];
	size_t n = in->nr_suspects < MS_VERDICT_TITLED ? in->nr_suspects : MS_VERDICT_TITLED;

	for (size_t i = 0; i < n; i++)
		ids[i] = in->suspects[i].stack_id;
	site_titles(in->stacks, ids, n, titles);
	memcpy(out, titles[0], MS_SITE_TITLE_MAX);
}

/* The likeliest leak, a heap site: what it grew, per unit of work, what it kept. */
static void say_site(struct para *p, const struct verdict_input *in)
{
	const struct leak_suspect *s = &in->suspects[0];
	char growth[32], per_gib[32], per_s[32], title[MS_SITE_TITLE_MAX];

	suspect_title(in, title);

	report_format_bytes(s->growth, growth, sizeof(growth));
	report_format_bytes(s->per_gib, per_gib, sizeof(per_gib));
	report_format_bytes(s->slope, per_s, sizeof(per_s));
	say(p, "%s grew by %s", title, growth);
	if (in->work && in->work->allocated)
		say(p, ", %s per GiB the process allocated (%s per second of load)", per_gib,
		    per_s);
	else
		say(p, " (%s/s)", per_s);
	say(p, s->released > 0 ? ", and kept %.0f%% of its peak" : ", and kept all of it",
	    s->peak > 0 ? 100.0 * (s->peak - s->released) / s->peak : 100.0);
	say(p, ": look there first (the first suspect above, with its stack; heap.folded and "
	       "timeline.svg show it too).");
}

/* The likeliest RSS leak, when no heap site grew: the new pages under a title. */
static void say_rss(struct para *p, const struct verdict_input *in)
{
	const struct leak_suspect *s = &in->rss_suspects[0];
	const struct leak_work *w = in->rss_work;
	char growth[32], per_gib[32], per_s[32];

	report_format_bytes(s->growth, growth, sizeof(growth));
	report_format_bytes(s->per_gib, per_gib, sizeof(per_gib));
	report_format_bytes(s->slope, per_s, sizeof(per_s));
	if (!in->work)
		say(p, "The heap was not tracked, but RSS was: ");
	else if (in->work->no_work)
		say(p, "The process hardly allocated through its allocator, but its RSS grew: ");
	else
		say(p, "No heap site grew with the work, but RSS did: ");
	say(p, "the new pages of %s grew by %s", site_name(in->stacks, s->stack_id), growth);
	if (w->allocated)
		say(p, ", %s per GiB %s (%s per second of load)", per_gib,
		    w->faults ? "of new pages the process faulted in" : "the process allocated",
		    per_s);
	else
		say(p, " (%s/s)", per_s);
	say(p, s->released > 0 ? ", and kept %.0f%% of their peak" : ", and kept all of it",
	    s->peak > 0 ? 100.0 * (s->peak - s->released) / s->peak : 100.0);
	say(p, ": look there first (the first RSS suspect in == rss ==; rss.folded shows it).");
}

static void say_container(struct para *p, const struct container_growth *g, bool first)
{
	say(p, first ? " The %s %s grew from %lld to %lld entries%s%s: look there first."
		     : " The %s %s grew from %lld to %lld entries too%s%s.",
	    g->type, g->name, (long long)g->len_start, (long long)g->len_end,
	    g->writer[0] ? ", stored by " : "", g->writer);
}

void report_verdict_write(FILE *f, const struct verdict_input *in)
{
	struct para p = {.len = 0};
	char a[32], b[32];

	fprintf(f, "\n== verdict ==\n");
	if (!in->nr_suspects && !in->nr_growth && in->nr_rss_suspects) {
		say_rss(&p, in);
	} else if (in->work && in->work->no_work) {
		report_format_bytes(in->work->total, a, sizeof(a));
		say(&p, "No verdict on leaks: the process hardly worked while memspy recorded "
			"(it allocated %s in all). Run it again under load, e.g. memspy attach "
			"<pid> -- <load command>.", a);
	} else if (in->nr_suspects) {
		say_site(&p, in);
		if (in->nr_suspects > 1)
			say(&p, " %zu other site%s grew with the work too.", in->nr_suspects - 1,
			    in->nr_suspects > 2 ? "s" : "");
		if (in->nr_growth)
			say_container(&p, &in->growth[0], false);
	} else if (in->nr_growth) {
		say(&p, "No heap site grew with the work.");
		say_container(&p, &in->growth[0], true);
		if (in->nr_rss_suspects)
			say(&p, " The new pages of %s grew with the work too.",
			    site_name(in->stacks, in->rss_suspects[0].stack_id));
	} else {
		say(&p, "No leak found: ");
		if (in->work && in->work->allocated) {
			report_format_bytes(in->work->total, a, sizeof(a));
			say(&p, "over %.0f s of load (%s allocated), ", in->work->load_s, a);
		}
		say(&p, "no site's live memory grew with the work and stayed%s.",
		    in->rss_work && !in->rss_work->no_work ? ", nor did any stack's new pages" : "");
	}
	if (in->rss_start >= 0 && in->rss_end >= 0) {
		report_format_bytes(in->rss_start, a, sizeof(a));
		report_format_bytes(in->rss_end, b, sizeof(b));
		say(&p, " RSS went from %s to %s.", a, b);
	}
	if (in->load_status)
		say(&p, " The load command %s.", in->load_status);
	wrap(f, p.buf);
}
