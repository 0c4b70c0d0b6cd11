#include "beyondtrust_exporter/backoff.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>
#include <string_view>

#include "http_text.hpp"

namespace beyondtrust_exporter {
namespace {

using std::chrono::system_clock;

// A cursor over an HTTP date that consumes one expected piece at a time.
class DateReader {
 public:
  explicit DateReader(std::string_view text) : text_(text) {}

  bool at_end() const noexcept { return text_.empty(); }

  bool literal(std::string_view expected) {
    if (!text_.starts_with(expected)) {
      return false;
    }
    text_.remove_prefix(expected.size());
    return true;
  }

  // Reads exactly `digits` decimal digits.
  bool number(int digits, int& value) {
    if (text_.size() < static_cast<std::size_t>(digits)) {
      return false;
    }
    const char* first = text_.data();
    const char* last = first + digits;
    if (!std::all_of(first, last,
                     [](char c) { return c >= '0' && c <= '9'; })) {
      return false;
    }
    std::from_chars(first, last, value);
    text_.remove_prefix(digits);
    return true;
  }

  // Reads a day name such as "Sun" or "Sunday" up to the next separator.
  bool day_name() {
    std::size_t end = text_.find_first_of(", ");
    if (end == 0 || end == std::string_view::npos) {
      return false;
    }
    text_.remove_prefix(end);
    return true;
  }

  bool month(unsigned& value) {
    static constexpr std::array<std::string_view, 12> names{
        "Jan", "Feb", "Mar", "Apr", "May", "Jun",
        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (literal(names[i])) {
        value = static_cast<unsigned>(i + 1);
        return true;
      }
    }
    return false;
  }

  bool time_of_day(int& hour, int& minute, int& second) {
    return number(2, hour) && literal(":") && number(2, minute) &&
           literal(":") && number(2, second);
  }

 private:
  std::string_view text_;
};

std::optional<system_clock::time_point> make_time(int year, unsigned month,
                                                  int day, int hour, int minute,
                                                  int second) {
  std::chrono::year_month_day date{
      std::chrono::year(year), std::chrono::month(month),
      std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok() || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  return std::chrono::sys_days(date) + std::chrono::hours(hour) +
         std::chrono::minutes(minute) + std::chrono::seconds(second);
}

// "Sun, 06 Nov 1994 08:49:37 GMT", the form servers must send.
std::optional<system_clock::time_point> parse_imf_fixdate(
    std::string_view text) {
  DateReader reader(text);
  int day = 0, year = 0, hour = 0, minute = 0, second = 0;
  unsigned month = 0;
  if (reader.day_name() && reader.literal(", ") && reader.number(2, day) &&
      reader.literal(" ") && reader.month(month) && reader.literal(" ") &&
      reader.number(4, year) && reader.literal(" ") &&
      reader.time_of_day(hour, minute, second) && reader.literal(" GMT") &&
      reader.at_end()) {
    return make_time(year, month, day, hour, minute, second);
  }
  return std::nullopt;
}

// "Sunday, 06-Nov-94 08:49:37 GMT", obsolete but still accepted.
std::optional<system_clock::time_point> parse_rfc850_date(
    std::string_view text) {
  DateReader reader(text);
  int day = 0, year = 0, hour = 0, minute = 0, second = 0;
  unsigned month = 0;
  if (reader.day_name() && reader.literal(", ") && reader.number(2, day) &&
      reader.literal("-") && reader.month(month) && reader.literal("-") &&
      reader.number(2, year) && reader.literal(" ") &&
      reader.time_of_day(hour, minute, second) && reader.literal(" GMT") &&
      reader.at_end()) {
    // A two-digit year more than 50 years ahead means the past century.
    year += year < 70 ? 2000 : 1900;
    return make_time(year, month, day, hour, minute, second);
  }
  return std::nullopt;
}

// "Sun Nov  6 08:49:37 1994", the C asctime() form.
std::optional<system_clock::time_point> parse_asctime_date(
    std::string_view text) {
  DateReader reader(text);
  int day = 0, year = 0, hour = 0, minute = 0, second = 0;
  unsigned month = 0;
  if (!(reader.day_name() && reader.literal(" ") && reader.month(month) &&
        reader.literal(" "))) {
    return std::nullopt;
  }
  bool day_read =
      reader.literal(" ") ? reader.number(1, day) : reader.number(2, day);
  if (day_read && reader.literal(" ") &&
      reader.time_of_day(hour, minute, second) && reader.literal(" ") &&
      reader.number(4, year) && reader.at_end()) {
    return make_time(year, month, day, hour, minute, second);
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::chrono::seconds> parse_retry_after(
    std::string_view value, system_clock::time_point now) {
  value = http_text::trim(value);
  if (value.empty()) {
    return std::nullopt;
  }

  // delay-seconds: digits only. Values too large for the type saturate,
  // since every caller caps the wait far below that anyway.
  if (std::all_of(value.begin(), value.end(),
                  [](char c) { return c >= '0' && c <= '9'; })) {
    std::int64_t seconds = 0;
    auto [end, error] =
        std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (error == std::errc::result_out_of_range) {
      seconds = std::numeric_limits<std::int32_t>::max();
    }
    return std::chrono::seconds(seconds);
  }

  std::optional<system_clock::time_point> date = parse_imf_fixdate(value);
  if (!date) {
    date = parse_rfc850_date(value);
  }
  if (!date) {
    date = parse_asctime_date(value);
  }
  if (!date) {
    return std::nullopt;
  }
  if (*date <= now) {
    return std::chrono::seconds(0);
  }
  // Round up, so the client never comes back before the date.
  return std::chrono::ceil<std::chrono::seconds>(*date - now);
}

Backoff::Backoff(std::chrono::milliseconds base,
                 std::chrono::milliseconds max_delay, std::uint32_t seed)
    : base_(base), max_delay_(std::max(max_delay, base)), random_(seed) {}

std::chrono::milliseconds Backoff::next_delay() {
  attempts_ = std::min(attempts_ + 1, 62);

  // base * 2^attempts, computed in double so that it cannot overflow.
  double ceiling = static_cast<double>(base_.count());
  for (int i = 0; i < attempts_ && ceiling < max_delay_.count(); ++i) {
    ceiling *= 2;
  }
  ceiling = std::min(ceiling, static_cast<double>(max_delay_.count()));

  std::uniform_real_distribution<double> jitter(0.8 * ceiling, ceiling);
  return std::chrono::milliseconds(static_cast<std::int64_t>(jitter(random_)));
}

}  // namespace beyondtrust_exporter
