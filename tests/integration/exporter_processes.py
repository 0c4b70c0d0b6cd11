"""Processes and HTTP helpers shared by the process-level tests.

The simulator and the exporter run as separate processes on loopback. These
classes start them on free ports, wait (bounded) until they serve, and stop
them. Nothing here talks to any address but 127.0.0.1.
"""

import json
import os
import re
import signal
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request

SECRET = "s3cret-value-that-must-never-be-logged"


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout, message):
    """Calls predicate until it returns a true value or timeout seconds pass."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {message}")




def request(url, method="GET", headers=None, data=None, context=None):
    """Returns (status, headers, body bytes), for HTTP error statuses too."""
    req = urllib.request.Request(url, method=method, headers=headers or {},
                                 data=data)
    handlers = [urllib.request.ProxyHandler({})]
    if context is not None:
        handlers.append(urllib.request.HTTPSHandler(context=context))
    opener = urllib.request.build_opener(*handlers)
    try:
        with opener.open(req, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text):
    """Maps (name, frozenset of label pairs) to the sample value."""
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = SAMPLE.match(line)
        if not match:
            raise AssertionError(f"not a sample line: {line!r}")
        labels = {}
        if match.group(3):
            for key, value in LABEL.findall(match.group(3)):
                labels[key] = (value.replace('\\n', '\n').replace('\\"', '"')
                               .replace('\\\\', '\\'))
        samples[(match.group(1), frozenset(labels.items()))] = float(
            match.group(4))
    return samples


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())))


class Simulator:
    """One beyondtrust_simulator process serving HTTPS on a free port."""

    def __init__(self, binary, workdir, cert_dir, reps=12, seed=7, extra=(),
                 secret=SECRET):
        self.secret_file = os.path.join(workdir, "sim-secret")
        with open(self.secret_file, "w") as f:
            f.write(secret + "\n")
        self.log = open(os.path.join(workdir, f"sim-{seed}.log"), "w+")
        self.process = subprocess.Popen(
            [binary, "--listen", "127.0.0.1:0", "--cert-dir",
             cert_dir, "--client-id", "exporter", "--client-secret-file",
             self.secret_file, "--reps", str(reps), "--seed", str(seed),
             *extra],
            stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.process.stdout.readline()
        match = re.search(r"(https://\S+)", line)
        if not match:
            self.stop()
            raise AssertionError(f"simulator printed no URL: {line!r}")
        self.url = match.group(1)
        self.context = ssl.create_default_context(
            cafile=os.path.join(cert_dir, "ca.pem"))

    def control(self, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        status, _, payload = request(self.url + path,
                                     method="GET" if data is None else "POST",
                                     data=data, context=self.context,
                                     headers={"Content-Type":
                                              "application/json"})
        if status != 200:
            raise AssertionError(f"{path}: {status} {payload!r}")
        return json.loads(payload)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process.stdout.close()
        self.log.close()


class Exporter:
    """One beyondtrust_exporter process; stderr (the log) goes to a file."""

    def __init__(self, binary, workdir, args, env=None, name="exporter"):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = os.path.join(workdir, f"{name}-{self.port}.log")
        self.log = open(self.log_path, "w+")
        environment = {k: v for k, v in os.environ.items()
                       if not k.startswith("BEYONDTRUST_")}
        environment.update(env or {})
        self.process = subprocess.Popen(
            [binary, f"--web.listen-address=127.0.0.1:{self.port}",
             *args],
            stdout=subprocess.DEVNULL, stderr=self.log, env=environment)
        wait_for(self._serving, 20, "the exporter to listen")

    def _serving(self):
        if self.process.poll() is not None:
            raise AssertionError(
                f"exporter exited with {self.process.returncode}:\n"
                + self.log_text())
        try:
            return request(self.base + "/-/healthy")[0] == 200
        except OSError:
            return False

    def metrics(self):
        status, _, body = request(self.base + "/metrics")
        assert status == 200, status
        return parse_metrics(body.decode())

    def log_text(self):
        with open(self.log_path) as f:
            return f.read()

    def stop(self, sig=signal.SIGTERM):
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.close()
        return self.process.returncode
