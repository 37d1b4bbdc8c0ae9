# SPDX-License-Identifier: GPL-2.0-or-later
# Target of tests/integration/python_frames.sh: known call chains. The main thread
# allocates through outer() -> middle() -> inner() (bytearrays over 512 bytes, so
# malloc sees them) and keeps them; a second thread burns CPU in spin(). The
# "# L:" markers name the lines the test expects.
import sys
import threading
import time

keep = []


def inner(i):
    keep.append(bytearray(2048 + i % 64))  # L:inner


def middle(i):
    inner(i)  # L:middle


def outer():
    i = 0
    while True:
        middle(i)  # L:outer
        i += 1
        time.sleep(0.0005)  # about 4 MB/s
        if len(keep) > 100000:
            keep.clear()


def spin():
    x = 0
    while True:  # L:spin-first (3.13 puts the loop's jump back on this line)
        for j in range(1000):
            x = (x * 31 + j) % 1000003
        x += 1  # L:spin-last


def spinner():
    spin()  # L:spinner


threading.Thread(target=spinner, name="spinner", daemon=True).start()
print("ready", flush=True)
outer()  # L:module
