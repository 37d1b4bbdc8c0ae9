# SPDX-License-Identifier: GPL-2.0-or-later
# A slow local backend for tests/integration/offcpu_flask.sh: on 127.0.0.1:PORT
# (argv[1]) each connection gets "ok" 50 ms after its request line.
import socketserver
import sys
import time


class Slow(socketserver.StreamRequestHandler):
    def handle(self):
        self.rfile.readline()
        time.sleep(0.05)
        self.wfile.write(b"ok\n")


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


with Server(("127.0.0.1", int(sys.argv[1])), Slow) as srv:
    print("ready", flush=True)
    srv.serve_forever()
