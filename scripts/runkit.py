"""What scripts/chaos and scripts/bench-scale share: free loopback ports, the Gateway's HTTP API with
retries, a PUT to a presigned URL, one job started as the page starts it, and `scripts/run` started
and stopped."""
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


class Api:
    """The Gateway's HTTP API, with retries: during a fault it may answer 5xx or not at all."""

    def __init__(self, base):
        self.base = base

    def call(self, method, path, body=None, patience=180):
        deadline = time.time() + patience
        wait = 0.5
        while True:
            request = urllib.request.Request(self.base + path, method=method)
            data = None
            if body is not None:
                data = json.dumps(body).encode()
                request.add_header("Content-Type", "application/json")
            try:
                with urllib.request.urlopen(request, data=data, timeout=30) as answer:
                    return json.loads(answer.read() or b"{}")
            except urllib.error.HTTPError as error:
                if error.code < 500 or time.time() > deadline:
                    raise RuntimeError(f"{method} {path}: HTTP {error.code}: {error.read()[:300]!r}")
            except (urllib.error.URLError, ConnectionError, TimeoutError, socket.timeout) as error:
                if time.time() > deadline:
                    raise RuntimeError(f"{method} {path}: {error}")
            time.sleep(wait)
            wait = min(5, wait * 2)


def put(url, headers, body, patience=180):
    deadline = time.time() + patience
    while True:
        request = urllib.request.Request(url, data=body, method="PUT")
        for name, value in headers.items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                return answer.status
        except (urllib.error.URLError, ConnectionError, TimeoutError, socket.timeout) as error:
            if time.time() > deadline:
                raise RuntimeError(f"PUT {url[:80]}: {error}")
            time.sleep(1)


def upload_and_start(api, video, name, text, seconds=2):
    """Uploads `video`, analyzes it into clips of `seconds` and starts the job; its job_id."""
    with open(video, "rb") as f:
        body = f.read()
    initiated = api.call("POST", "/api/upload/initiate", {"filename": name, "content_type": "video/mp4", "size": len(body)})
    job = initiated["job_id"]
    upload = initiated["upload"]
    put(upload["url"], upload.get("headers", {}), body)
    cutting = {"mode": "fixed", "seconds": seconds}
    api.call("POST", "/api/video/analyze-duration", {"job_id": job, "cutting": cutting})
    api.call("POST", "/api/upload/complete", {"job_id": job, "cutting": cutting, "text": {"mode": "single", "text": text}})
    return job


class Run:
    """`scripts/run ARGS` with `env`, its output in `data/run.log`; started by `start`, stopped by `stop`
    (SIGTERM, awaited)."""

    def __init__(self, data, env, arguments):
        self.data = data
        self.env = env
        self.arguments = arguments
        self.process = None
        self.log = None

    def start(self, patience=300):
        self.log = open(os.path.join(self.data, "run.log"), "w")
        self.process = subprocess.Popen(
            [os.path.join(REPO, "scripts", "run")] + self.arguments, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        started = time.time()
        while "Cutline is running" not in self.output():
            if self.process.poll() is not None or time.time() - started > patience:
                raise RuntimeError(f"scripts/run did not start:\n{self.output()[-3000:]}")
            time.sleep(0.5)

    def output(self):
        with open(os.path.join(self.data, "run.log")) as f:
            return f.read()

    def stop(self):
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()
        self.process = None
