# SPDX-License-Identifier: GPL-2.0-or-later
# The Flask app of tests/integration/offcpu_flask.sh: a view that asks a slow
# local backend (slow_backend.py, its port in SLOW_BACKEND_PORT) and waits for
# the answer on its socket. The "# L:" marker names the line the test expects.
import os
import socket

from flask import Flask

app = Flask(__name__)
BACKEND = ("127.0.0.1", int(os.environ.get("SLOW_BACKEND_PORT", "0")))


@app.route("/slow")
def slow():
    with socket.create_connection(BACKEND) as s:
        s.sendall(b"q\n")
        answer = s.recv(64)  # L:wait
    return "backend said %s\n" % answer.decode().strip()
