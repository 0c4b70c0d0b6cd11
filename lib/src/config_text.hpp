#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <filesystem>
#include <initializer_list>
#include <string>
#include <string_view>

// Helpers shared by the config and web config parsers: reading YAML nodes
// with one-line errors that name the key path, and reading small files.
namespace beyondtrust_exporter::config_text {

// Quotes a value for an error message: escapes quotes, backslashes and
// control characters, and shortens long values, so the message stays one
// line.
std::string quote(std::string_view value);

// Describes a node for an error message: its quoted text when it is a
// scalar, otherwise "a list" or "a map".
std::string describe(const YAML::Node& node);

// Parses YAML text into a node; throws ConfigError for malformed YAML,
// naming the line and column.
YAML::Node parse_yaml(std::string_view text);

// Checks that `node` is a map (or null, meaning empty) whose keys are
// scalars from `allowed`, each at most once. Throws ConfigError naming
// the key path and listing the allowed keys.
void check_keys(const YAML::Node& node, std::string_view path,
                std::initializer_list<std::string_view> allowed);

// Checks that each key of a map appears once. Throws ConfigError.
void check_unique_keys(const YAML::Node& node, std::string_view path);

// Joins a map key path and a key: ("appliances[1]", "url") gives
// "appliances[1].url", and ("", "defaults") gives "defaults".
std::string join(std::string_view path, std::string_view key);

// True for a missing node and for YAML null (an empty value).
bool is_empty(const YAML::Node& node);

// True when the map has the key with a non-null value.
bool has(const YAML::Node& map, std::string_view key);

// Reads a scalar string; throws ConfigError for a list or map.
std::string read_string(const YAML::Node& node, std::string_view path);

// Reads true or false (YAML 1.1 forms such as yes and no too).
bool read_bool(const YAML::Node& node, std::string_view path);

// Resolves `path` against `base_dir` unless it is absolute.
std::filesystem::path resolve(const std::filesystem::path& base_dir,
                              const std::string& path);

// Reads a whole regular file of at most `max_bytes`. Throws ConfigError
// naming `key` and the path.
std::string read_file(const std::filesystem::path& file, std::string_view key,
                      std::size_t max_bytes);

// Checks that a regular file exists and can be opened for reading.
void check_readable(const std::filesystem::path& file, std::string_view key);

}  // namespace beyondtrust_exporter::config_text
