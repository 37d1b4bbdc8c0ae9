#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Python frames of CPython 3.15 (Debian sid's python3.15): see python_sid.sh.
PYV=3.15
. "$(dirname "$0")/python_sid.sh"
