#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace beyondtrust_exporter {

// Parses a duration written as Prometheus writes them: one or more
// number-unit pairs from largest to smallest unit, each unit at most once,
// such as "30s", "1m30s", "500ms", "1h" or "2d". Units are y (365 days),
// w, d, h, m, s and ms. "0" alone means zero. Returns nothing for any other
// text, including an empty string, negative values and values too large
// for std::chrono::milliseconds.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// Formats a duration the way parse_duration() reads it, with the largest
// units first: 90000 ms becomes "1m30s", and zero becomes "0s".
std::string format_duration(std::chrono::milliseconds duration);

}  // namespace beyondtrust_exporter
