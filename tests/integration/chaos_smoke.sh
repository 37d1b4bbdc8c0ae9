#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# One round of the chaos suite (tests/chaos/run.sh: every case once, about a
# minute); scripts/chaos.sh N runs N rounds.
exec sh "$(dirname "$0")/../chaos/run.sh" 1
