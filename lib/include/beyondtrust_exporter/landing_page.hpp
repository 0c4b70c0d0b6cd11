#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "beyondtrust_exporter/snapshot.hpp"

namespace beyondtrust_exporter {

// Escapes &, <, >, " and ' so that `text` is safe in HTML text and in a
// quoted attribute value.
std::string html_escape(std::string_view text);

// Renders the HTML page served on "/": the exporter's name and `version`, a
// link to `telemetry_path`, and one table row per appliance with its URL,
// whether it is up, and its last poll, last success and last error. Times
// are UTC with their age relative to `now`. Every value is HTML-escaped.
std::string render_landing_page(const SnapshotStore& store,
                                std::string_view version,
                                std::string_view telemetry_path,
                                std::chrono::system_clock::time_point now);

}  // namespace beyondtrust_exporter
