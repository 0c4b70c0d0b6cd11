#include "beyondtrust_exporter/duration.hpp"

#include <array>
#include <cstdint>
#include <limits>

namespace beyondtrust_exporter {
namespace {

struct Unit {
  std::string_view suffix;
  std::int64_t milliseconds;
};

// Largest first, the only order in which a duration may list them.
constexpr std::array<Unit, 7> kUnits{{
    {"y", 365LL * 24 * 60 * 60 * 1000},
    {"w", 7LL * 24 * 60 * 60 * 1000},
    {"d", 24LL * 60 * 60 * 1000},
    {"h", 60LL * 60 * 1000},
    {"m", 60LL * 1000},
    {"s", 1000},
    {"ms", 1},
}};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Returns the index in kUnits of the unit at the start of `text`.
std::optional<std::size_t> match_unit(std::string_view text) {
  // "ms" must win over "m".
  if (text.starts_with("ms")) {
    return kUnits.size() - 1;
  }
  for (std::size_t i = 0; i + 1 < kUnits.size(); ++i) {
    if (text.starts_with(kUnits[i].suffix)) {
      return i;
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  if (text == "0") {
    return std::chrono::milliseconds(0);
  }
  if (text.empty()) {
    return std::nullopt;
  }

  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  std::int64_t total = 0;
  std::size_t next_unit = 0;  // units before this one are used up
  std::size_t pos = 0;
  while (pos < text.size()) {
    // The number.
    std::int64_t number = 0;
    std::size_t digits = 0;
    while (pos < text.size() && is_digit(text[pos])) {
      const int digit = text[pos] - '0';
      if (number > (kMax - digit) / 10) {
        return std::nullopt;
      }
      number = number * 10 + digit;
      ++pos;
      ++digits;
    }
    if (digits == 0) {
      return std::nullopt;
    }

    // Its unit, which must be smaller than the previous one.
    const auto unit = match_unit(text.substr(pos));
    if (!unit || *unit < next_unit) {
      return std::nullopt;
    }
    pos += kUnits[*unit].suffix.size();
    next_unit = *unit + 1;

    // The sum, checked for overflow.
    const std::int64_t scale = kUnits[*unit].milliseconds;
    if (number > (kMax - total) / scale) {
      return std::nullopt;
    }
    total += number * scale;
  }
  return std::chrono::milliseconds(total);
}

std::string format_duration(std::chrono::milliseconds duration) {
  const std::int64_t count = duration.count();
  if (count == 0) {
    return "0s";
  }
  std::string text;
  // Unsigned, so that the smallest int64 value has a magnitude too.
  std::uint64_t remaining = static_cast<std::uint64_t>(count);
  if (count < 0) {
    text += '-';
    remaining = 0 - remaining;
  }
  for (const Unit& unit : kUnits) {
    const auto scale = static_cast<std::uint64_t>(unit.milliseconds);
    const std::uint64_t units = remaining / scale;
    if (units > 0) {
      text += std::to_string(units);
      text += unit.suffix;
      remaining -= units * scale;
    }
  }
  return text;
}

}  // namespace beyondtrust_exporter
