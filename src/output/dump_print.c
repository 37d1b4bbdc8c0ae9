/* SPDX-License-Identifier: GPL-2.0-or-later */
/* memspy dump's two outputs: text blocks like py-spy dump's, and JSON. */
#include <stdio.h>

#include "output/dump_print.h"

const char *dump_state_text(const struct dump_thread *t, char *buf, size_t size)
{
	const char *what;

	switch (t->state) {
	case 'R':
		what = t->on_cpu || t->how == MS_DUMP_READ_STOPPED ? "running"
								     : "runnable (waiting for a CPU)";
		break;
	case 'S':
		what = "sleeping";
		break;
	case 'D':
		what = "in uninterruptible sleep";
		break;
	case 'T':
		what = "stopped";
		break;
	default:
		what = "in an unknown state";
	}
	if (t->syscall_name[0])
		snprintf(buf, size, "%s in %s", what, t->syscall_name);
	else
		snprintf(buf, size, "%s", what);
	return buf;
}

static const char *how_note(const struct dump_thread *t)
{
	switch (t->how) {
	case MS_DUMP_READ_SAMPLED:
		return " [sampled while running]";
	case MS_DUMP_READ_STALE:
		return " [was on a CPU and no sample came: no stack]";
	case MS_DUMP_READ_STOPPED:
		return " [stopped for the read]";
	default:
		return "";
	}
}

static void print_frame(FILE *f, const struct dump_frame *fr)
{
	fprintf(f, "    %s", fr->function);
	if (fr->file && fr->line)
		fprintf(f, " (%s:%u)", fr->file, fr->line);
	else if (fr->file)
		fprintf(f, " (%s)", fr->file);
	if (fr->module)
		fprintf(f, " [%s]", fr->module);
	if (fr->inlined)
		fputs(" (inlined)", f);
	fputc('\n', f);
}

void dump_print_text(FILE *f, const struct thread_dump *d)
{
	char buf[96];

	fprintf(f, "Process %d: %s\n", (int)d->pid, d->comm);
	if (d->python[0])
		fprintf(f, "Python: %s\n", d->python);
	if (d->stopped_ms >= 0)
		fprintf(f, "Running threads held for %.3f ms (--consistent)\n", d->stopped_ms);
	for (size_t i = 0; i < d->nr_threads; i++) {
		const struct dump_thread *t = &d->threads[i];

		fprintf(f, "\nThread %d \"%s\": %s%s%s\n", (int)t->tid, t->name,
			dump_state_text(t, buf, sizeof(buf)),
			t->gil == MS_DUMP_GIL_HOLDS ? ", holds the GIL" : "", how_note(t));
		for (size_t j = 0; j < t->nr_frames; j++)
			print_frame(f, &t->frames[j]);
		if (t->how != MS_DUMP_READ_STALE && !t->complete)
			fputs("    ... (stack truncated: its root was not reached)\n", f);
	}
}

static void json_str(FILE *f, const char *s)
{
	if (!s) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static const char *how_name(enum dump_how how)
{
	static const char *const names[] = {
		[MS_DUMP_READ_BLOCKED] = "blocked",
		[MS_DUMP_READ_SAMPLED] = "sampled",
		[MS_DUMP_READ_STALE] = "stale",
		[MS_DUMP_READ_STOPPED] = "stopped",
	};
	return names[how];
}

static void json_frame(FILE *f, const struct dump_frame *fr, bool last)
{
	fputs("{\"function\": ", f);
	json_str(f, fr->function);
	fputs(", \"file\": ", f);
	json_str(f, fr->file);
	fprintf(f, ", \"line\": %u, \"module\": ", fr->line);
	json_str(f, fr->module);
	fprintf(f, ", \"python\": %s, \"inlined\": %s}%s", fr->python ? "true" : "false",
		fr->inlined ? "true" : "false", last ? "" : ", ");
}

static void json_thread(FILE *f, const struct thread_dump *d, const struct dump_thread *t,
			bool last)
{
	char state[2] = {t->state, 0};

	fprintf(f, "  {\"tid\": %d, \"name\": ", (int)t->tid);
	json_str(f, t->name);
	fputs(", \"state\": ", f);
	json_str(f, state);
	fprintf(f, ", \"on_cpu\": %s, \"syscall\": ", t->on_cpu ? "true" : "false");
	json_str(f, t->syscall_name[0] ? t->syscall_name : NULL);
	fprintf(f, ", \"read\": \"%s\", \"gil\": %s, \"complete\": %s,\n   \"frames\": [",
		how_name(t->how),
		t->gil == MS_DUMP_GIL_NONE ? "null" : t->gil == MS_DUMP_GIL_HOLDS ? "true" : "false",
		t->complete ? "true" : "false");
	for (size_t j = 0; j < t->nr_frames; j++)
		json_frame(f, &t->frames[j], j + 1 == t->nr_frames);
	fprintf(f, "]}%s\n", last ? "" : ",");
}

void dump_print_json(FILE *f, const struct thread_dump *d)
{
	fprintf(f, "{\"pid\": %d, \"comm\": ", (int)d->pid);
	json_str(f, d->comm);
	fputs(", \"python\": ", f);
	json_str(f, d->python[0] ? d->python : NULL);
	if (d->stopped_ms >= 0)
		fprintf(f, ", \"stopped_ms\": %.3f", d->stopped_ms);
	else
		fputs(", \"stopped_ms\": null", f);
	fputs(", \"threads\": [\n", f);
	for (size_t i = 0; i < d->nr_threads; i++)
		json_thread(f, d, &d->threads[i], i + 1 == d->nr_threads);
	fputs("]}\n", f);
}
