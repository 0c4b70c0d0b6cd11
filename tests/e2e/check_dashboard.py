#!/usr/bin/env python3
"""Lints the Grafana dashboard: structure, variables, panels and queries.

Usage: check_dashboard.py DASHBOARD_JSON

Checks that the file is valid JSON with a stable uid, a Prometheus
datasource variable and a multi-select appliance variable. Every panel
must have a title, a description and a unit, and read the datasource
variable. Every query must read only the exporter's metric names and
filter appliance metrics by $appliance. Prints each problem and exits 1
when there is any.
"""

import json
import sys

# The tests run from the source tree, so they must leave no __pycache__
# there.
sys.dont_write_bytecode = True
from promql import APPLIANCE_METRICS, EXPORTER_METRICS, selectors

EXPECTED_UID = "beyondtrust-exporter"
DATASOURCE_REF = "${datasource}"


def walk_panels(panels):
    """Yields every panel, including those nested in collapsed rows."""
    for panel in panels:
        yield panel
        yield from walk_panels(panel.get("panels", []))


def check_variables(dashboard, problems):
    variables = {variable.get("name"): variable for variable
                 in dashboard.get("templating", {}).get("list", [])}

    datasource = variables.get("datasource")
    if datasource is None:
        problems.append("variable datasource is missing")
    else:
        if datasource.get("type") != "datasource":
            problems.append("variable datasource: type is not datasource")
        if datasource.get("query") != "prometheus":
            problems.append("variable datasource: query is not prometheus")

    appliance = variables.get("appliance")
    if appliance is None:
        problems.append("variable appliance is missing")
        return
    query = appliance.get("query")
    if isinstance(query, dict):
        query = query.get("query")
    if query != "label_values(beyondtrust_up, appliance)":
        problems.append("variable appliance: unexpected query %r" % query)
    if appliance.get("multi") is not True:
        problems.append("variable appliance: multi is not true")
    if appliance.get("includeAll") is not True:
        problems.append("variable appliance: includeAll is not true")
    if appliance.get("datasource", {}).get("uid") != DATASOURCE_REF:
        problems.append("variable appliance: datasource is not "
                        + DATASOURCE_REF)


def check_expression(where, expr, problems):
    found = selectors(expr)
    if not found:
        problems.append("%s: no metric in %r" % (where, expr))
    for name, matchers in found:
        if name not in EXPORTER_METRICS and not name.startswith("process_"):
            problems.append("%s: unknown metric %s" % (where, name))
        if (name in APPLIANCE_METRICS
                and 'appliance=~"$appliance"' not in matchers):
            problems.append('%s: %s lacks appliance=~"$appliance"'
                            % (where, name))


def check_panel(panel, problems):
    where = "panel %r (id %s)" % (panel.get("title"), panel.get("id"))
    if not panel.get("title"):
        problems.append(where + ": no title")
    if not panel.get("description"):
        problems.append(where + ": no description")
    unit = panel.get("fieldConfig", {}).get("defaults", {}).get("unit")
    if not unit:
        problems.append(where + ": no unit in fieldConfig.defaults")
    if panel.get("datasource", {}).get("uid") != DATASOURCE_REF:
        problems.append(where + ": datasource is not " + DATASOURCE_REF)
    if "gridPos" not in panel:
        problems.append(where + ": no gridPos")

    targets = panel.get("targets", [])
    if not targets:
        problems.append(where + ": no queries")
    ref_ids = [t.get("refId") for t in targets]
    if len(set(ref_ids)) != len(ref_ids):
        problems.append(where + ": repeated refId")
    for target in targets:
        expr = target.get("expr", "")
        if not expr.strip():
            problems.append(where + ": query %s is empty"
                            % target.get("refId"))
            continue
        if target.get("datasource", {}).get("uid") != DATASOURCE_REF:
            problems.append("%s: query %s datasource is not %s"
                            % (where, target.get("refId"), DATASOURCE_REF))
        check_expression("%s query %s" % (where, target.get("refId")),
                         expr, problems)


def lint(path):
    """Returns the list of problems found in the dashboard at path."""
    try:
        with open(path, encoding="utf-8") as file:
            dashboard = json.load(file)
    except (OSError, ValueError) as error:
        return ["%s: cannot read JSON: %s" % (path, error)]

    problems = []
    if dashboard.get("uid") != EXPECTED_UID:
        problems.append("uid is %r, expected %r"
                        % (dashboard.get("uid"), EXPECTED_UID))
    if not dashboard.get("title"):
        problems.append("dashboard has no title")
    if not isinstance(dashboard.get("schemaVersion"), int):
        problems.append("schemaVersion is missing")
    check_variables(dashboard, problems)

    ids = []
    panel_count = 0
    for panel in walk_panels(dashboard.get("panels", [])):
        ids.append(panel.get("id"))
        if panel.get("type") == "row":
            if not panel.get("title"):
                problems.append("row (id %s): no title" % panel.get("id"))
            continue
        panel_count += 1
        check_panel(panel, problems)
    if panel_count == 0:
        problems.append("dashboard has no panels")
    if len(set(ids)) != len(ids):
        problems.append("panel ids are not unique")
    return problems


def main(argv):
    if len(argv) != 2:
        print("usage: check_dashboard.py DASHBOARD_JSON", file=sys.stderr)
        return 2
    problems = lint(argv[1])
    for problem in problems:
        print("check_dashboard: " + problem)
    if problems:
        print("check_dashboard: %d problems in %s" % (len(problems), argv[1]))
        return 1
    print("check_dashboard: %s is clean" % argv[1])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
