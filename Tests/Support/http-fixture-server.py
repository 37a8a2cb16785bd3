#!/usr/bin/env python3
"""A small real HTTP server for the HTTP client's tests: stores and serves files, and answers with
the statuses and delays a test asks for (so retries and timeouts can be exercised on a real socket).

Usage: http-fixture-server.py PORT DIRECTORY
"""
import hashlib
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

hits = {}
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", headers=None):
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def route(self):
        url = urlparse(self.path)
        query = parse_qs(url.query)
        parts = url.path.strip("/").split("/")
        with lock:
            hits[url.path] = hits.get(url.path, 0) + 1
            count = hits[url.path]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if parts[0] == "file" and len(parts) == 2:
            path = os.path.join(sys.argv[2], parts[1])
            if self.command == "PUT":
                with open(path, "wb") as f:
                    f.write(body)
                return self.reply(200, b"", {"X-Sha256": hashlib.sha256(body).hexdigest()})
            if not os.path.exists(path):
                return self.reply(404, b"no such file: " + parts[1].encode())
            with open(path, "rb") as f:
                data = f.read()
            return self.reply(200, data, {"X-Sha256": hashlib.sha256(data).hexdigest()})
        if parts[0] == "flaky":
            fail = int(query.get("fail", ["0"])[0])
            if count <= fail:
                return self.reply(503, b"try again")
            return self.reply(200, ("ok after %d" % (count - 1)).encode())
        if parts[0] == "status":
            return self.reply(int(parts[1]), ("status " + parts[1]).encode())
        if parts[0] == "slow":
            time.sleep(int(query.get("ms", ["1000"])[0]) / 1000)
            return self.reply(200, b"slow")
        if parts[0] == "hits":
            with lock:
                return self.reply(200, str(hits.get("/" + "/".join(parts[1:]), 0)).encode())
        if parts[0] == "echo":
            return self.reply(200, body, {"X-Method": self.command})
        return self.reply(404, b"unknown route")

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = route


if __name__ == "__main__":
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
