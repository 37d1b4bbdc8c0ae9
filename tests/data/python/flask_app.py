# SPDX-License-Identifier: GPL-2.0-or-later
# The Flask app of tests/integration/flask_leak.sh and scripts/bench/flask_overhead.sh:
# two endpoints that build only transient data, one that leaks a list of 10,000 ints
# per request into a module-level list, and one that grows a cache dict without
# bound. The "# L:" markers name the lines the test expects.
import random

from flask import Flask, jsonify

app = Flask(__name__)
leaked = []
cache = {}


def make_user(uid):
    return {"id": uid, "name": "user%d" % uid, "email": "user%d@example.com" % uid,
            "score": random.random()}


@app.route("/users")
def list_users():
    return jsonify([make_user(i) for i in range(100)])


@app.route("/users/<int:uid>")
def one_user(uid):
    return jsonify(make_user(uid))


@app.route("/leak")
def leak():
    leaked.append(list(range(10000)))  # L:leak
    return "ok %d\n" % len(leaked)


@app.route("/page/<page>")
def page(page):
    cache[page] = f"<h1>Welcome to {page}</h1>"  # L:cache
    return cache[page]
