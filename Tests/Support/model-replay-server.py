#!/usr/bin/env python3
"""A real HTTP server for the text engines' tests that replays a script of answers (the shapes the model
providers document), and records every request it gets, so a test can check what went over the wire and
when.

Usage: model-replay-server.py PORT SCRIPT_JSON LOG_JSONL

SCRIPT_JSON is a JSON list of steps:
    {"method": "GET" | "POST", "path": "/v1beta/models/gemini-x", "status": 200,
     "headers": {"Retry-After": "1"}, "body": <any JSON value, sent as JSON text>}
Each request takes the first unused step whose method and path (exact, without the query) match; steps are
consumed in order. A request no step matches gets a 404 with a JSON error body naming it.

Every request is appended to LOG_JSONL as one JSON line, flushed before the answer is sent:
    {"method", "path", "headers" (names in lower case), "body" (the raw body as text), "time" (time.time())}

Prints nothing; serves on 127.0.0.1 until killed.
"""
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

lock = threading.Lock()
steps = []
used = []
log = None


def same_path(a, b):
    # The engines' URLs are built with Foundation, which may percent-encode characters such as ':'.
    return unquote(a) == unquote(b)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def reply(self, status, body, headers):
        self.send_response(status)
        names = {name.lower() for name in headers}
        for name, value in headers.items():
            if name.lower() != "content-length":
                self.send_header(name, str(value))
        if "content-type" not in names:
            self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def route(self):
        path = urlsplit(self.path).path
        body = self.read_body()
        headers = {}
        for name, value in self.headers.items():
            name = name.lower()
            headers[name] = headers[name] + ", " + value if name in headers else value
        with lock:
            log.write(json.dumps({
                "method": self.command,
                "path": path,
                "headers": headers,
                "body": body.decode("utf-8", errors="replace"),
                "time": time.time(),
            }) + "\n")
            log.flush()
            step = None
            for index, candidate in enumerate(steps):
                if not used[index] and candidate.get("method", "GET").upper() == self.command and same_path(candidate["path"], path):
                    used[index] = True
                    step = candidate
                    break
        if step is None:
            message = "model-replay-server: no unused step for %s %s" % (self.command, path)
            error = {"error": {"code": 404, "message": message, "status": "NOT_FOUND"}}
            return self.reply(404, json.dumps(error).encode(), {})
        answer = json.dumps(step["body"]).encode() if "body" in step else b""
        return self.reply(int(step.get("status", 200)), answer, step.get("headers") or {})

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = route


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client that hangs up is not news; the log and the test's assertions say what happened


if __name__ == "__main__":
    with open(sys.argv[2], encoding="utf-8") as f:
        steps = json.load(f)
    used = [False] * len(steps)
    log = open(sys.argv[3], "a", encoding="utf-8")
    Server(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
