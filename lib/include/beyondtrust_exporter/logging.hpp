#pragma once

#include <concepts>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <spdlog/sinks/sink.h>

#include "beyondtrust_exporter/config.hpp"

// Structured logging: a fixed message plus key/value pairs, written as one
// logfmt or JSON line through spdlog. Units go into key names
// (duration_seconds), and the appliance name into `appliance`. Safe to call
// from any thread.
namespace beyondtrust_exporter::logging {

// One key/value pair of a log line.
struct Field {
  Field(std::string_view k, std::string_view v) : key(k), value(v) {}
  Field(std::string_view k, const std::string& v) : key(k), value(v) {}
  Field(std::string_view k, const char* v) : key(k), value(v) {}
  Field(std::string_view k, bool v) : key(k), value(v ? "true" : "false") {}
  template <class T>
    requires(std::integral<T> || std::floating_point<T>)
  Field(std::string_view k, T v) : key(k), value(fmt::format("{}", v)) {}

  std::string_view key;
  std::string value;
};

// Sets the level and format of later lines. With no sink, lines go to
// standard error.
void configure(LogLevel level, LogFormat format,
               std::shared_ptr<spdlog::sinks::sink> sink = nullptr);

bool enabled(LogLevel level) noexcept;

// Formats one line, as configure() chose, without writing it.
std::string format_line(LogLevel level, std::string_view message,
                        std::initializer_list<Field> fields);

void write(LogLevel level, std::string_view message,
           std::initializer_list<Field> fields = {});

inline void debug(std::string_view message,
                  std::initializer_list<Field> fields = {}) {
  write(LogLevel::debug, message, fields);
}
inline void info(std::string_view message,
                 std::initializer_list<Field> fields = {}) {
  write(LogLevel::info, message, fields);
}
inline void warn(std::string_view message,
                 std::initializer_list<Field> fields = {}) {
  write(LogLevel::warn, message, fields);
}
inline void error(std::string_view message,
                  std::initializer_list<Field> fields = {}) {
  write(LogLevel::error, message, fields);
}

}  // namespace beyondtrust_exporter::logging
