/* SPDX-License-Identifier: GPL-2.0-or-later */
/* JIT symbol maps (/tmp/perf-<pid>.map): parse, keep sorted, look up. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "symbolize/jitmap.h"
#include "target/procroot.h"
#include "target/procstat.h"

#define MS_JIT_REREAD_NS   20000000ull
#define MS_JIT_MAX_NAME    1024	       /* longer names are cut */
#define MS_JIT_MAX_BYTES   (256u << 20) /* a bigger map is read up to here only */
#define MS_JIT_NAME_CHUNK  (64u << 10)

struct jit_sym {
	uint64_t start;
	uint64_t end;
	uint64_t seq;	  /* line number over all reads: later lines win */
	const char *name; /* in one of the name chunks */
};

/* Names live in chunks that are never moved or freed before jitmap__free, so
 * returned strings survive re-reads. */
struct name_chunk {
	struct name_chunk *next;
	size_t used, cap;
	char data[];
};

struct jitmap {
	pid_t pid;		/* 0 with a host path */
	pid_t ns_pid;		/* pid in its own pid namespace: the map's name; 0 until known */
	uid_t uids[4];		/* the target's real, effective, saved and fs uids */
	bool warned;		/* a refused map was reported */
	char *path;		/* host path, or NULL */
	struct jit_sym *syms;	/* sorted by start; overlaps kept, resolved at lookup */
	size_t n, cap;
	uint64_t seq;
	off_t read_off;		/* bytes of complete lines consumed */
	dev_t dev;
	ino_t ino;
	uint64_t last_check_ns;
	uint64_t max_len;	/* longest entry: bounds the backwards scan */
	struct name_chunk *chunks;
};

struct jitmap *jitmap__new(pid_t pid)
{
	struct jitmap *m = calloc(1, sizeof(*m));

	if (m)
		m->pid = pid;
	return m;
}

struct jitmap *jitmap__new_path(const char *path)
{
	struct jitmap *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->path = strdup(path);
	if (!m->path) {
		free(m);
		return NULL;
	}
	return m;
}

void jitmap__free(struct jitmap *m)
{
	if (!m)
		return;
	while (m->chunks) {
		struct name_chunk *c = m->chunks;
		m->chunks = c->next;
		free(c);
	}
	free(m->syms);
	free(m->path);
	free(m);
}

size_t jitmap__count(const struct jitmap *m)
{
	return m ? m->n : 0;
}

/* Names are kept with the suffix JIT frames carry in folded stacks, so the flame
 * graph colours them (perf's "_[j]"); one copy, made here. */
static const char jit_suffix[] = "_[j]";

static const char *store_name(struct jitmap *m, const char *s, size_t len)
{
	struct name_chunk *c = m->chunks;
	size_t need = len + sizeof(jit_suffix);

	if (!c || c->cap - c->used < need) {
		size_t cap = need > MS_JIT_NAME_CHUNK ? need : MS_JIT_NAME_CHUNK;
		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->next = m->chunks;
		c->used = 0;
		c->cap = cap;
		m->chunks = c;
	}
	char *out = c->data + c->used;
	memcpy(out, s, len);
	memcpy(out + len, jit_suffix, sizeof(jit_suffix));
	c->used += need;
	return out;
}

static bool parse_hex(const char **p, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	int digits = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	for (;; s++, digits++) {
		unsigned c = (unsigned char)*s;
		if (c >= '0' && c <= '9')
			c -= '0';
		else if (c >= 'a' && c <= 'f')
			c = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			c = c - 'A' + 10;
		else
			break;
		v = v << 4 | c;
	}
	if (!digits || digits > 16)
		return false;
	*out = v;
	*p = s;
	return true;
}

/* One line, without its '\n'. Malformed lines are skipped, never fatal. */
static int add_line(struct jitmap *m, const char *line, size_t len)
{
	char buf[64];
	const char *p;
	uint64_t start, size;
	size_t hl = len < sizeof(buf) - 1 ? len : sizeof(buf) - 1;

	/* The two numbers fit in the first 64 bytes; the name may be long. */
	memcpy(buf, line, hl);
	buf[hl] = '\0';
	p = buf;
	if (!parse_hex(&p, &start) || *p++ != ' ' || !parse_hex(&p, &size) || *p++ != ' ')
		return 0;
	if (!size || start + size < start)
		return 0;
	const char *name = line + (p - buf);
	size_t nl = len - (size_t)(p - buf);
	while (nl && (name[nl - 1] == '\r' || name[nl - 1] == ' '))
		nl--;
	if (!nl)
		return 0;
	if (nl > MS_JIT_MAX_NAME)
		nl = MS_JIT_MAX_NAME;
	if (m->n == m->cap) {
		size_t ncap = m->cap ? m->cap * 2 : 256;
		struct jit_sym *ns = realloc(m->syms, ncap * sizeof(*ns));
		if (!ns)
			return -ENOMEM;
		m->syms = ns;
		m->cap = ncap;
	}
	const char *s = store_name(m, name, nl);
	if (!s)
		return -ENOMEM;
	m->syms[m->n++] = (struct jit_sym){start, start + size, ++m->seq, s};
	if (size > m->max_len)
		m->max_len = size;
	return 0;
}

static int cmp_sym(const void *a, const void *b)
{
	const struct jit_sym *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Whether the target's own user (or root) owns the map: anyone can write into
 * /tmp, and a map is the names memspy prints for the target. */
static bool owner_ok(const struct jitmap *m, uid_t owner)
{
	if (!owner)
		return true;
	for (int i = 0; i < 4; i++)
		if (m->uids[i] == owner)
			return true;
	return false;
}

/* Report once why the map is not read: the map is looked at again every 20 ms. */
__attribute__((format(printf, 3, 4))) static void refuse(struct jitmap *m, const char *path,
							  const char *fmt, ...)
{
	char why[160];
	va_list ap;

	if (m->warned)
		return;
	m->warned = true;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	ms_warn("ignoring JIT map %s of pid %d: %s", path, (int)m->pid, why);
}

/* The map in the target's /tmp (inside its root), named after its pid in its own
 * pid namespace; never through a symlink, and only when its owner is root or the
 * target's user. A fd, or -errno. */
static int open_map(struct jitmap *m)
{
	char path[64];
	struct stat st;
	int fd;

	if (m->path) {
		fd = open(m->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		return fd < 0 ? -errno : fd;
	}
	if (!m->ns_pid && procstat_ids(m->pid, &m->ns_pid, m->uids))
		return -ESRCH;
	snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)m->ns_pid);
	fd = procroot_open_nofollow(m->pid, path);
	if (fd == -ELOOP || fd == -EINVAL) {
		refuse(m, path, "it is %s, not a regular file (remove it; the JIT writes a new one)",
		       fd == -ELOOP ? "a symlink" : "a special file");
		return fd;
	}
	if (fd >= 0 && !fstat(fd, &st) && !owner_ok(m, st.st_uid)) {
		refuse(m, path, "its owner, uid %lu, is neither root nor the target's user",
		       (unsigned long)st.st_uid);
		close(fd);
		return -EPERM;
	}
	return fd;
}

/* Read the lines appended since the last read (all of them when the file was
 * replaced or truncated). */
static void reread(struct jitmap *m)
{
	struct stat st;
	int fd = open_map(m);

	if (fd < 0)
		return;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return;
	}
	if (st.st_dev != m->dev || st.st_ino != m->ino || st.st_size < m->read_off) {
		/* A new file: its entries replace the old ones, whose names stay. */
		m->n = 0;
		m->read_off = 0;
		m->max_len = 0;
		m->dev = st.st_dev;
		m->ino = st.st_ino;
	}
	if (st.st_size == m->read_off || m->read_off >= (off_t)MS_JIT_MAX_BYTES) {
		close(fd);
		return;
	}
	size_t want = (size_t)(st.st_size - m->read_off);
	if (want > MS_JIT_MAX_BYTES - (size_t)m->read_off)
		want = MS_JIT_MAX_BYTES - (size_t)m->read_off;
	char *buf = malloc(want);
	size_t got = 0;
	while (buf && got < want) {
		ssize_t r = pread(fd, buf + got, want - got, m->read_off + (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (!buf)
		return;
	size_t old_n = m->n, pos = 0;
	/* Only complete lines: the writer may be in the middle of one. */
	for (;;) {
		char *eol = memchr(buf + pos, '\n', got - pos);
		if (!eol)
			break;
		size_t len = (size_t)(eol - (buf + pos));
		if (add_line(m, buf + pos, len))
			break;
		pos += len + 1;
	}
	free(buf);
	m->read_off += (off_t)pos;
	if (m->n != old_n)
		qsort(m->syms, m->n, sizeof(*m->syms), cmp_sym);
}

const char *jitmap__lookup(struct jitmap *m, uint64_t addr)
{
	if (!m)
		return NULL;
	uint64_t now = clock_now_ns();
	if (!m->last_check_ns || now - m->last_check_ns >= MS_JIT_REREAD_NS) {
		m->last_check_ns = now;
		reread(m);
	}
	/* The last entry starting at or below addr, then back over those that could
	 * still cover it; the latest line covering addr wins. */
	size_t lo = 0, hi = m->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (m->syms[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	const struct jit_sym *best = NULL;
	for (size_t i = lo; i-- > 0;) {
		const struct jit_sym *s = &m->syms[i];
		if (addr - s->start >= m->max_len)
			break;
		if (addr < s->end && (!best || s->seq > best->seq))
			best = s;
	}
	return best ? best->name : NULL;
}
