# SPDX-License-Identifier: GPL-2.0-or-later
# The chaos suite's Python target (tests/chaos/run.sh): threads running Python
# code that allocates (lists, dicts, strings, big bytes objects that go to
# malloc) with the GIL contended (a 0.5 ms switch interval), and one thread in
# time.sleep, while memspy installs and removes its agent and dies on the way.
#   python3 gil.py [THREADS]   (4 by default)
# Round r of a thread does the work of schedule entry r % 32, whose hash was
# computed before any thread started: a different hash, or a sleep cut short or
# 5 s late, makes the program exit 1 at once. SIGUSR2 (or SIGTERM) ends the run:
# "checksum HEX" (of the schedule: the same for every run with THREADS) and
# "done", exit 0. Prints "ready" once every thread runs.
import os
import signal
import sys
import threading
import time

SCHEDULE = 32
stop = threading.Event()


def fail(what):
    print("gil.py: " + what, file=sys.stderr, flush=True)
    os._exit(1)


def round_work(thread, entry):
    s = thread * 1000003 + entry
    h = s
    live = {}
    for i in range(300):
        s = (s * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        k = (s >> 33) % 16
        n = (s >> 40) % (9000 if i % 32 == 0 else 200)
        if k in live:
            old = live.pop(k)
            h = (h * 1000003 + len(old[0]) + old[1]["n"] + len(old[2])) % (1 << 64)
        # a str and a dict from pymalloc, a bytes object from malloc when large
        live[k] = ("x" * (n % 97), {"n": n, "k": [k] * (n % 7)}, bytes(n))
    for v in live.values():
        h = (h * 31 + len(v[2])) % (1 << 64)
    return h


def worker(thread, expect, ready):
    ready.release()
    r = 0
    while not stop.is_set():
        if round_work(thread, r % SCHEDULE) != expect[r % SCHEDULE]:
            fail("thread %d: a round's hash changed" % thread)
        r += 1


def sleeper(ready):
    ready.release()
    while not stop.is_set():
        t0 = time.monotonic()
        time.sleep(0.05)
        took = time.monotonic() - t0
        if took < 0.05:
            fail("time.sleep(0.05) took %.4f s" % took)
        if took > 5:
            fail("time.sleep(0.05) took %.1f s" % took)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 4
    expect = [[round_work(t, e) for e in range(SCHEDULE)] for t in range(n)]
    sys.setswitchinterval(0.0005)
    # the end signals reach main alone, which waits for them
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR2, signal.SIGTERM})
    ready = threading.Semaphore(0)
    threads = [threading.Thread(target=worker, args=(t, expect[t], ready)) for t in range(n)]
    threads.append(threading.Thread(target=sleeper, args=(ready,)))
    for t in threads:
        t.start()
    for _ in threads:
        ready.acquire()
    print("ready %d" % os.getpid(), flush=True)
    signal.sigwait({signal.SIGUSR2, signal.SIGTERM})
    stop.set()
    for t in threads:
        t.join()
    total = 0
    for row in expect:
        for h in row:
            total = (total * 1000003 + h) % (1 << 64)
    print("checksum %016x" % total)
    print("done", flush=True)


main()
