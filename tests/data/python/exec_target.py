# SPDX-License-Identifier: GPL-2.0-or-later
# The program a followed shell execs (children_exec_python.sh): it allocates
# blocks big enough for malloc and burns CPU in a function of its own, for 30 s:
# it must outlive a run slowed down by a loaded machine (the test ends it).
import time

kept = []


def exec_script_work():
    total = 0
    for i in range(20000):
        total += i * i
    kept.append(bytearray(64 * 1024))
    if len(kept) > 64:
        kept.pop(0)
    return total


end = time.monotonic() + 30
while time.monotonic() < end:
    exec_script_work()
