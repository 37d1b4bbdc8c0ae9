# SPDX-License-Identifier: GPL-2.0-or-later
# A leak of small Python objects (tests/integration/python_small_leak.sh): each
# request does transient work that allocates far more than it keeps, and, between
# SIGUSR1 and SIGUSR2, keeps one new small dict (184 bytes, under pymalloc's 512) in an
# instance attribute. Every object is pymalloc's: none reaches malloc on its own
# but the cache's growing table. On SIGUSR2 it prints the bytes it stored
# (sys.getsizeof of each dict kept, and of the cache itself), then idles.
import signal
import sys
import time
import tracemalloc


class Sessions:
    def __init__(self):
        self.cache = {}

    def remember(self, key):
        self.cache[key] = {"hits": 0, "tag": None, "ok": True, "slot": key % 97}  # L:store


# No dict here: a dict freed goes to CPython's dict free list, and the next one
# created (the leak's) would reuse it without an allocator call, charged to the
# line that first allocated it, as in any profiler that hooks the allocator.
def transient(n):
    rows = [("row", i, i * n) for i in range(24)]  # L:transient
    text = ",".join([str(v) for _, _, v in rows])
    return len(text)


state = {"on": False, "done": False}


def start(signum, frame):
    state["on"] = True


def stop(signum, frame):
    state["on"] = False
    state["done"] = True


# SIGHUP: tracemalloc on, or off again (it wraps the allocator domains, memspy's
# hooks included, and puts back what it found when it stops)
def trace(signum, frame):
    if tracemalloc.is_tracing():
        tracemalloc.stop()
        print("tracemalloc off", flush=True)
    else:
        tracemalloc.start()
        print("tracemalloc on", flush=True)


def main():
    signal.signal(signal.SIGUSR1, start)
    signal.signal(signal.SIGUSR2, stop)
    signal.signal(signal.SIGHUP, trace)
    sessions = Sessions()
    key = 1000
    print("ready", flush=True)
    while not state["done"]:
        transient(key)
        if state["on"]:
            sessions.remember(key)
            key += 1
    stored = sum(sys.getsizeof(v) for v in sessions.cache.values())
    stored += sys.getsizeof(sessions.cache)
    print("stored %d dicts %d bytes" % (len(sessions.cache), stored), flush=True)
    while True:
        time.sleep(1)


main()
