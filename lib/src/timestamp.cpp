#include "timestamp.hpp"

#include <charconv>
#include <chrono>

namespace beyondtrust_exporter {
namespace {

constexpr std::string_view xml_whitespace = " \t\r\n";

std::string_view trim(std::string_view text) {
  std::size_t first = text.find_first_not_of(xml_whitespace);
  if (first == std::string_view::npos) return {};
  std::size_t last = text.find_last_not_of(xml_whitespace);
  return text.substr(first, last - first + 1);
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Reads ISO 8601 fields left to right; every read_* call returns false and
// leaves the position undefined when the text does not match.
class Cursor {
 public:
  explicit Cursor(std::string_view text) : text_(text) {}

  bool at_end() const { return pos_ == text_.size(); }

  // Reads exactly `count` ASCII digits as a number in [min, max].
  bool read_number(std::size_t count, int min, int max, int& value) {
    if (text_.size() - pos_ < count) return false;
    int result = 0;
    for (std::size_t i = 0; i < count; ++i) {
      char c = text_[pos_ + i];
      if (!is_digit(c)) return false;
      result = result * 10 + (c - '0');
    }
    if (result < min || result > max) return false;
    pos_ += count;
    value = result;
    return true;
  }

  // Consumes one character if it is one of `choices`, and returns it.
  char read_one_of(std::string_view choices) {
    if (at_end() || choices.find(text_[pos_]) == std::string_view::npos) {
      return '\0';
    }
    return text_[pos_++];
  }

  // Consumes a run of ASCII digits, and returns how many there were.
  std::size_t skip_digits() {
    std::size_t start = pos_;
    while (!at_end() && is_digit(text_[pos_])) ++pos_;
    return pos_ - start;
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

// Reads the zone designator at the end of an ISO 8601 time: "Z", or a sign
// followed by "hh", "hh:mm" or "hhmm". Returns the offset from UTC in
// seconds.
std::optional<std::int64_t> read_utc_offset(Cursor& cursor) {
  char sign = cursor.read_one_of("Zz+-");
  if (sign == 'Z' || sign == 'z') return 0;
  if (sign == '\0') return std::nullopt;

  int hours = 0;
  int minutes = 0;
  if (!cursor.read_number(2, 0, 23, hours)) return std::nullopt;
  if (!cursor.at_end()) {
    cursor.read_one_of(":");
    if (!cursor.read_number(2, 0, 59, minutes)) return std::nullopt;
  }
  std::int64_t offset = hours * 3600 + minutes * 60;
  return sign == '-' ? -offset : offset;
}

std::optional<std::int64_t> parse_iso8601(std::string_view text) {
  Cursor cursor(text);
  int year = 0;
  int month = 0;
  int day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;

  // Date, then "T" or a space, then the time of day. A second of 60 is a
  // leap second and counts as the first second of the next minute, as in
  // POSIX time.
  if (!cursor.read_number(4, 0, 9999, year) || !cursor.read_one_of("-") ||
      !cursor.read_number(2, 1, 12, month) || !cursor.read_one_of("-") ||
      !cursor.read_number(2, 1, 31, day) || !cursor.read_one_of("Tt ") ||
      !cursor.read_number(2, 0, 23, hour) || !cursor.read_one_of(":") ||
      !cursor.read_number(2, 0, 59, minute) || !cursor.read_one_of(":") ||
      !cursor.read_number(2, 0, 60, second)) {
    return std::nullopt;
  }

  // Fractional seconds, dropped: the result is whole seconds.
  if (cursor.read_one_of(".,") && cursor.skip_digits() == 0) {
    return std::nullopt;
  }

  std::optional<std::int64_t> offset = read_utc_offset(cursor);
  if (!offset || !cursor.at_end()) return std::nullopt;

  std::chrono::year_month_day date{
      std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
      std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok()) return std::nullopt;

  std::int64_t days = std::chrono::sys_days(date).time_since_epoch().count();
  return days * 86400 + hour * 3600 + minute * 60 + second - *offset;
}

}  // namespace

std::optional<std::int64_t> parse_unix_seconds(std::string_view text) {
  text = trim(text);
  if (text.empty()) return std::nullopt;
  for (char c : text) {
    if (!is_digit(c)) return std::nullopt;
  }
  std::int64_t value = 0;
  auto [end, error] =
      std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

std::optional<std::int64_t> parse_timestamp_seconds(std::string_view text) {
  text = trim(text);
  if (std::optional<std::int64_t> seconds = parse_unix_seconds(text)) {
    return seconds;
  }
  return parse_iso8601(text);
}

}  // namespace beyondtrust_exporter
