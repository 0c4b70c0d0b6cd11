#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "beyondtrust_exporter/config.hpp"

namespace beyondtrust_exporter {

// Largest config file, web config file or secret file that is read, in
// bytes. A bigger file is rejected rather than read into memory.
inline constexpr std::size_t kMaxConfigFileBytes = 1024 * 1024;

// Looks up an environment variable; returns nothing when it is not set.
using EnvironmentLookup =
    std::function<std::optional<std::string>(const std::string& name)>;

// Reads the process environment with std::getenv.
std::optional<std::string> process_environment(const std::string& name);

// Builds the appliance list from settings.config_file, or, when no file is
// given, one appliance from the --appliance.* flags and the environment
// variables BEYONDTRUST_CLIENT_ID and BEYONDTRUST_CLIENT_SECRET (the flags
// win over the environment). Reads secret and TLS files, so call it again
// to pick up changed files on reload.
//
// Throws ConfigError with one line naming the key path (such as
// appliances[1].poll_interval), the value and what is allowed.
Config load_config(const Settings& settings,
                   const EnvironmentLookup& environment = process_environment);

// Parses config file text. `defaults` supplies the poll interval, timeout
// and max staleness of appliances that set none, and `base_dir` is the
// folder that relative file paths in the text are relative to. Throws
// ConfigError, also for malformed YAML.
Config parse_config(std::string_view yaml, const Settings& defaults,
                    const std::filesystem::path& base_dir);

// Describes what the settings and the config mean, as YAML, with every
// secret written as <secret>. This is what --config.check prints.
std::string describe_config(const Settings& settings, const Config& config);

// Runs --config.check: loads the config and the web config, writes what
// they mean to `out` and returns 0, or writes the one-line error to `err`
// and returns 2.
int run_config_check(
    const Settings& settings, std::ostream& out, std::ostream& err,
    const EnvironmentLookup& environment = process_environment);

}  // namespace beyondtrust_exporter
