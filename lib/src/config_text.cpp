#include "config_text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <memory>
#include <set>
#include <system_error>

#include "beyondtrust_exporter/config.hpp"

namespace beyondtrust_exporter::config_text {
namespace {

// Maximum length of a value quoted in an error message, in bytes.
constexpr std::size_t kMaxQuotedBytes = 100;

std::string join_names(std::initializer_list<std::string_view> names) {
  std::string text;
  for (const std::string_view name : names) {
    if (!text.empty()) {
      text += ", ";
    }
    text += name;
  }
  return text;
}

// Names a key path in a message; the empty path is the top level.
std::string where(std::string_view path) {
  return path.empty() ? std::string("the top level") : std::string(path);
}

}  // namespace

std::string quote(std::string_view value) {
  std::string text = "\"";
  const bool shortened = value.size() > kMaxQuotedBytes;
  if (shortened) {
    value = value.substr(0, kMaxQuotedBytes);
  }
  for (const char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      text += '\\';
      text += c;
    } else if (c == '\n') {
      text += "\\n";
    } else if (c == '\t') {
      text += "\\t";
    } else if (byte < 0x20 || byte == 0x7f) {
      text += fmt::format("\\x{:02x}", byte);
    } else {
      text += c;
    }
  }
  text += shortened ? "...\"" : "\"";
  return text;
}

bool is_empty(const YAML::Node& node) {
  // Type() throws for a missing node, so IsDefined() comes first.
  return !node.IsDefined() || node.IsNull();
}

std::string describe(const YAML::Node& node) {
  if (is_empty(node)) {
    return "(empty)";
  }
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return quote(node.Scalar());
    case YAML::NodeType::Sequence:
      return "(a list)";
    case YAML::NodeType::Map:
      return "(a map)";
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      break;
  }
  return "(empty)";
}

YAML::Node parse_yaml(std::string_view text) {
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::Exception& error) {
    std::string message = error.msg;
    for (char& c : message) {
      if (c == '\n' || c == '\r') {
        c = ' ';
      }
    }
    if (error.mark.is_null()) {
      throw ConfigError(fmt::format("invalid YAML: {}", message));
    }
    // Marks count from 0; editors count lines and columns from 1.
    throw ConfigError(fmt::format("invalid YAML at line {}, column {}: {}",
                                  error.mark.line + 1, error.mark.column + 1,
                                  message));
  }
}

void check_unique_keys(const YAML::Node& node, std::string_view path) {
  std::set<std::string> seen;
  for (const auto& entry : node) {
    if (!entry.first.IsScalar()) {
      throw ConfigError(fmt::format("invalid key {} in {}: expected a name",
                                    describe(entry.first), where(path)));
    }
    const std::string& key = entry.first.Scalar();
    if (!seen.insert(key).second) {
      throw ConfigError(
          fmt::format("duplicate key {} in {}: each key may appear once",
                      quote(key), where(path)));
    }
  }
}

void check_keys(const YAML::Node& node, std::string_view path,
                std::initializer_list<std::string_view> allowed) {
  if (is_empty(node)) {
    return;
  }
  if (!node.IsMap()) {
    throw ConfigError(fmt::format("invalid {} {}: expected a map with keys {}",
                                  where(path), describe(node),
                                  join_names(allowed)));
  }
  check_unique_keys(node, path);
  for (const auto& entry : node) {
    const std::string& key = entry.first.Scalar();
    bool known = false;
    for (const std::string_view name : allowed) {
      known = known || key == name;
    }
    if (!known) {
      throw ConfigError(fmt::format("unknown key {} in {}: allowed keys are {}",
                                    quote(key), where(path),
                                    join_names(allowed)));
    }
  }
}

std::string join(std::string_view path, std::string_view key) {
  if (path.empty()) {
    return std::string(key);
  }
  return fmt::format("{}.{}", path, key);
}

bool has(const YAML::Node& map, std::string_view key) {
  if (is_empty(map) || !map.IsMap()) {
    return false;
  }
  return !is_empty(map[std::string(key)]);
}

std::string read_string(const YAML::Node& node, std::string_view path) {
  if (is_empty(node)) {
    return "";
  }
  if (!node.IsScalar()) {
    throw ConfigError(
        fmt::format("invalid {} {}: expected a string", path, describe(node)));
  }
  return node.Scalar();
}

bool read_bool(const YAML::Node& node, std::string_view path) {
  bool value = false;
  if (is_empty(node) || !node.IsScalar() ||
      !YAML::convert<bool>::decode(node, value)) {
    throw ConfigError(fmt::format("invalid {} {}: expected true or false", path,
                                  describe(node)));
  }
  return value;
}

std::filesystem::path resolve(const std::filesystem::path& base_dir,
                              const std::string& path) {
  const std::filesystem::path file(path);
  if (file.is_absolute() || base_dir.empty()) {
    return file;
  }
  return base_dir / file;
}

void check_readable(const std::filesystem::path& file, std::string_view key) {
  std::error_code error;
  const auto status = std::filesystem::status(file, error);
  if (error || !std::filesystem::exists(status)) {
    throw ConfigError(fmt::format("invalid {} {}: file not found", key,
                                  quote(file.string())));
  }
  if (!std::filesystem::is_regular_file(status)) {
    throw ConfigError(fmt::format("invalid {} {}: not a regular file", key,
                                  quote(file.string())));
  }
  const std::unique_ptr<std::FILE, int (*)(std::FILE*)> handle(
      std::fopen(file.c_str(), "rb"), &std::fclose);
  if (!handle) {
    throw ConfigError(fmt::format("invalid {} {}: cannot open the file: {}",
                                  key, quote(file.string()),
                                  std::generic_category().message(errno)));
  }
}

std::string read_file(const std::filesystem::path& file, std::string_view key,
                      std::size_t max_bytes) {
  check_readable(file, key);
  const std::unique_ptr<std::FILE, int (*)(std::FILE*)> handle(
      std::fopen(file.c_str(), "rb"), &std::fclose);
  if (!handle) {
    throw ConfigError(fmt::format("invalid {} {}: cannot open the file: {}",
                                  key, quote(file.string()),
                                  std::generic_category().message(errno)));
  }

  // Read in blocks, so that the string grows with the file. A buffer of
  // max_bytes would stay allocated, and resident, for as long as the
  // content lives, which for a client secret is the life of the process.
  // The loop reads one byte past the limit to tell a full file from a
  // bigger one.
  std::string content;
  std::array<char, 4096> block;
  while (content.size() <= max_bytes) {
    const std::size_t wanted =
        std::min(block.size(), max_bytes + 1 - content.size());
    const std::size_t size = std::fread(block.data(), 1, wanted, handle.get());
    content.append(block.data(), size);
    if (size < wanted) {
      break;
    }
  }
  if (std::ferror(handle.get())) {
    throw ConfigError(fmt::format("invalid {} {}: cannot read the file", key,
                                  quote(file.string())));
  }
  if (content.size() > max_bytes) {
    throw ConfigError(
        fmt::format("invalid {} {}: the file is larger than {} "
                    "bytes",
                    key, quote(file.string()), max_bytes));
  }
  return content;
}

}  // namespace beyondtrust_exporter::config_text
