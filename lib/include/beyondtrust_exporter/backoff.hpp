#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string_view>

namespace beyondtrust_exporter {

// Parses an HTTP Retry-After value (RFC 9110, section 10.2.3): either a
// number of seconds, or an HTTP date in IMF-fixdate, RFC 850 or asctime
// form. Returns the wait from `now`, zero for a date in the past, and
// std::nullopt for a value that is neither.
std::optional<std::chrono::seconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now);

// Exponential backoff with jitter for polls that the site rate-limited
// without a Retry-After header.
//
// The n-th consecutive delay is drawn uniformly from [0.8 x, x] where
// x = min(max_delay, base * 2^n). So the first delay is at least 1.6 base
// when max_delay allows it, and no delay exceeds max_delay, which is raised
// to base when given smaller. reset() starts over after a successful poll.
// Not thread-safe.
class Backoff {
 public:
  Backoff(std::chrono::milliseconds base, std::chrono::milliseconds max_delay,
          std::uint32_t seed = std::random_device{}());

  // Returns the next delay and counts one more attempt.
  std::chrono::milliseconds next_delay();

  void reset() noexcept { attempts_ = 0; }

  int attempts() const noexcept { return attempts_; }

 private:
  std::chrono::milliseconds base_;
  std::chrono::milliseconds max_delay_;
  std::mt19937 random_;
  int attempts_ = 0;
};

}  // namespace beyondtrust_exporter
