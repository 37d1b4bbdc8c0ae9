# SPDX-License-Identifier: GPL-2.0-or-later
# Target of memspy dump's Python test: named threads that wait in known places
# (time.sleep, a lock, a socket recv) and one that spins, each in a function of
# its own; the lines marked "# at:NAME" are where each one waits. Prints "ready"
# once every thread is there; SIGTERM ends it.
import ctypes
import signal
import socket
import threading
import time

libc = ctypes.CDLL(None)
held = threading.Lock()
held.acquire()
left, right = socket.socketpair()
started = threading.Barrier(5)
spins = 0


def name_thread(name):
    libc.prctl(15, name.encode(), 0, 0, 0)  # PR_SET_NAME: the OS thread's name


def nap():
    started.wait()
    time.sleep(3600)  # at:nap


def take_lock():
    started.wait()
    held.acquire()  # at:take_lock


def receive():
    started.wait()
    right.recv(64)  # at:receive


def spin():
    global spins
    started.wait()
    while True:
        spins += 1  # at:spin


def run(name, fn):
    name_thread(name)
    fn()


for name, fn in (("py-sleep", nap), ("py-lock", take_lock), ("py-recv", receive),
                 ("py-spin", spin)):
    threading.Thread(target=run, args=(name, fn), daemon=True).start()
started.wait()
time.sleep(0.05)
print("ready", flush=True)
signal.signal(signal.SIGTERM, lambda *a: exit(0))
signal.pause()  # at:main
