#pragma once

#include <optional>
#include <ostream>
#include <string>

#include "beyondtrust_exporter/config.hpp"

namespace beyondtrust_exporter {

// The settings read from the command line, and whether the process should
// exit at once (after --help or --version) instead of starting.
struct FlagsResult {
  Settings settings;
  std::optional<int> exit_code;  // set: exit with this code, do not start
};

// Parses the command line in the style of Prometheus exporters: long flags
// with dots, as `--flag value` or `--flag=value`. --help and --version write
// to `out` and set exit_code to 0. Checks each value and the limits between
// them (timeout <= interval <= max staleness).
//
// Throws ConfigError with one line that names the flag, the value and what
// is allowed, for an unknown flag, a missing or invalid value, or a
// single-appliance flag combined with --config.file. No flag takes a secret:
// secrets come from files or the environment.
FlagsResult parse_flags(int argc, const char* const* argv, std::ostream& out);

// The text --version prints: name, version, revision and the versions of
// the main libraries, ending in a newline.
std::string version_text();

}  // namespace beyondtrust_exporter
