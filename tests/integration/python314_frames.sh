#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Python frames of CPython 3.14 (Debian sid's python3.14): see python_sid.sh.
PYV=3.14
. "$(dirname "$0")/python_sid.sh"
