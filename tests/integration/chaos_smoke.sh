#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# One round of the chaos suite (tests/chaos/run.sh: every run case once, and a
# part of the in-process matrix chosen by the seed it prints first; replay one
# with CHAOS_SEED=S); scripts/chaos.sh N runs N rounds of everything.
exec sh "$(dirname "$0")/../chaos/run.sh" 1
