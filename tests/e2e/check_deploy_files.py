#!/usr/bin/env python3
"""Checks the deploy files that no dedicated tool validates here.

Usage: check_deploy_files.py SOURCE_DIR [--update]

- Every YAML file under deploy/ and grafana/ parses.
- The alert rules read only the exporter's metrics, "up" and their own
  recording rules, and every alert has severity, summary and description.
- deploy/kubernetes: each file that kustomization.yaml names exists. The
  Deployment runs as non-root with a read-only root file system, no
  privilege escalation and no capabilities, and probes /-/healthy and
  /-/ready. The Service and ServiceMonitor agree on the port name. The
  Secret contains only the placeholder. The PrometheusRule's groups equal
  those of deploy/prometheus/beyondtrust.rules.yml, and --update rewrites
  prometheusrule.yaml from the rules file.
- The Grafana provisioning files point at the dashboard's folder and a
  Prometheus datasource.

Prints each problem and exits 1 when there is any. Needs python3-yaml.
"""

import os
import sys

try:
    import yaml
except ImportError:
    print("check_deploy_files: the Python module yaml is missing; install "
          "the Debian package python3-yaml", file=sys.stderr)
    sys.exit(1)

# The tests run from the source tree, so they must leave no __pycache__
# there.
sys.dont_write_bytecode = True
from promql import EXPORTER_METRICS, selectors

RULES_PATH = os.path.join("deploy", "prometheus", "beyondtrust.rules.yml")
KUBERNETES_DIR = os.path.join("deploy", "kubernetes")
PROMETHEUS_RULE_HEADER = """\
# Generated from deploy/prometheus/beyondtrust.rules.yml by
#   tests/e2e/check_deploy_files.py SOURCE_DIR --update
# Edit the rules file, not this one. The test suite fails while they differ.
"""
SECRET_PLACEHOLDER = "REPLACE_WITH_CLIENT_SECRET"
# Alerts about a missing target, which has no appliance to name.
UNNAMED_APPLIANCE_ALERTS = frozenset({"BeyondTrustExporterAbsent"})


def load_all(path):
    with open(path, encoding="utf-8") as file:
        return [doc for doc in yaml.safe_load_all(file) if doc is not None]


def check_yaml_syntax(source_dir, problems):
    count = 0
    for folder in ("deploy", "grafana"):
        for root, _, files in os.walk(os.path.join(source_dir, folder)):
            for name in sorted(files):
                if not name.endswith((".yml", ".yaml")):
                    continue
                count += 1
                path = os.path.join(root, name)
                try:
                    load_all(path)
                except yaml.YAMLError as error:
                    problems.append("%s: invalid YAML: %s" % (path, error))
    if count == 0:
        problems.append("no YAML file found under deploy/ or grafana/")


def check_rules(rules, problems):
    recorded = {rule["record"] for group in rules["groups"]
                for rule in group["rules"] if "record" in rule}
    known = EXPORTER_METRICS | recorded | {"up"}
    for group in rules["groups"]:
        for rule in group["rules"]:
            name = rule.get("record") or rule.get("alert")
            for metric, _ in selectors(rule["expr"]):
                if metric not in known and not metric.startswith("process_"):
                    problems.append("rule %s: unknown metric %s"
                                    % (name, metric))
            if "alert" not in rule:
                continue
            if not rule.get("labels", {}).get("severity"):
                problems.append("alert %s: no severity label" % name)
            for key in ("summary", "description"):
                if not rule.get("annotations", {}).get(key):
                    problems.append("alert %s: no %s" % (name, key))
            description = rule.get("annotations", {}).get("description", "")
            names_appliance = ("$labels.appliance" in description
                               or ".Labels.appliance" in description)
            if not names_appliance and name not in UNNAMED_APPLIANCE_ALERTS:
                problems.append("alert %s: description does not name the "
                                "appliance" % name)


class _BlockDumper(yaml.SafeDumper):
    """Writes multi-line strings as literal blocks, as in the rules file."""


def _represent_string(dumper, text):
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_BlockDumper.add_representer(str, _represent_string)


def render_prometheus_rule(rules):
    document = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": "beyondtrust-exporter"},
        "spec": {"groups": rules["groups"]},
    }
    return PROMETHEUS_RULE_HEADER + yaml.dump(
        document, Dumper=_BlockDumper, sort_keys=False, width=1000,
        allow_unicode=True)


def by_kind(documents):
    found = {}
    for document in documents:
        found.setdefault(document.get("kind"), []).append(document)
    return found


def check_deployment(deployment, problems):
    pod = deployment["spec"]["template"]["spec"]
    if pod.get("securityContext", {}).get("runAsNonRoot") is not True:
        problems.append("Deployment: pod runAsNonRoot is not true")
    containers = pod.get("containers", [])
    if not containers:
        problems.append("Deployment: no container")
    for container in containers:
        where = "Deployment container %s" % container.get("name")
        security = container.get("securityContext", {})
        if security.get("readOnlyRootFilesystem") is not True:
            problems.append(where + ": readOnlyRootFilesystem is not true")
        if security.get("allowPrivilegeEscalation") is not False:
            problems.append(where + ": allowPrivilegeEscalation is not false")
        if security.get("capabilities", {}).get("drop") != ["ALL"]:
            problems.append(where + ": capabilities are not dropped")
        probes = {
            "livenessProbe": "/-/healthy",
            "readinessProbe": "/-/ready",
        }
        for probe, path in probes.items():
            actual = container.get(probe, {}).get("httpGet", {}).get("path")
            if actual != path:
                problems.append("%s: %s path is %r, expected %r"
                                % (where, probe, actual, path))
    return [port.get("name") for container in containers
            for port in container.get("ports", [])]


def check_kubernetes(source_dir, rules, update, problems):
    folder = os.path.join(source_dir, KUBERNETES_DIR)
    rule_path = os.path.join(folder, "prometheusrule.yaml")
    if update:
        with open(rule_path, "w", encoding="utf-8") as file:
            file.write(render_prometheus_rule(rules))
        print("check_deploy_files: wrote " + rule_path)

    kustomization = load_all(os.path.join(folder, "kustomization.yaml"))[0]
    files = list(kustomization.get("resources", []))
    for generator in kustomization.get("configMapGenerator", []):
        files.extend(generator.get("files", []))
    documents = []
    for name in files:
        path = os.path.join(folder, name)
        if not os.path.isfile(path):
            problems.append("kustomization.yaml names %s, which is missing"
                            % name)
            continue
        if name in kustomization.get("resources", []):
            documents.extend(load_all(path))

    kinds = by_kind(documents)
    for kind in ("Deployment", "Service", "Secret", "ServiceMonitor",
                 "PrometheusRule"):
        if len(kinds.get(kind, [])) != 1:
            problems.append("kustomization: %d %s resources, expected 1"
                            % (len(kinds.get(kind, [])), kind))
    if problems:
        return

    container_ports = check_deployment(kinds["Deployment"][0], problems)
    service_ports = [port.get("name") for port in
                     kinds["Service"][0]["spec"].get("ports", [])]
    for port in service_ports:
        if port not in container_ports:
            problems.append("Service port %s is not a container port" % port)
    for endpoint in kinds["ServiceMonitor"][0]["spec"].get("endpoints", []):
        if endpoint.get("port") not in service_ports:
            problems.append("ServiceMonitor port %s is not a Service port"
                            % endpoint.get("port"))

    secret = kinds["Secret"][0]
    values = list(secret.get("stringData", {}).values())
    if values != [SECRET_PLACEHOLDER] or secret.get("data"):
        problems.append("Secret must hold only the placeholder %s"
                        % SECRET_PLACEHOLDER)

    if kinds["PrometheusRule"][0].get("spec", {}).get("groups") != \
            rules["groups"]:
        problems.append("prometheusrule.yaml differs from %s; run "
                        "tests/e2e/check_deploy_files.py SOURCE_DIR --update"
                        % RULES_PATH)

    config = load_all(os.path.join(folder, "config.yml"))[0]
    for appliance in config.get("appliances", []):
        if "client_secret" in appliance:
            problems.append("config.yml: client_secret belongs in the Secret")
        if not appliance.get("client_secret_file", "").startswith(
                "/etc/beyondtrust_exporter/secrets/"):
            problems.append("config.yml: client_secret_file is not in the "
                            "mounted Secret")


def check_grafana(source_dir, problems):
    folder = os.path.join(source_dir, "grafana", "provisioning")
    sources = load_all(os.path.join(folder, "datasources",
                                    "prometheus.yml"))[0]
    types = [source.get("type") for source in sources.get("datasources", [])]
    if "prometheus" not in types:
        problems.append("grafana datasources: no prometheus datasource")
    providers = load_all(os.path.join(folder, "dashboards",
                                      "beyondtrust.yml"))[0]
    paths = [provider.get("options", {}).get("path")
             for provider in providers.get("providers", [])]
    if not any(paths):
        problems.append("grafana dashboards: no provider with a path")


def main(argv):
    if len(argv) not in (2, 3) or (len(argv) == 3 and argv[2] != "--update"):
        print("usage: check_deploy_files.py SOURCE_DIR [--update]",
              file=sys.stderr)
        return 2
    source_dir = argv[1]
    problems = []
    check_yaml_syntax(source_dir, problems)
    if problems:
        for problem in problems:
            print("check_deploy_files: " + problem)
        return 1
    rules = load_all(os.path.join(source_dir, RULES_PATH))[0]
    check_rules(rules, problems)
    check_kubernetes(source_dir, rules, len(argv) == 3, problems)
    check_grafana(source_dir, problems)
    for problem in problems:
        print("check_deploy_files: " + problem)
    if problems:
        print("check_deploy_files: %d problems" % len(problems))
        return 1
    print("check_deploy_files: deploy files are consistent")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
