#!/usr/bin/env python3
"""Soak test: thousands of polls with random faults while a client scrapes.

Starts two simulated sites and one exporter that polls 24 appliances on them
every second, switches the sites between random faults (and no fault) every
second or two, and scrapes /metrics in a loop the whole time. It samples the
exporter's resident memory and open file descriptors once a second and
checks that both end where they settled after the warm-up, that every
scrape succeeded, and that the polls and errors add up.

Usage: soak_test.py --exporter BIN --simulator BIN --certs-script SCRIPT
           [--seconds N]   (default: $SOAK_SECONDS or 120)
Prints the figures it measured. Traffic stays on 127.0.0.1.
"""

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from exporter_processes import (SECRET, Exporter, Simulator, parse_metrics,
                                request, wait_for)

APPLIANCES_PER_SITE = 12

# Faults chosen at random. None means the site responds normally.
FAULTS = [
    None,
    None,
    None,
    {"kind": "delay", "delay_ms": 300},
    {"kind": "hang_mid_body", "delay_ms": 3000},
    {"kind": "close_without_answer"},
    {"kind": "truncated_body"},
    {"kind": "oversized_body", "body_bytes": 3 << 20},
    {"kind": "malformed_xml"},
    {"kind": "status_500"},
    {"kind": "status_503", "retry_after": "1"},
    {"kind": "status_429"},
    {"kind": "status_429", "retry_after": "1"},
    {"kind": "revoke_tokens", "count": 1},
    {"kind": "early_expiry", "target": "token", "token_lifetime_ms": 1500},
    {"kind": "reject_credentials", "target": "token"},
]


def process_figures(pid):
    """Returns (resident bytes, open file descriptors) of process `pid`."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) * 1024
                break
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    return rss, fds


def write_config(path, secret_file, ca_file, sites):
    lines = ["appliances:"]
    for site_index, site in enumerate(sites):
        for n in range(APPLIANCES_PER_SITE):
            lines += [
                f"  - name: soak-{site_index}-{n}",
                f"    url: {site.url}",
                "    client_id: exporter",
                f"    client_secret_file: {secret_file}",
                "    poll_interval: 1s",
                "    timeout: 1s",
                "    max_staleness: 3s",
                "    max_response_bytes: 1MiB",
                "    tls_config:",
                f"      ca_file: {ca_file}",
            ]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


class Scraper(threading.Thread):
    """Scrapes /metrics until stopped, counting responses by status."""

    def __init__(self, base, deadline):
        super().__init__(daemon=True)
        self.base = base
        self.deadline = deadline
        self.stopping = threading.Event()
        self.statuses = {}
        self.errors = []

    def run(self):
        while not self.stopping.is_set() and time.monotonic() < self.deadline:
            try:
                status = request(self.base + "/metrics",
                                 headers={"Accept-Encoding": "gzip"})[0]
            except OSError as error:
                self.errors.append(repr(error))
                status = "error"
            self.statuses[status] = self.statuses.get(status, 0) + 1
            time.sleep(0.02)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--exporter", required=True)
    parser.add_argument("--simulator", required=True)
    parser.add_argument("--certs-script", required=True)
    parser.add_argument("--seconds", type=int,
                        default=int(os.environ.get("SOAK_SECONDS", "120")))
    parser.add_argument("--seed", type=int, default=20261204)
    args = parser.parse_args()
    if args.seconds < 40:
        parser.error("--seconds must be at least 40: 20 s of warm-up, "
                     "then the soak")
    rng = random.Random(args.seed)

    workdir = tempfile.mkdtemp(prefix="beyondtrust-soak-")
    sites = []
    exporter = None
    try:
        cert_dir = os.path.join(workdir, "certs")
        subprocess.run(["sh", args.certs_script, cert_dir], check=True,
                       stdout=subprocess.DEVNULL)
        ca_file = os.path.join(cert_dir, "ca.pem")
        secret_file = os.path.join(workdir, "client-secret")
        with open(secret_file, "w") as f:
            f.write(SECRET + "\n")
        sites = [Simulator(args.simulator, workdir, cert_dir, reps=200,
                           seed=seed) for seed in (11, 12)]
        config = os.path.join(workdir, "soak.yml")
        write_config(config, secret_file, ca_file, sites)
        exporter = Exporter(args.exporter, workdir,
                            [f"--config.file={config}", "--log.level=info"])

        started = time.monotonic()
        deadline = started + args.seconds
        warm_up_end = started + min(20, args.seconds / 4)
        scraper = Scraper(exporter.base, deadline + 5)
        scraper.start()

        samples = []  # (seconds since start, rss, fds)
        next_switch = started
        fault_switches = 0
        while time.monotonic() < deadline:
            now = time.monotonic()
            if now >= next_switch:
                for site in sites:
                    fault = rng.choice(FAULTS)
                    if fault is None:
                        site.control("/_sim/clear", {})
                    else:
                        site.control("/_sim/fault", fault)
                    fault_switches += 1
                next_switch = now + rng.uniform(1.0, 2.0)
            samples.append((now - started, *process_figures(
                exporter.process.pid)))
            time.sleep(1.0)

        # Let the sites recover so the end state is a normal one.
        for site in sites:
            site.control("/_sim/clear", {})
        wait_for(lambda: all(
            v == 1.0 for (name, _), v in exporter.metrics().items()
            if name == "beyondtrust_up"), 30, "every appliance up again")
        for _ in range(5):
            samples.append((time.monotonic() - started, *process_figures(
                exporter.process.pid)))
            time.sleep(1.0)
        scraper.stopping.set()
        scraper.join(timeout=15)

        metrics = exporter.metrics()
        polls = sum(v for (name, _), v in metrics.items()
                    if name == "beyondtrust_polls_total")
        errors = {}
        for (name, labels), v in metrics.items():
            if name == "beyondtrust_poll_errors_total":
                reason = dict(labels)["reason"]
                errors[reason] = errors.get(reason, 0) + v
        tokens = sum(v for (name, _), v in metrics.items()
                     if name == "beyondtrust_token_requests_total")

        settled = [s for s in samples if s[0] >= warm_up_end - started
                   and s[0] < warm_up_end - started + 10]
        final = samples[-5:]
        settled_rss = statistics.median(s[1] for s in settled)
        final_rss = statistics.median(s[1] for s in final)
        peak_rss = max(s[1] for s in samples)
        settled_fds = max(s[2] for s in settled)
        final_fds = min(s[2] for s in final)

        print(f"soak: {args.seconds} s, {polls:.0f} polls of "
              f"{2 * APPLIANCES_PER_SITE} appliances, {fault_switches} fault "
              f"switches, {sum(scraper.statuses.values())} scrapes "
              f"{scraper.statuses}")
        print(f"soak: poll errors by reason {errors}; token requests "
              f"{tokens:.0f}")
        print(f"soak: resident memory settled {settled_rss / 2**20:.2f} MiB, "
              f"final {final_rss / 2**20:.2f} MiB, peak "
              f"{peak_rss / 2**20:.2f} MiB")
        print(f"soak: open fds settled {settled_fds}, final {final_fds}")

        failures = []
        if exporter.process.poll() is not None:
            failures.append(f"exporter exited: {exporter.process.returncode}")
        if set(scraper.statuses) != {200}:
            failures.append(f"scrapes other than 200: {scraper.statuses} "
                            f"{scraper.errors[:3]}")
        if polls < args.seconds * 2 * APPLIANCES_PER_SITE * 0.4:
            failures.append(f"only {polls:.0f} polls")
        if sum(errors.values()) == 0:
            failures.append("no poll failed: the faults did not apply")
        # Allocator noise stays well under this margin, but a leak per poll does not.
        if final_rss > settled_rss + max(2 << 20, settled_rss * 0.15):
            failures.append("resident memory grew after warm-up")
        if final_fds > settled_fds:
            failures.append("open file descriptors grew after warm-up")
        log = exporter.log_text()
        if SECRET in log or "Bearer" in log:
            failures.append("the log contains a secret or a token")
        for failure in failures:
            print(f"soak: FAILED: {failure}", file=sys.stderr)
        return 1 if failures else 0
    finally:
        if exporter is not None:
            exporter.stop()
        for site in sites:
            site.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
