#!/usr/bin/env python3
"""End-to-end tests of the beyondtrust_exporter binary as an operator runs it.

Each test starts the appliance simulator and the exporter as separate
processes on loopback, over real TLS with a CA made for the run, and checks
what /metrics, the other endpoints, the exit codes and the logs show.

Usage: exporter_process_test.py --exporter BIN --simulator BIN
           --certs-script make-test-certs.sh [--promtool BIN] [unittest args]
Every wait is bounded; the whole file takes well under two minutes.
"""

import argparse
import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

from exporter_processes import (SECRET, Exporter, Simulator, free_port,
                                request, value, wait_for)

ARGS = None

# Series that come from the last good poll and must vanish once it is stale.
STALE_SERIES = {
    "beyondtrust_logged_in_reps", "beyondtrust_reps_showing_on_rep_list",
    "beyondtrust_support_sessions", "beyondtrust_presentations",
    "beyondtrust_rep_support_sessions", "beyondtrust_rep_presentations",
    "beyondtrust_rep_showing_on_rep_list",
    "beyondtrust_rep_logged_in_since_timestamp_seconds",
    "beyondtrust_rep_info",
}


def labels_have(key, **wanted):
    """Tells whether the labels of sample key (name, labels) include wanted."""
    labels = dict(key[1])
    return all(labels.get(k) == v for k, v in wanted.items())


class ExporterProcessTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.workdir = tempfile.mkdtemp(prefix="beyondtrust-e2e-")
        cls.cert_dir = os.path.join(cls.workdir, "certs")
        subprocess.run(["sh", ARGS.certs_script, cls.cert_dir], check=True,
                       stdout=subprocess.DEVNULL)
        cls.ca_file = os.path.join(cls.cert_dir, "ca.pem")
        cls.secret_file = os.path.join(cls.workdir, "client-secret")
        with open(cls.secret_file, "w") as f:
            f.write(SECRET + "\n")
        cls.site_a = Simulator(ARGS.simulator, cls.workdir, cls.cert_dir,
                               reps=12, seed=7)
        cls.site_b = Simulator(ARGS.simulator, cls.workdir, cls.cert_dir,
                               reps=3, seed=8)

    @classmethod
    def tearDownClass(cls):
        cls.site_a.stop()
        cls.site_b.stop()
        shutil.rmtree(cls.workdir, ignore_errors=True)

    def setUp(self):
        self.exporters = []

    def tearDown(self):
        for exporter in self.exporters:
            exporter.stop(signal.SIGKILL)

    def start_exporter(self, args, env=None):
        exporter = Exporter(ARGS.exporter, self.workdir, args, env)
        self.exporters.append(exporter)
        return exporter

    def write_config(self, name, appliances, poll_interval="1s",
                     timeout="1s", max_staleness="3s"):
        lines = ["appliances:"]
        for appliance_name, site in appliances:
            lines += [
                f"  - name: {appliance_name}",
                f"    url: {site.url}",
                "    client_id: exporter",
                f"    client_secret_file: {self.secret_file}",
                f"    poll_interval: {poll_interval}",
                f"    timeout: {timeout}",
                f"    max_staleness: {max_staleness}",
                "    tls_config:",
                f"      ca_file: {self.ca_file}",
            ]
        path = os.path.join(self.workdir, name)
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        return path

    def wait_up(self, exporter, appliance, up=1.0, timeout=20):
        def check():
            samples = exporter.metrics()
            return value(samples, "beyondtrust_up",
                         appliance=appliance) == up and samples
        return wait_for(check, timeout, f"beyondtrust_up{{appliance="
                        f"\"{appliance}\"}} == {up}")

    def test_metrics_equal_simulator_population(self):
        config = self.write_config("one.yml", [("site-a", self.site_a)])
        exporter = self.start_exporter([f"--config.file={config}"])
        samples = self.wait_up(exporter, "site-a")
        reps = self.site_a.control("/_sim/reps")["reps"]
        self.assertEqual(len(reps), 12)
        for rep in reps:
            rep_id = str(rep["id"])
            self.assertEqual(
                value(samples, "beyondtrust_rep_support_sessions",
                      appliance="site-a", rep_id=rep_id),
                rep["support_session_count"], rep_id)
            self.assertEqual(
                value(samples, "beyondtrust_rep_presentations",
                      appliance="site-a", rep_id=rep_id),
                rep["presentation_count"], rep_id)
            self.assertEqual(
                value(samples, "beyondtrust_rep_showing_on_rep_list",
                      appliance="site-a", rep_id=rep_id),
                1.0 if rep["showing_on_rep_list"] else 0.0, rep_id)
            self.assertEqual(
                value(samples,
                      "beyondtrust_rep_logged_in_since_timestamp_seconds",
                      appliance="site-a", rep_id=rep_id),
                rep["logged_in_since"], rep_id)
            self.assertEqual(
                value(samples, "beyondtrust_rep_info", appliance="site-a",
                      rep_id=rep_id, rep_type=rep["type"],
                      public_display_name=rep["public_display_name"],
                      private_display_name=rep["private_display_name"]),
                1.0, rep_id)
        self.assertEqual(
            value(samples, "beyondtrust_support_sessions",
                  appliance="site-a"),
            sum(rep["support_session_count"] for rep in reps))
        self.assertEqual(
            value(samples, "beyondtrust_reps_showing_on_rep_list",
                  appliance="site-a"),
            sum(1 for rep in reps if rep["showing_on_rep_list"]))
        by_type = {}
        for rep in reps:
            by_type[rep["type"]] = by_type.get(rep["type"], 0) + 1
        for rep_type in {"Normal", "Invited", *by_type}:
            self.assertEqual(
                value(samples, "beyondtrust_logged_in_reps",
                      appliance="site-a", rep_type=rep_type),
                by_type.get(rep_type, 0), rep_type)

    def test_one_token_across_many_polls(self):
        self.site_a.control("/_sim/stats/reset", {})
        config = self.write_config("tokens.yml", [("site-a", self.site_a)])
        exporter = self.start_exporter([f"--config.file={config}"])
        self.wait_up(exporter, "site-a")
        wait_for(lambda: self.site_a.control("/_sim/stats")
                 ["command_requests"] >= 4, 20, "four polls")
        stats = self.site_a.control("/_sim/stats")
        self.assertEqual(stats["token_requests"], 1)
        samples = exporter.metrics()
        self.assertEqual(value(samples, "beyondtrust_token_requests_total",
                               appliance="site-a"), 1)

    def test_stopped_site_leaves_other_up(self):
        site_c = Simulator(ARGS.simulator, self.workdir, self.cert_dir,
                           reps=2, seed=9)
        try:
            config = self.write_config("two.yml", [("site-a", self.site_a),
                                                   ("site-c", site_c)])
            exporter = self.start_exporter([f"--config.file={config}"])
            self.wait_up(exporter, "site-a")
            self.wait_up(exporter, "site-c")
            site_c.stop()
            samples = self.wait_up(exporter, "site-c", up=0.0)
            self.assertEqual(value(samples, "beyondtrust_up",
                                   appliance="site-a"), 1.0)
            self.assertGreaterEqual(
                value(samples, "beyondtrust_poll_errors_total",
                      appliance="site-c", reason="connect"), 1.0)
            # Polls of site-a go on succeeding.
            polls = value(samples, "beyondtrust_polls_total",
                          appliance="site-a")
            wait_for(lambda: value(exporter.metrics(),
                                   "beyondtrust_polls_total",
                                   appliance="site-a") > polls + 1, 10,
                     "two more polls of site-a")
            self.assertEqual(value(exporter.metrics(), "beyondtrust_up",
                                   appliance="site-a"), 1.0)
        finally:
            site_c.stop()

    def test_single_appliance_flags_and_environment(self):
        exporter = self.start_exporter(
            [f"--appliance.url={self.site_b.url}",
             "--appliance.name=flags-site",
             "--poll.interval=1s", "--poll.timeout=1s"],
            env={"BEYONDTRUST_CLIENT_ID": "exporter",
                 "BEYONDTRUST_CLIENT_SECRET": SECRET,
                 "SSL_CERT_FILE": self.ca_file})
        samples = self.wait_up(exporter, "flags-site")
        self.assertEqual(value(samples, "beyondtrust_logged_in_reps",
                               appliance="flags-site", rep_type="Normal")
                         + value(samples, "beyondtrust_logged_in_reps",
                                 appliance="flags-site", rep_type="Invited"),
                         3.0)

    def test_endpoints(self):
        config = self.write_config("endpoints.yml", [("site-a", self.site_a)])
        exporter = self.start_exporter([f"--config.file={config}"])
        self.wait_up(exporter, "site-a")

        status, headers, body = request(exporter.base + "/metrics")
        self.assertEqual(status, 200)
        self.assertEqual(headers["Content-Type"],
                         "text/plain; version=0.0.4; charset=utf-8")

        status, headers, zipped = request(exporter.base + "/metrics",
                                          headers={"Accept-Encoding": "gzip"})
        self.assertEqual(status, 200)
        self.assertEqual(headers["Content-Encoding"], "gzip")
        self.assertIn(b"beyondtrust_up{appliance=\"site-a\"} 1",
                      gzip.decompress(zipped))

        status, headers, body = request(exporter.base + "/metrics",
                                        method="HEAD")
        self.assertEqual(status, 200)
        self.assertEqual(body, b"")
        self.assertGreater(int(headers["Content-Length"]), 0)

        status, headers, body = request(exporter.base + "/")
        self.assertEqual(status, 200)
        self.assertIn("text/html", headers["Content-Type"])
        self.assertIn(b"site-a", body)
        self.assertIn(b"/metrics", body)

        self.assertEqual(request(exporter.base + "/-/ready")[0], 200)
        self.assertEqual(request(exporter.base + "/nothing-here")[0], 404)
        self.assertEqual(request(exporter.base + "/metrics", method="POST",
                                 data=b"")[0], 405)

    def test_promtool_accepts_live_metrics(self):
        if not ARGS.promtool:
            self.fail("promtool not found; run scripts/install-deps.sh")
        config = self.write_config("lint.yml", [("site-a", self.site_a)])
        exporter = self.start_exporter([f"--config.file={config}"])
        self.wait_up(exporter, "site-a")
        _, _, body = request(exporter.base + "/metrics")
        result = subprocess.run([ARGS.promtool, "check", "metrics"],
                                input=body, capture_output=True, timeout=30)
        self.assertEqual(result.returncode, 0,
                         result.stdout.decode() + result.stderr.decode())
        self.assertEqual(result.stdout.decode().strip(), "")

    def test_reload_applies_and_rejects(self):
        config = self.write_config("reload.yml", [("site-a", self.site_a)])
        exporter = self.start_exporter([f"--config.file={config}"])
        self.wait_up(exporter, "site-a")
        tokens_before = self.site_a.control("/_sim/stats")["tokens_issued"]

        # SIGHUP: add a second site; site-a keeps its token.
        self.write_config("reload.yml", [("site-a", self.site_a),
                                         ("site-b", self.site_b)])
        exporter.process.send_signal(signal.SIGHUP)
        samples = self.wait_up(exporter, "site-b")
        self.assertEqual(value(samples, "beyondtrust_up", appliance="site-a"),
                         1.0)
        self.assertEqual(
            value(samples, "beyondtrust_exporter_config_last_reload_successful"),
            1.0)
        self.assertEqual(self.site_a.control("/_sim/stats")["tokens_issued"],
                         tokens_before)

        # POST /-/reload with an invalid file: rejected, old config runs on.
        with open(config, "a") as f:
            f.write("    poll_interval: soon\n")
        status, _, body = request(exporter.base + "/-/reload", method="POST",
                                  data=b"")
        self.assertGreaterEqual(status, 400)
        self.assertIn(b"poll_interval", body)
        samples = exporter.metrics()
        self.assertEqual(
            value(samples, "beyondtrust_exporter_config_last_reload_successful"),
            0.0)
        self.assertEqual(value(samples, "beyondtrust_up", appliance="site-b"),
                         1.0)
        self.assertIn("poll_interval", exporter.log_text())

        # POST /-/reload removing site-b: its series disappear.
        self.write_config("reload.yml", [("site-a", self.site_a)])
        status, _, body = request(exporter.base + "/-/reload", method="POST",
                                  data=b"")
        self.assertEqual(status, 200, body)
        samples = exporter.metrics()
        self.assertIsNone(value(samples, "beyondtrust_up", appliance="site-b"))
        self.assertEqual(
            value(samples, "beyondtrust_exporter_config_last_reload_successful"),
            1.0)

    def test_sigterm_exits_zero_promptly(self):
        config = self.write_config("stop.yml", [("site-a", self.site_a)])
        exporter = self.start_exporter([f"--config.file={config}"])
        self.wait_up(exporter, "site-a")
        started = time.monotonic()
        code = exporter.stop(signal.SIGTERM)
        self.assertEqual(code, 0, exporter.log_text())
        self.assertLess(time.monotonic() - started, 10)
        log = exporter.log_text()
        self.assertIn("msg=stopped", log)

    def test_logs_never_contain_secret(self):
        config = self.write_config("logs.yml", [("site-a", self.site_a)])
        exporter = self.start_exporter([f"--config.file={config}",
                                        "--log.level=debug"])
        self.wait_up(exporter, "site-a")
        self.site_a.control("/_sim/revoke", {})
        self.site_a.control("/_sim/fault", {"kind": "reject_credentials",
                                            "target": "token"})
        try:
            wait_for(lambda: value(exporter.metrics(),
                                   "beyondtrust_poll_errors_total",
                                   appliance="site-a", reason="auth") >= 1,
                     20, "an auth error")
        finally:
            self.site_a.control("/_sim/clear", {})
        self.wait_up(exporter, "site-a")
        log = exporter.log_text()
        self.assertNotIn(SECRET, log)
        self.assertNotIn("Bearer", log)
        self.assertIn("appliance=site-a", log)

    def test_stale_series_disappear_not_zero(self):
        site = Simulator(ARGS.simulator, self.workdir, self.cert_dir,
                         reps=4, seed=21)
        try:
            config = self.write_config("stale.yml", [("stale", site)])
            exporter = self.start_exporter([f"--config.file={config}"])
            good = self.wait_up(exporter, "stale")
            normal = value(good, "beyondtrust_logged_in_reps",
                           appliance="stale", rep_type="Normal")
            self.assertIsNotNone(normal)

            site.control("/_sim/fault", {"kind": "status_500"})
            failing = self.wait_up(exporter, "stale", up=0.0)
            # Within max_staleness (3 s) the last good series stay.
            self.assertEqual(value(failing, "beyondtrust_logged_in_reps",
                                   appliance="stale", rep_type="Normal"),
                             normal)

            def gone():
                samples = exporter.metrics()
                return not any(labels_have(key, appliance="stale")
                               and key[0] in STALE_SERIES
                               for key in samples) and samples
            samples = wait_for(gone, 15, "stale series to disappear")
            self.assertEqual(value(samples, "beyondtrust_up",
                                   appliance="stale"), 0.0)
            self.assertGreaterEqual(
                value(samples, "beyondtrust_poll_errors_total",
                      appliance="stale", reason="http_status"), 1.0)
        finally:
            site.stop()

    def test_repeated_failure_logged_once(self):
        site = Simulator(ARGS.simulator, self.workdir, self.cert_dir,
                         reps=2, seed=22)
        try:
            config = self.write_config("once.yml", [("once", site)])
            exporter = self.start_exporter([f"--config.file={config}"])
            self.wait_up(exporter, "once")
            site.control("/_sim/fault", {"kind": "malformed_xml"})
            wait_for(lambda: value(exporter.metrics(),
                                   "beyondtrust_poll_errors_total",
                                   appliance="once", reason="parse") >= 4,
                     20, "four failed polls")
            site.control("/_sim/clear", {})
            self.wait_up(exporter, "once")
            wait_for(lambda: "poll succeeded again" in exporter.log_text(),
                     10, "the recovery log line")
            log = exporter.log_text()
            failures = [line for line in log.splitlines()
                        if "poll failed" in line]
            self.assertEqual(len(failures), 1, log)
            self.assertIn("reason=parse", failures[0])
            self.assertIn("appliance=once", failures[0])
        finally:
            site.stop()

    def test_scrapes_prompt_while_site_hangs(self):
        site = Simulator(ARGS.simulator, self.workdir, self.cert_dir,
                         reps=2, seed=23)
        try:
            config = self.write_config("hang.yml", [("hang", site)],
                                       poll_interval="10s", timeout="8s",
                                       max_staleness="30s")
            exporter = self.start_exporter([f"--config.file={config}"])
            self.wait_up(exporter, "hang")
            site.control("/_sim/fault", {"kind": "hang_mid_body",
                                         "delay_ms": 20000})
            wait_for(lambda: site.control("/_sim/stats")["faults_applied"],
                     15, "a poll to hang")
            # Scrape for three seconds while a poll hangs. The bound is
            # loose on purpose, for a loaded machine: a scrape blocked
            # behind the hung poll would take most of its 8 s timeout.
            latencies = []
            deadline = time.monotonic() + 3
            while time.monotonic() < deadline:
                started = time.monotonic()
                status = request(exporter.base + "/metrics")[0]
                latencies.append(time.monotonic() - started)
                self.assertEqual(status, 200)
                time.sleep(0.05)
            self.assertLess(max(latencies), 2.5, latencies)
            samples = wait_for(
                lambda: value(exporter.metrics(),
                              "beyondtrust_poll_errors_total",
                              appliance="hang", reason="timeout") and
                exporter.metrics(), 30, "a timeout error")
            self.assertEqual(value(samples, "beyondtrust_up",
                                   appliance="hang"), 0.0)
        finally:
            site.stop()

    def test_json_log_format(self):
        config = self.write_config("json.yml", [("site-a", self.site_a)])
        exporter = self.start_exporter([f"--config.file={config}",
                                        "--log.format=json"])
        self.wait_up(exporter, "site-a")
        lines = [line for line in exporter.log_text().splitlines() if line]
        self.assertTrue(lines)
        for line in lines:
            record = json.loads(line)
            self.assertIn("msg", record)
            self.assertIn("level", record)

    def test_bad_flag_exits_2_with_one_line(self):
        result = subprocess.run([ARGS.exporter, "--poll.interval=often"],
                                capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 2)
        lines = result.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, result.stderr)
        self.assertIn("--poll.interval", lines[0])
        self.assertIn("often", lines[0])

    def test_bad_config_value_exits_2_before_listening(self):
        config = self.write_config("bad.yml", [("site-a", self.site_a)])
        with open(config, "a") as f:
            f.write("    timeout: -5s\n")
        port = free_port()
        result = subprocess.run(
            [ARGS.exporter, f"--config.file={config}",
             f"--web.listen-address=127.0.0.1:{port}"],
            capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 2)
        self.assertIn("timeout", result.stderr)

    def test_config_check_masks_secret(self):
        config = self.write_config("check.yml", [("site-a", self.site_a)])
        result = subprocess.run([ARGS.exporter, f"--config.file={config}",
                                 "--config.check"],
                                capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("site-a", result.stdout)
        self.assertNotIn(SECRET, result.stdout + result.stderr)

    def test_version_and_help(self):
        result = subprocess.run([ARGS.exporter, "--version"],
                                capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 0)
        self.assertIn("beyondtrust_exporter", result.stdout)
        result = subprocess.run([ARGS.exporter, "--help"],
                                capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 0)
        for flag in ["--config.file", "--config.check", "--appliance.url",
                     "--appliance.client-id", "--appliance.client-secret-file",
                     "--poll.interval", "--poll.timeout",
                     "--poll.max-staleness", "--web.listen-address",
                     "--web.telemetry-path", "--web.max-requests",
                     "--web.config.file", "--log.level", "--log.format"]:
            self.assertIn(flag, result.stdout)


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--exporter", required=True)
    parser.add_argument("--simulator", required=True)
    parser.add_argument("--certs-script", required=True)
    parser.add_argument("--promtool", default=shutil.which("promtool"))
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)


if __name__ == "__main__":
    main()
