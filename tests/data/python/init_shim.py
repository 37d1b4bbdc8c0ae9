# SPDX-License-Identifier: GPL-2.0-or-later
# Target of tests/integration/python313_frames.sh: a class whose __init__
# allocates, called from Python (3.13 specializes the call and runs __init__
# behind a shim frame of its own code object, "__init__" in file "__init__")
# and from C (map). The "# L:" markers name the lines the test expects.
import time

keep = []


class Holder:
    def __init__(self, i):
        self.buf = bytearray(4096 + i % 64)  # L:init


def make(i):
    return Holder(i)  # L:make


def main():
    i = 0
    while True:
        keep.append(make(i))
        keep.extend(map(Holder, range(3)))
        i += 1
        if len(keep) > 20000:
            keep.clear()
        time.sleep(0.0002)


print("ready", flush=True)
main()
