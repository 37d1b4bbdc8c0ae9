/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The agent in this very process, without ptrace or BPF: mapped as the injector
 * maps it, its slots found by alloc_slots, installed by a direct call. Threads then
 * allocate and free through every path (malloc, calloc, realloc, posix_memalign,
 * C++ new and delete) and the test checks that the slots point into the agent, that
 * its exact counters equal the calls made, that the sampled bytes estimate the
 * bytes allocated within 10%, that every sampled block's free reaches the trap
 * with the caller's state, and that removal restores every slot.
 * Usage: agent_selftest [AGENT.so]; exit 77 (skip) without root.
 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent_local.h"
#include "base/sampling.h"

/* libstdc++'s operator new and delete, called from C */
void *_Znwm(size_t size);
void _ZdlPv(void *p);
/* agent_selftest_throw.cc: 1 when a failed new[] threw bad_alloc into its caller */
int agent_selftest_throws(void);

#define MEAN (64 << 10)
#define THREADS 4
#define OPS 200000
#define LIVE 64

static struct agent_local agent;
static int failures;

#define CHECK(cond, ...)                                                         \
	do {                                                                     \
		if (!(cond)) {                                                   \
			fprintf(stderr, "FAIL: " __VA_ARGS__);                   \
			fprintf(stderr, "\n");                                   \
			failures++;                                              \
		}                                                                \
	} while (0)

/* What the traps saw, per thread: what a uprobe on them would see. */
static __thread uint64_t trap_allocs, trap_frees, bad_callers;
static __thread double trap_weight;
static atomic_ulong other_traps;
static __thread int worker;

static void check_caller(const struct ms_agent_sample *s)
{
	/* the caller's sp once returned sits just above its return address */
	if (*(uint64_t *)(uintptr_t)(s->sp - 8) != s->ret)
		bad_callers++;
}

static void on_alloc(const struct ms_agent_sample *s)
{
	if (!worker) {
		other_traps++;
		return;
	}
	check_caller(s);
	trap_allocs++;
	trap_weight += sampling_weight(s->size, MEAN);
}

static void on_free(const struct ms_agent_sample *s)
{
	if (!worker) {
		other_traps++;
		return;
	}
	check_caller(s);
	trap_frees++;
}

struct expect {
	uint64_t alloc_calls, alloc_bytes, free_calls;
};

static uint64_t rnd(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

struct block {
	void *p;
	int cxx; /* from operator new: goes back with delete */
};

static void release(struct block *b, struct expect *e)
{
	if (!b->p)
		return;
	if (b->cxx)
		_ZdlPv(b->p);
	else
		free(b->p);
	e->free_calls++;
	b->p = NULL;
}

/* One operation: replace a random live block by a new one of random size, by a
 * random path. */
static void step(struct block *live, uint64_t *seed, struct expect *e)
{
	struct block *b = &live[rnd(seed) % LIVE];
	size_t size = 1 + (rnd(seed) % 4096) * (rnd(seed) % 4 + 1);
	void *p;

	switch (rnd(seed) % 6) {
	case 0:
		if (b->p && !b->cxx) {
			p = realloc(b->p, size);
			if (p) {
				b->p = p;
				e->alloc_calls++;
				e->alloc_bytes += size;
			}
			return;
		}
		break;
	case 1:
		release(b, e);
		b->p = calloc(4, size / 4 + 1);
		b->cxx = 0;
		e->alloc_calls++;
		e->alloc_bytes += 4 * (size / 4 + 1);
		return;
	case 2:
		release(b, e);
		if (posix_memalign(&b->p, 64, size) == 0) {
			b->cxx = 0;
			e->alloc_calls++;
			e->alloc_bytes += size;
		}
		return;
	case 3:
		release(b, e);
		b->p = _Znwm(size);
		b->cxx = 1;
		e->alloc_calls++;
		e->alloc_bytes += size;
		return;
	}
	release(b, e);
	b->p = malloc(size);
	b->cxx = 0;
	e->alloc_calls++;
	e->alloc_bytes += size;
}

static pthread_mutex_t totals_lock = PTHREAD_MUTEX_INITIALIZER;
static double total_weight;
static uint64_t total_bytes, total_samples;

static void *work(void *arg)
{
	uint64_t seed = 0x9e3779b97f4a7c15ULL * (uintptr_t)arg + 1;
	struct block live[LIVE] = {0};
	struct expect e = {0};
	struct ms_agent_thread *t, before;

	void *volatile first = malloc(1); /* claims this thread's record */
	free(first);
	t = agent_local_thread(&agent);
	CHECK(t, "thread has no record after a hooked call");
	if (!t)
		return NULL;
	before = *t;
	worker = 1;
	for (int i = 0; i < OPS; i++)
		step(live, &seed, &e);
	for (int i = 0; i < LIVE; i++)
		release(&live[i], &e);
	worker = 0;
	CHECK(t->n.alloc_calls - before.n.alloc_calls == e.alloc_calls,
	      "agent counted %llu allocations, the thread made %llu",
	      t->n.alloc_calls - before.n.alloc_calls, (unsigned long long)e.alloc_calls);
	CHECK(t->n.alloc_bytes - before.n.alloc_bytes == e.alloc_bytes,
	      "agent counted %llu bytes, the thread allocated %llu",
	      t->n.alloc_bytes - before.n.alloc_bytes, (unsigned long long)e.alloc_bytes);
	CHECK(t->n.free_calls - before.n.free_calls == e.free_calls,
	      "agent counted %llu frees, the thread made %llu",
	      t->n.free_calls - before.n.free_calls, (unsigned long long)e.free_calls);
	CHECK(t->n.sampled - before.n.sampled == trap_allocs,
	      "agent sampled %llu blocks, the trap saw %llu", t->n.sampled - before.n.sampled,
	      (unsigned long long)trap_allocs);
	CHECK(trap_allocs > 100, "only %llu samples", (unsigned long long)trap_allocs);
	CHECK(trap_frees == trap_allocs, "%llu sampled blocks freed, %llu frees trapped",
	      (unsigned long long)trap_allocs, (unsigned long long)trap_frees);
	CHECK(!bad_callers, "%llu traps without the caller's return address at sp - 8",
	      (unsigned long long)bad_callers);
	pthread_mutex_lock(&totals_lock);
	total_weight += trap_weight;
	total_bytes += e.alloc_bytes;
	total_samples += trap_allocs;
	pthread_mutex_unlock(&totals_lock);
	return NULL;
}

static void check_slots(const char *when, int hooked)
{
	const struct alloc_slots *s = &agent.slots;

	for (size_t i = 0; i < s->n; i++) {
		uint64_t now = *(volatile uint64_t *)(uintptr_t)s->slots[i].addr;
		bool in_agent = now >= agent.base && now < agent.base + agent.img.text_size;

		CHECK(hooked ? in_agent && now == agent.ctl->slots[i].hook : now == s->slots[i].value,
		      "%s: slot %zu (%s in %s) holds %#llx", when, i,
		      alloc_slot_names[s->slots[i].hook], s->modules[s->slots[i].module].path,
		      (unsigned long long)now);
	}
}

int main(int argc, char **argv)
{
	char *path = argc > 1 ? strdup(argv[1]) : agent_image_locate();
	pthread_t th[THREADS];

	if (geteuid() != 0) {
		printf("SKIP: needs root to read /proc/self/map_files\n");
		return 77;
	}
	if (!path) {
		fprintf(stderr, "FAIL: no memspy-agent.so found (build it, or give its path)\n");
		return 1;
	}
	if (agent_local_load(path, MEAN, &agent) ||
	    agent_local_catch_traps(&agent, on_alloc, on_free))
		return 1;
	printf("agent at %#llx, %zu slots in %zu modules\n", (unsigned long long)agent.base,
	       agent.slots.n, agent.slots.nr_modules);
	CHECK(agent.slots.n >= 4, "only %zu slots", agent.slots.n);

	agent.install(agent.ctl);
	CHECK(agent.ctl->install_result == (int)agent.slots.n, "install hooked %d of %zu slots",
	      agent.ctl->install_result, agent.slots.n);
	check_slots("installed", 1);

	for (long i = 0; i < THREADS; i++)
		pthread_create(&th[i], NULL, work, (void *)(i + 1));
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);

	/* what memspy reads of the running target: the same sums (read first: the
	 * reader's own malloc is then in both) */
	struct agent_counts read;
	CHECK(agent_image_read_counts(getpid(), agent.base + agent.img.ctl, &read) == 0,
	      "cannot read the agent's counters");
	uint64_t calls = agent.ctl->overflow.alloc_calls, bytes = agent.ctl->overflow.alloc_bytes;
	for (int i = 0; i < MS_AGENT_THREADS; i++) {
		calls += agent.ctl->threads[i].n.alloc_calls;
		bytes += agent.ctl->threads[i].n.alloc_bytes;
	}
	CHECK(read.n.alloc_calls == calls && read.n.alloc_bytes == bytes,
	      "counters read %llu calls %llu bytes, the block holds %llu %llu",
	      (unsigned long long)read.n.alloc_calls, (unsigned long long)read.n.alloc_bytes,
	      (unsigned long long)calls, (unsigned long long)bytes);
	CHECK(read.threads >= THREADS + 1, "%u thread records", read.threads);

	double err = total_weight / (double)total_bytes - 1;
	printf("%llu bytes allocated, %llu samples estimate %.0f (%+.2f%%)\n",
	       (unsigned long long)total_bytes, (unsigned long long)total_samples, total_weight,
	       100 * err);
	CHECK(fabs(err) < 0.10, "sampled estimate off by %+.1f%%", 100 * err);
	CHECK(agent.ctl->set_full == 0, "sampled-block set full %llu times", agent.ctl->set_full);

	/* a failing operator new throws through the hook, sampled or not */
	CHECK(agent_selftest_throws(), "a failed new[] did not throw bad_alloc to its caller");
	CHECK(agent_selftest_throws(), "a failed new[] did not throw bad_alloc to its caller");

	agent.remove(agent.ctl);
	CHECK(agent.ctl->remove_result == (int)agent.slots.n, "remove restored %d of %zu slots",
	      agent.ctl->remove_result, agent.slots.n);
	check_slots("removed", 0);
	/* inert now: calls pass through and count nothing */
	struct ms_agent_thread *t = agent_local_thread(&agent);
	calls = t ? t->n.alloc_calls : 0;
	void *volatile p = malloc(100);
	free(p);
	((void (*)(void *))(uintptr_t)(agent.base + agent.img.hooks[MS_HOOK_FREE]))(
		((void *(*)(size_t))(uintptr_t)(agent.base + agent.img.hooks[MS_HOOK_MALLOC]))(
			100));
	CHECK(!t || t->n.alloc_calls == calls, "a removed agent still counts");

	agent_local_unload(&agent);
	free(path);
	if (failures)
		return 1;
	printf("PASS\n");
	return 0;
}
