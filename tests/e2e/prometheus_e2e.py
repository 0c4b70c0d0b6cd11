#!/usr/bin/env python3
"""End-to-end test with a real Prometheus server.

Starts three servers, all on loopback and on free ports. The appliance
simulator serves HTTPS with fresh test certificates. The exporter polls it
every second. Debian's prometheus scrapes the exporter every second, with
the alert rules loaded and the minimum-reps threshold overridden for the
simulated appliance. Then the test checks that:

  1. Every rule evaluates with health "ok", and every recording rule
     returns data. An alert that is quiet in the normal state returns
     nothing, so for each alert the test requires that its expression
     evaluates without error and that each series selector in it returns
     data.
  2. Every query of the Grafana dashboard, with its variables substituted,
     evaluates without error and returns data. The appliance variable
     lists the appliance.
  3. promtool check metrics accepts the exporter's live /metrics, which
     serves every documented metric and poll error reason.
  4. Too few representatives turn BeyondTrustTooFewRepsLoggedIn pending
     or firing.
  5. Rejected credentials turn BeyondTrustCredentialsRejected pending or
     firing, and the staffing alert goes quiet while the API fails.
  6. The exporter exits with status 0 on SIGTERM.

Every process it starts is stopped on exit, and dies with the test if the
test itself is killed. Only the Python standard library is used.

Usage: prometheus_e2e.py --exporter BIN --simulator BIN --source-dir DIR
       [--promtool BIN] [--prometheus BIN] [--keep]
"""

import argparse
import ctypes
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

# The tests run from the source tree, so they must leave no __pycache__
# there.
sys.dont_write_bytecode = True
from promql import (EXPORTER_METRICS, selectors,
                    substitute_grafana_variables)

APPLIANCE = "sim"
CLIENT_ID = "e2e-exporter"
INITIAL_REPS = 8
UNDERSTAFFED_REPS = 1
# Minimum representatives for the simulated appliance, set through the
# per-appliance override in the rules file.
MIN_REPS = 3
# The rules file's example override, replaced for this test.
EXAMPLE_OVERRIDE = ('label_replace(vector(3), "appliance", '
                    '"rs.example.com", "", "")')
# Values of the reason label of beyondtrust_poll_errors_total, each served
# from the start.
POLL_ERROR_REASONS = frozenset({
    "connect", "tls", "timeout", "http_status", "auth", "rate_limited",
    "parse", "api_error",
})
# The standard process metrics, under the names the Go and Python client
# libraries use.
PROCESS_METRICS = frozenset({
    "process_cpu_seconds_total", "process_resident_memory_bytes",
    "process_virtual_memory_bytes", "process_open_fds", "process_max_fds",
    "process_start_time_seconds",
})
# Time budget of the whole test. CTest's own timeout is longer.
DEADLINE_SECONDS = 170
# Time allowed for one HTTP request to a local server.
REQUEST_TIMEOUT_SECONDS = 5

_deadline = time.monotonic() + DEADLINE_SECONDS
# Requests go to loopback only, so environment proxy settings must not
# apply to them.
_no_proxy = urllib.request.ProxyHandler({})


class SetupError(Exception):
    """A step that later checks depend on failed."""


class Checks:
    """Collects the outcome of each check and prints it as it happens."""

    def __init__(self):
        self.passed = 0
        self.failed = 0

    def record(self, ok, name, detail=""):
        if ok:
            self.passed += 1
            print("PASS " + name, flush=True)
        else:
            self.failed += 1
            print("FAIL %s%s" % (name, ": " + detail if detail else ""),
                  flush=True)
        return ok


def wait_until(description, probe, timeout_seconds):
    """Calls probe() every half second until it returns a true value.

    Returns that value. Raises SetupError when timeout_seconds, or the
    test's whole budget, runs out first.
    """
    limit = min(time.monotonic() + timeout_seconds, _deadline)
    last_error = None
    while time.monotonic() < limit:
        try:
            value = probe()
            if value:
                return value
        except (OSError, ValueError, urllib.error.URLError) as error:
            last_error = error
        time.sleep(0.5)
    raise SetupError("timed out after %.0f s waiting for %s%s"
                     % (timeout_seconds, description,
                        " (last error: %s)" % last_error
                        if last_error else ""))


def free_port():
    """Returns a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_request(url, data=None, context=None):
    """Sends a GET (or a POST of JSON data) and returns (status, body)."""
    handlers = [_no_proxy]
    if context is not None:
        handlers.append(urllib.request.HTTPSHandler(context=context))
    opener = urllib.request.build_opener(*handlers)
    request = urllib.request.Request(url)
    if data is not None:
        request.data = json.dumps(data).encode()
        request.add_header("Content-Type", "application/json")
    try:
        with opener.open(request, timeout=REQUEST_TIMEOUT_SECONDS) as answer:
            return answer.status, answer.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


def _die_with_parent():
    """Asks Linux to kill this child when the test process dies."""
    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_pdeathsig = 1
    libc.prctl(pr_set_pdeathsig, signal.SIGKILL)


class Processes:
    """The servers this test started, each logging to its own file."""

    def __init__(self, log_dir):
        self.log_dir = log_dir
        self.running = {}

    def start(self, name, argv):
        log_path = os.path.join(self.log_dir, name + ".log")
        log = open(log_path, "wb")
        print("start %s: %s" % (name, " ".join(argv)), flush=True)
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL,
                                   preexec_fn=_die_with_parent)
        log.close()
        self.running[name] = (process, log_path)
        return process

    def check_alive(self, name):
        process, _ = self.running[name]
        status = process.poll()
        if status is not None:
            raise SetupError("%s exited with status %d" % (name, status))

    def stop(self, name, timeout_seconds=10):
        """Sends SIGTERM, then SIGKILL after timeout_seconds.

        Returns the exit status, or None when SIGKILL was needed.
        """
        process, _ = self.running.pop(name)
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                return process.wait(timeout=timeout_seconds)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                return None
        return process.returncode

    def stop_all(self):
        for name in list(self.running):
            self.stop(name)

    def print_logs(self, lines=40):
        for name in sorted(os.listdir(self.log_dir)):
            path = os.path.join(self.log_dir, name)
            with open(path, "rb") as file:
                tail = file.read().decode("utf-8", "replace")
            tail = "\n".join(tail.splitlines()[-lines:])
            print("---- last %d lines of %s\n%s" % (lines, name, tail))


class Prometheus:
    """Client for the HTTP API of the Prometheus server under test."""

    def __init__(self, base_url):
        self.base_url = base_url

    def api(self, path, **params):
        url = self.base_url + path
        if params:
            url += "?" + urllib.parse.urlencode(params, doseq=True)
        status, body = http_request(url)
        answer = json.loads(body)
        if status != 200 or answer.get("status") != "success":
            raise ValueError("%s: HTTP %d, %s" % (
                path, status, answer.get("error", body[:200])))
        return answer["data"]

    def query(self, expr):
        """Evaluates expr at the current time and returns the samples."""
        data = self.api("/api/v1/query", query=expr)
        if data["resultType"] in ("scalar", "string"):
            return [data["result"]]
        return data["result"]

    def active_alerts(self, alertname):
        alerts = self.api("/api/v1/alerts")["alerts"]
        return [a for a in alerts if a["labels"].get("alertname") == alertname
                and a["labels"].get("appliance") == APPLIANCE]


def make_rules_copy(source_path, target_path):
    with open(source_path, encoding="utf-8") as file:
        text = file.read()
    if text.count(EXAMPLE_OVERRIDE) != 1:
        raise SetupError("expected the override %s once in %s; update "
                         "EXAMPLE_OVERRIDE in this test to match the file"
                         % (EXAMPLE_OVERRIDE, source_path))
    override = ('label_replace(vector(%d), "appliance", "%s", "", "")'
                % (MIN_REPS, APPLIANCE))
    with open(target_path, "w", encoding="utf-8") as file:
        file.write(text.replace(EXAMPLE_OVERRIDE, override))


def write_file(path, text, mode=0o600):
    with open(path, "w", encoding="utf-8") as file:
        file.write(text)
    os.chmod(path, mode)


def start_stack(args, work, processes):
    """Starts the simulator, the exporter and Prometheus.

    Returns (simulator URL, SSL context for it, exporter URL, Prometheus).
    """
    cert_dir = os.path.join(work, "certs")
    subprocess.run(["sh", os.path.join(args.source_dir, "tests", "simulator",
                                       "make-test-certs.sh"), cert_dir],
                   check=True, stdout=subprocess.DEVNULL, timeout=60)
    ca_file = os.path.join(cert_dir, "ca.pem")
    secret_file = os.path.join(work, "client-secret")
    write_file(secret_file, "e2e-secret-%d\n" % os.getpid())

    simulator_port = free_port()
    simulator_url = "https://127.0.0.1:%d" % simulator_port
    processes.start("simulator", [
        args.simulator, "--listen", "127.0.0.1:%d" % simulator_port,
        "--cert-dir", cert_dir, "--client-id", CLIENT_ID,
        "--client-secret-file", secret_file, "--reps", str(INITIAL_REPS),
        "--seed", "7"])
    context = ssl.create_default_context(cafile=ca_file)

    def simulator_ready():
        processes.check_alive("simulator")
        return http_request(simulator_url + "/_sim/stats",
                            context=context)[0] == 200
    wait_until("the simulator's /_sim/stats", simulator_ready, 20)

    exporter_port = free_port()
    exporter_url = "http://127.0.0.1:%d" % exporter_port
    config_file = os.path.join(work, "exporter.yml")
    write_file(config_file, f"""appliances:
  - name: {APPLIANCE}
    url: {simulator_url}
    client_id: {CLIENT_ID}
    client_secret_file: {secret_file}
    poll_interval: 1s
    timeout: 1s
    max_staleness: 3s
    tls_config:
      ca_file: {ca_file}
""")
    processes.start("exporter", [
        args.exporter, "--config.file", config_file,
        "--web.listen-address", "127.0.0.1:%d" % exporter_port])

    def exporter_ready():
        processes.check_alive("exporter")
        return http_request(exporter_url + "/-/ready")[0] == 200
    wait_until("the exporter's /-/ready", exporter_ready, 20)

    rules_file = os.path.join(work, "beyondtrust.rules.yml")
    make_rules_copy(os.path.join(args.source_dir, "deploy", "prometheus",
                                 "beyondtrust.rules.yml"), rules_file)
    prometheus_port = free_port()
    prometheus_config = os.path.join(work, "prometheus.yml")
    write_file(prometheus_config, f"""global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - {rules_file}
scrape_configs:
  - job_name: beyondtrust
    static_configs:
      - targets: ["127.0.0.1:{exporter_port}"]
""")
    processes.start("prometheus", [
        args.prometheus, "--config.file", prometheus_config,
        "--storage.tsdb.path", os.path.join(work, "tsdb"),
        "--web.listen-address", "127.0.0.1:%d" % prometheus_port,
        "--log.level", "warn"])
    prometheus = Prometheus("http://127.0.0.1:%d" % prometheus_port)

    def prometheus_ready():
        processes.check_alive("prometheus")
        return http_request(prometheus.base_url + "/-/ready")[0] == 200
    wait_until("Prometheus's /-/ready", prometheus_ready, 30)
    return simulator_url, context, exporter_url, prometheus


def wait_for_data(prometheus):
    """Waits until rates, recording rules and every rule have data."""
    selector = '{appliance="%s"}' % APPLIANCE
    wait_until("beyondtrust_up == 1",
               lambda: prometheus.query("beyondtrust_up%s == 1" % selector),
               30)
    # rate() needs two scrapes inside its window.
    wait_until("a rate of beyondtrust_polls_total",
               lambda: prometheus.query(
                   "rate(beyondtrust_polls_total%s[1m])" % selector), 30)
    wait_until("the recording rules",
               lambda: prometheus.query(
                   "appliance:beyondtrust_logged_in_reps:sum" + selector),
               30)

    def every_rule_evaluated():
        for group in prometheus.api("/api/v1/rules")["groups"]:
            for rule in group["rules"]:
                if rule.get("lastEvaluation", "").startswith("0001-"):
                    return False
        return True
    wait_until("one evaluation of every rule", every_rule_evaluated, 30)


def check_rules(prometheus, checks):
    groups = prometheus.api("/api/v1/rules")["groups"]
    checks.record(len(groups) >= 4, "rules: groups loaded",
                  "%d groups" % len(groups))
    for group in groups:
        for rule in group["rules"]:
            name = rule.get("name")
            label = "rule %s" % name
            checks.record(rule.get("health") == "ok" and
                          not rule.get("lastError"),
                          label + " health ok",
                          "health %r, lastError %r" % (
                              rule.get("health"), rule.get("lastError")))
            try:
                result = prometheus.query(rule["query"])
            except ValueError as error:
                checks.record(False, label + " evaluates", str(error))
                continue
            checks.record(True, label + " evaluates")
            if rule["type"] == "recording":
                checks.record(bool(result), label + " returns data")
                continue
            # An alert that is quiet now returns nothing, so check that
            # every series it reads exists instead.
            read = dict.fromkeys(metric + matchers for metric, matchers
                                 in selectors(rule["query"]))
            for selector in read:
                try:
                    ok = bool(prometheus.query(selector))
                    detail = "no series"
                except ValueError as error:
                    ok, detail = False, str(error)
                checks.record(ok, "%s reads %s" % (label, selector), detail)


def check_dashboard(prometheus, dashboard_path, checks):
    with open(dashboard_path, encoding="utf-8") as file:
        dashboard = json.load(file)
    values = prometheus.api("/api/v1/label/appliance/values",
                            **{"match[]": "beyondtrust_up"})
    checks.record(APPLIANCE in values,
                  "dashboard variable appliance lists " + APPLIANCE,
                  "values %r" % values)

    appliance_regex = re.escape(APPLIANCE)
    panels = list(dashboard.get("panels", []))
    count = 0
    while panels:
        panel = panels.pop(0)
        panels.extend(panel.get("panels", []))
        for target in panel.get("targets", []):
            count += 1
            label = "dashboard %r query %s" % (panel.get("title"),
                                               target.get("refId"))
            expr = substitute_grafana_variables(target["expr"],
                                                appliance_regex)
            try:
                result = prometheus.query(expr)
            except ValueError as error:
                checks.record(False, label + " evaluates", str(error))
                continue
            checks.record(bool(result), label + " returns data",
                          "empty result for " + expr)
    checks.record(count > 0, "dashboard has queries")


def check_live_metrics(exporter_url, promtool, checks):
    status, body = http_request(exporter_url + "/metrics")
    if not checks.record(status == 200, "exporter /metrics answers 200",
                         "HTTP %d" % status):
        return
    lint = subprocess.run([promtool, "check", "metrics"], input=body,
                          capture_output=True, text=True, timeout=30)
    checks.record(lint.returncode == 0, "promtool check metrics on /metrics",
                  (lint.stdout + lint.stderr).strip())

    served = set(re.findall(r"^# TYPE (\S+) ", body, re.MULTILINE))
    missing = sorted((EXPORTER_METRICS | PROCESS_METRICS) - served)
    checks.record(not missing, "/metrics serves every documented metric",
                  "missing: " + ", ".join(missing))
    reasons = set(re.findall(
        r'^beyondtrust_poll_errors_total\{[^}]*reason="([a-z_]+)"', body,
        re.MULTILINE))
    checks.record(reasons == POLL_ERROR_REASONS,
                  "/metrics serves every poll error reason",
                  "reasons: %s" % sorted(reasons))


def wait_for_alert(prometheus, alertname, timeout_seconds):
    """Returns the alert's state once it is pending or firing, else None."""
    def active():
        alerts = prometheus.active_alerts(alertname)
        states = [a["state"] for a in alerts
                  if a["state"] in ("pending", "firing")]
        return states[0] if states else None
    try:
        return wait_until(alertname + " pending or firing", active,
                          timeout_seconds)
    except SetupError:
        return None


def check_understaffing(prometheus, simulator_url, context, checks):
    before = prometheus.active_alerts("BeyondTrustTooFewRepsLoggedIn")
    checks.record(not before,
                  "BeyondTrustTooFewRepsLoggedIn quiet with %d reps"
                  % INITIAL_REPS, "active: %r" % before)

    status, body = http_request(simulator_url + "/_sim/reps",
                                data={"count": UNDERSTAFFED_REPS},
                                context=context)
    if not checks.record(status == 200, "simulator accepts POST /_sim/reps",
                         "HTTP %d: %s" % (status, body[:200])):
        return
    state = wait_for_alert(prometheus, "BeyondTrustTooFewRepsLoggedIn", 30)
    checks.record(state is not None,
                  "BeyondTrustTooFewRepsLoggedIn with %d rep (minimum %d)"
                  % (UNDERSTAFFED_REPS, MIN_REPS), "not pending or firing")


def check_rejected_credentials(prometheus, simulator_url, context, checks):
    # The exporter holds a token, so its credentials are only checked again
    # once that token is revoked.
    status, body = http_request(
        simulator_url + "/_sim/fault",
        data={"kind": "reject_credentials", "target": "token"},
        context=context)
    if not checks.record(status == 200, "simulator accepts the auth fault",
                         "HTTP %d: %s" % (status, body[:200])):
        return
    status, body = http_request(simulator_url + "/_sim/revoke",
                                data={}, context=context)
    if not checks.record(status == 200, "simulator revokes the tokens",
                         "HTTP %d: %s" % (status, body[:200])):
        return
    state = wait_for_alert(prometheus, "BeyondTrustCredentialsRejected", 30)
    checks.record(state is not None, "BeyondTrustCredentialsRejected",
                  "not pending or firing")

    def staffing_quiet():
        return not prometheus.active_alerts("BeyondTrustTooFewRepsLoggedIn")
    try:
        wait_until("the staffing alert to go quiet", staffing_quiet, 15)
        checks.record(True, "staffing alert quiet while the API fails")
    except SetupError as error:
        checks.record(False, "staffing alert quiet while the API fails",
                      str(error))


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exporter", required=True,
                        help="path of the beyondtrust_exporter binary")
    parser.add_argument("--simulator", required=True,
                        help="path of the beyondtrust_simulator binary")
    parser.add_argument("--source-dir", required=True,
                        help="root of the source tree")
    parser.add_argument("--promtool", default="promtool")
    parser.add_argument("--prometheus", default="prometheus")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary folder and its logs")
    return parser.parse_args(argv)


def missing_programs(args):
    problems = []
    for flag, path in (("--exporter", args.exporter),
                       ("--simulator", args.simulator)):
        if not path or not os.access(path, os.X_OK):
            problems.append("%s %r is not an executable file; build it "
                            "first" % (flag, path))
    for flag, name in (("--promtool", args.promtool),
                       ("--prometheus", args.prometheus)):
        if not (os.access(name, os.X_OK) or shutil.which(name)):
            problems.append("%s %r not found; install the Debian package "
                            "prometheus" % (flag, name))
    return problems


def main(argv):
    args = parse_args(argv)
    problems = missing_programs(args)
    if problems:
        for problem in problems:
            print("prometheus_e2e: " + problem, file=sys.stderr)
        print("0 passed, 1 failed")
        return 1
    args.promtool = shutil.which(args.promtool) or args.promtool
    args.prometheus = shutil.which(args.prometheus) or args.prometheus

    # CTest stops a test that runs too long with SIGTERM: turn it into an
    # exception so that the servers are stopped.
    def on_signal(number, _frame):
        raise SystemExit("prometheus_e2e: stopped by signal %d" % number)
    signal.signal(signal.SIGTERM, on_signal)

    work = tempfile.mkdtemp(prefix="beyondtrust-e2e-")
    log_dir = os.path.join(work, "logs")
    os.mkdir(log_dir)
    processes = Processes(log_dir)
    checks = Checks()
    started = time.monotonic()
    try:
        simulator_url, context, exporter_url, prometheus = start_stack(
            args, work, processes)
        wait_for_data(prometheus)
        check_rules(prometheus, checks)
        check_dashboard(prometheus, os.path.join(
            args.source_dir, "grafana", "beyondtrust.json"), checks)
        check_live_metrics(exporter_url, args.promtool, checks)
        check_understaffing(prometheus, simulator_url, context, checks)
        check_rejected_credentials(prometheus, simulator_url, context,
                                   checks)
        status = processes.stop("exporter")
        checks.record(status == 0, "exporter exits 0 on SIGTERM",
                      "status %r" % status)
    except (SetupError, subprocess.SubprocessError, OSError) as error:
        checks.record(False, "setup", str(error))
    finally:
        processes.stop_all()
        if checks.failed:
            processes.print_logs()
        if args.keep or checks.failed:
            print("prometheus_e2e: files and logs kept in " + work)
        else:
            subprocess.run(["rm", "-rf", "--", work], check=False)
    print("prometheus_e2e: took %.0f s" % (time.monotonic() - started))
    print("%d passed, %d failed" % (checks.passed, checks.failed))
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
