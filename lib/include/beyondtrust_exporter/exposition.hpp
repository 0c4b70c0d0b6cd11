#pragma once

#include <cstdint>
#include <string>
#include <string_view>

// Building blocks of the Prometheus text exposition format 0.0.4: escaped
// label values and HELP text, and sample values. Each function appends to
// `out`, and only growing `out` can throw.
namespace beyondtrust_exporter::exposition {

// Appends `value` as the inside of a quoted label value: backslash, double
// quote and newline are escaped, valid UTF-8 passes through unchanged, and
// each maximal invalid UTF-8 subpart becomes U+FFFD, so the output is
// always valid UTF-8.
void append_label_value(std::string& out, std::string_view value);

// Appends `text` as HELP text: backslash and newline are escaped, invalid
// UTF-8 is replaced as in append_label_value.
void append_help(std::string& out, std::string_view text);

// Appends a sample value in the shortest form that reads back as the same
// double; NaN, +Inf and -Inf as Prometheus spells them.
void append_value(std::string& out, double value);

// Appends an integer sample value exactly, without a fraction or exponent.
void append_value(std::string& out, std::uint64_t value);
void append_value(std::string& out, std::int64_t value);

// Appends `# HELP name help` and `# TYPE name type` lines.
void append_family_header(std::string& out, std::string_view name,
                          std::string_view type, std::string_view help);

// Returns `value` escaped as append_label_value does.
std::string escape_label_value(std::string_view value);

// Returns `text` with each maximal invalid UTF-8 subpart replaced by
// U+FFFD, as append_label_value does, for text that must be valid UTF-8.
std::string repair_utf8(std::string_view text);

}  // namespace beyondtrust_exporter::exposition
