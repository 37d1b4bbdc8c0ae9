# SPDX-License-Identifier: GPL-2.0-or-later
# A Python service that leaks small objects: every request adds a record to a
# chain held by one module-level name. The records are small tuples and strings,
# which pymalloc carves from arenas it maps itself: no malloc call, no growing
# dict, list or set, so only the new pages show the leak. SIGUSR1 starts the
# load (argv[1] seconds of it); then the service idles and keeps the chain.
import signal
import sys
import time

history = None
started = False


def handle(i):
    global history
    body = bytes(1500 + i % 7)  # the request's work: a malloc'd block, freed
    history = (history, "r%d" % i)  # L:leak
    return len(body)


def serve(seconds):
    end = time.monotonic() + seconds
    i = 0
    while time.monotonic() < end:
        for _ in range(100):
            handle(i)
            i += 1
        time.sleep(0.001)


def start(signum, frame):
    global started
    started = True


signal.signal(signal.SIGUSR1, start)
print("ready", flush=True)
while not started:
    time.sleep(0.05)
serve(float(sys.argv[1]))
print("idle", flush=True)
while True:
    time.sleep(1)
