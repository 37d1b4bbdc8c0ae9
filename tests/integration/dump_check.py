# SPDX-License-Identifier: GPL-2.0-or-later
"""Check memspy dump --json output against what a test target is known to do.

usage: dump_check.py DUMP.json EXPECT...
Each EXPECT is "thread-name:state:syscall:frame1,frame2,...": the thread named
so (its OS name) must be in that state ("S", "R"; "" for any) and syscall ("" for
none, "*" for any), its innermost frames must start with frame1, frame2, ... in
that order (a frame matches by its function name, or "function@line" or
"function@first-last" for a Python frame), and its stack must be complete to its root. With
"--gil NAME", that thread alone must hold the GIL. Prints what it checked."""
import json
import sys


def frame_matches(frame, want):
    if "@" in want:
        fn, lines = want.split("@")
        first, _, last = lines.partition("-")
        return (frame["python"] and frame["function"] == fn and
                int(first) <= frame["line"] <= int(last or first))
    return frame["function"] == want


def check_thread(threads, spec):
    name, state, syscall, frames = spec.split(":", 3)
    found = [t for t in threads if t["name"] == name]
    if len(found) != 1:
        sys.exit(f"FAIL: {len(found)} threads named {name}")
    t = found[0]
    if state and t["state"] != state:
        sys.exit(f"FAIL: {name} is in state {t['state']}, not {state}")
    if syscall != "*" and (t["syscall"] or "") != syscall:
        sys.exit(f"FAIL: {name} is in syscall {t['syscall']}, not {syscall or 'none'}")
    want = [w for w in frames.split(",") if w]
    got = [f["function"] + (f"@{f['line']}" if f["python"] else "") for f in t["frames"]]
    # the innermost frames in order, at most 9 frames between
    pos = -1
    for w in want:
        nxt = next((i for i in range(pos + 1, min(pos + 10, len(got)))
                    if frame_matches(t["frames"][i], w)), None)
        if nxt is None:
            sys.exit(f"FAIL: {name}: no {w} after frame {pos} in {got}")
        pos = nxt
    if not t["complete"]:
        sys.exit(f"FAIL: {name}: stack not complete: {got}")
    root = t["frames"][-1]["function"]
    if root not in ("_start", "__clone3", "clone3", "clone", "__clone"):
        sys.exit(f"FAIL: {name}: stack ends in {root}, not _start or clone3")
    print(f"{name}: {t['state']} {t['syscall'] or '-'} read {t['read']}: "
          f"{' < '.join(got[:pos + 1])} ... {root}")


def main():
    doc = json.load(open(sys.argv[1]))
    args = sys.argv[2:]
    gil = None
    if args and args[0] == "--gil":
        gil, args = args[1], args[2:]
    for spec in args:
        check_thread(doc["threads"], spec)
    if gil:
        holders = [t["name"] for t in doc["threads"] if t["gil"]]
        if holders != [gil]:
            sys.exit(f"FAIL: GIL held by {holders}, not {gil}")
        print(f"GIL: held by {gil}")


main()
