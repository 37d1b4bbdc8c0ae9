# SPDX-License-Identifier: GPL-2.0-or-later
# Three threads that never block, for tests/integration/offcpu_gil.sh: with one
# GIL between them, each spends most of its time waiting for it in take_gil.
import threading
import time


def spin():
    x = 0
    while True:
        x += 1  # L:spin


for _ in range(3):
    threading.Thread(target=spin, daemon=True).start()
print("ready", flush=True)
while True:
    time.sleep(0.1)
