#include "beyondtrust_exporter/logging.hpp"

#include <fmt/chrono.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <atomic>
#include <chrono>
#include <mutex>

#include "beyondtrust_exporter/exposition.hpp"

namespace beyondtrust_exporter {

std::string_view to_string(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::debug:
      return "debug";
    case LogLevel::info:
      return "info";
    case LogLevel::warn:
      return "warn";
    case LogLevel::error:
      return "error";
  }
  return "info";
}

std::string_view to_string(LogFormat format) noexcept {
  return format == LogFormat::json ? "json" : "logfmt";
}

}  // namespace beyondtrust_exporter

namespace beyondtrust_exporter::logging {
namespace {

std::atomic<LogLevel> current_level{LogLevel::info};
std::atomic<LogFormat> current_format{LogFormat::logfmt};

std::mutex logger_mutex;
std::shared_ptr<spdlog::logger> current_logger;

std::shared_ptr<spdlog::logger> make_logger(
    std::shared_ptr<spdlog::sinks::sink> sink) {
  if (!sink) {
    sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  }
  auto logger =
      std::make_shared<spdlog::logger>("beyondtrust_exporter", std::move(sink));
  // The line is complete when it reaches spdlog.
  logger->set_pattern("%v");
  logger->set_level(spdlog::level::trace);
  logger->flush_on(spdlog::level::trace);
  return logger;
}

std::shared_ptr<spdlog::logger> logger() {
  std::lock_guard lock(logger_mutex);
  if (!current_logger) {
    current_logger = make_logger(nullptr);
  }
  return current_logger;
}

// A logfmt value needs quotes when it is empty or contains a space, a quote,
// an equals sign or a control character.
bool needs_quotes(std::string_view value) {
  if (value.empty()) {
    return true;
  }
  for (unsigned char c : value) {
    if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7f) {
      return true;
    }
  }
  return false;
}

// Escapes `value` for a double-quoted logfmt or JSON string. Invalid UTF-8,
// such as the raw path of a hostile request, becomes U+FFFD, so a JSON line
// always parses.
void append_escaped(std::string& out, std::string_view value) {
  for (unsigned char c : exposition::repair_utf8(value)) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += fmt::format("\\u{:04x}", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
}

void append_logfmt(std::string& out, std::string_view key,
                   std::string_view value) {
  if (!out.empty()) {
    out += ' ';
  }
  out += key;
  out += '=';
  if (needs_quotes(value)) {
    out += '"';
    append_escaped(out, value);
    out += '"';
  } else {
    out += value;
  }
}

void append_json(std::string& out, std::string_view key,
                 std::string_view value) {
  out += out.size() == 1 ? "\"" : ",\"";
  append_escaped(out, key);
  out += "\":\"";
  append_escaped(out, value);
  out += '"';
}

// Returns the current UTC time as RFC 3339 with milliseconds, as Go
// exporters log it.
std::string timestamp_now() {
  auto now = std::chrono::system_clock::now();
  auto seconds = std::chrono::time_point_cast<std::chrono::seconds>(now);
  auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now - seconds);
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03}Z", seconds, millis.count());
}

}  // namespace

void configure(LogLevel level, LogFormat format,
               std::shared_ptr<spdlog::sinks::sink> sink) {
  current_level = level;
  current_format = format;
  std::lock_guard lock(logger_mutex);
  current_logger = make_logger(std::move(sink));
}

bool enabled(LogLevel level) noexcept {
  return static_cast<int>(level) >= static_cast<int>(current_level.load());
}

std::string format_line(LogLevel level, std::string_view message,
                        std::initializer_list<Field> fields) {
  std::string line;
  line.reserve(128);
  if (current_format.load() == LogFormat::json) {
    line += '{';
    append_json(line, "ts", timestamp_now());
    append_json(line, "level", to_string(level));
    append_json(line, "msg", message);
    for (const Field& field : fields) {
      append_json(line, field.key, field.value);
    }
    line += '}';
  } else {
    append_logfmt(line, "ts", timestamp_now());
    append_logfmt(line, "level", to_string(level));
    append_logfmt(line, "msg", message);
    for (const Field& field : fields) {
      append_logfmt(line, field.key, field.value);
    }
  }
  return line;
}

void write(LogLevel level, std::string_view message,
           std::initializer_list<Field> fields) {
  if (!enabled(level)) {
    return;
  }
  logger()->info(format_line(level, message, fields));
}

}  // namespace beyondtrust_exporter::logging
