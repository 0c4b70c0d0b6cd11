"""PromQL helpers shared by the dashboard lint and the Prometheus e2e test.

Only the Python standard library is used, so the tests run on a bare
Debian 12 python3.
"""

import re

# Names of every series the exporter serves, apart from the process_*
# family. Dashboards and rules may use no other metric.
EXPORTER_METRICS = frozenset({
    "beyondtrust_up",
    "beyondtrust_logged_in_reps",
    "beyondtrust_reps_showing_on_rep_list",
    "beyondtrust_support_sessions",
    "beyondtrust_presentations",
    "beyondtrust_rep_support_sessions",
    "beyondtrust_rep_presentations",
    "beyondtrust_rep_showing_on_rep_list",
    "beyondtrust_rep_logged_in_since_timestamp_seconds",
    "beyondtrust_rep_info",
    "beyondtrust_poll_duration_seconds",
    "beyondtrust_last_poll_success_timestamp_seconds",
    "beyondtrust_polls_total",
    "beyondtrust_poll_errors_total",
    "beyondtrust_token_requests_total",
    "beyondtrust_exporter_build_info",
    "beyondtrust_exporter_config_last_reload_successful",
})

# Metrics that carry the appliance label, so a dashboard query on them
# must filter by the $appliance variable.
APPLIANCE_METRICS = EXPORTER_METRICS - {
    "beyondtrust_exporter_build_info",
    "beyondtrust_exporter_config_last_reload_successful",
}

_KEYWORDS = frozenset({
    "and", "or", "unless", "by", "without", "on", "ignoring",
    "group_left", "group_right", "bool", "offset", "inf", "nan", "atan2",
})

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_GROUPING = re.compile(
    r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)")
_RANGE = re.compile(r"\[[^\]]*\]")
_NAME = re.compile(r"(?<![\w:.$])([A-Za-z_:][\w:]*)")


def _blank(match):
    """Replaces a match with spaces of the same length."""
    return " " * len(match.group(0))


def _blank_string_contents(match):
    """Keeps a string literal's quotes and blanks what is between them."""
    text = match.group(0)
    return text[0] + " " * (len(text) - 2) + text[-1]


def selectors(expr):
    """Returns the vector selectors of a PromQL expression.

    Each item is (metric name, label matchers including the braces, or
    "" when the selector has none). Function and aggregation names,
    keywords, label names in grouping clauses and string contents are
    skipped. This is a scanner, not a parser: it handles the expressions
    that dashboards and rule files contain, not every PromQL corner.
    """
    masked = _STRING.sub(_blank_string_contents, expr)
    masked = _GROUPING.sub(_blank, masked)
    masked = _RANGE.sub(_blank, masked)

    found = []
    position = 0
    while True:
        match = _NAME.search(masked, position)
        if match is None:
            return found
        name = match.group(1)
        position = match.end()
        rest = masked[position:]
        stripped = rest.lstrip()
        if name in _KEYWORDS or stripped.startswith("("):
            continue
        matchers = ""
        if stripped.startswith("{"):
            start = position + (len(rest) - len(stripped))
            end = masked.index("}", start) + 1
            matchers = expr[start:end]
            position = end
        found.append((name, matchers))


def metric_names(expr):
    """Returns the set of metric names an expression reads."""
    return {name for name, _ in selectors(expr)}


def substitute_grafana_variables(expr, appliance_regex):
    """Replaces the dashboard's Grafana variables with concrete values.

    $appliance becomes the given regular expression; the interval
    variables become durations that suit a scrape interval of a few
    seconds.
    """
    values = {
        "appliance": appliance_regex,
        "__rate_interval": "1m",
        "__interval": "15s",
        "__range": "5m",
        "__range_s": "300",
        "__interval_ms": "15000",
    }
    # Longest names first, so that $__range_s is not read as $__range.
    for name in sorted(values, key=len, reverse=True):
        expr = expr.replace("${%s}" % name, values[name])
        expr = expr.replace("$" + name, values[name])
    if "$" in expr:
        raise ValueError("unknown Grafana variable left in: " + expr)
    return expr
