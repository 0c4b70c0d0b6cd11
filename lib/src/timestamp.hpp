#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace beyondtrust_exporter {

// Reads a count of UNIX seconds: ASCII digits only, surrounding XML
// whitespace ignored. Returns nullopt for anything else, including a sign,
// a fraction or a value beyond std::int64_t.
std::optional<std::int64_t> parse_unix_seconds(std::string_view text);

// Converts a point in time to UNIX seconds (UTC). `text` is either a count
// of UNIX seconds or an ISO 8601 date and time with a zone:
// "2024-05-01T12:30:00Z", "2024-05-01 12:30:00+02:00",
// "2024-05-01T12:30:00.250-0500", "2024-05-01T12:30:00+02". Fractional
// seconds are dropped (rounded down). Surrounding XML whitespace is
// ignored. Returns nullopt for anything else, including a date and time
// without a zone, whose UTC offset is unknown, and impossible dates such as
// February 30.
std::optional<std::int64_t> parse_timestamp_seconds(std::string_view text);

}  // namespace beyondtrust_exporter
