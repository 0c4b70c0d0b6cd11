#include "beyondtrust_exporter/backoff.hpp"

#include <chrono>
#include <optional>

#include <gtest/gtest.h>

namespace beyondtrust_exporter {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::sys_days;
using namespace std::chrono_literals;

// 1994-11-06 08:49:37 UTC, the instant of the RFC 9110 date examples.
const std::chrono::system_clock::time_point rfc_example_time =
    sys_days(std::chrono::year(1994) / 11 / 6) + 8h + 49min + 37s;

TEST(RetryAfter, Seconds) {
  EXPECT_EQ(parse_retry_after("120", rfc_example_time), seconds(120));
}

TEST(RetryAfter, ZeroSeconds) {
  EXPECT_EQ(parse_retry_after("0", rfc_example_time), seconds(0));
}

TEST(RetryAfter, SecondsWithSpaces) {
  EXPECT_EQ(parse_retry_after("  7\t", rfc_example_time), seconds(7));
}

TEST(RetryAfter, HugeSecondsSaturate) {
  EXPECT_EQ(parse_retry_after("99999999999999999999999", rfc_example_time),
            seconds(2147483647));
}

TEST(RetryAfter, ImfFixdate) {
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:51:07 GMT",
                              rfc_example_time),
            seconds(90));
}

TEST(RetryAfter, Rfc850Date) {
  EXPECT_EQ(parse_retry_after("Sunday, 06-Nov-94 08:50:37 GMT",
                              rfc_example_time),
            seconds(60));
}

TEST(RetryAfter, AsctimeDate) {
  EXPECT_EQ(parse_retry_after("Sun Nov  6 08:49:47 1994", rfc_example_time),
            seconds(10));
}

TEST(RetryAfter, AsctimeTwoDigitDay) {
  auto now = sys_days(std::chrono::year(2024) / 12 / 24) + 23h;
  EXPECT_EQ(parse_retry_after("Tue Dec 24 23:00:05 2024", now), seconds(5));
}

TEST(RetryAfter, DateRoundsUp) {
  auto now = rfc_example_time - 500ms;
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:38 GMT", now),
            seconds(2));
}

TEST(RetryAfter, PastDateIsZero) {
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT",
                              rfc_example_time),
            seconds(0));
}

TEST(RetryAfter, RejectsNegative) {
  EXPECT_EQ(parse_retry_after("-5", rfc_example_time), std::nullopt);
}

TEST(RetryAfter, RejectsFraction) {
  EXPECT_EQ(parse_retry_after("1.5", rfc_example_time), std::nullopt);
}

TEST(RetryAfter, RejectsEmpty) {
  EXPECT_EQ(parse_retry_after("", rfc_example_time), std::nullopt);
}

TEST(RetryAfter, RejectsWords) {
  EXPECT_EQ(parse_retry_after("soon", rfc_example_time), std::nullopt);
}

TEST(RetryAfter, RejectsInvalidDay) {
  EXPECT_EQ(parse_retry_after("Sun, 31 Nov 1994 08:49:37 GMT",
                              rfc_example_time),
            std::nullopt);
}

TEST(RetryAfter, RejectsInvalidHour) {
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 25:49:37 GMT",
                              rfc_example_time),
            std::nullopt);
}

TEST(RetryAfter, RejectsOtherZone) {
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 CET",
                              rfc_example_time),
            std::nullopt);
}

TEST(RetryAfter, RejectsTrailingText) {
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT x",
                              rfc_example_time),
            std::nullopt);
}

TEST(Backoff, FirstDelayIsTwiceBaseWithJitter) {
  Backoff backoff(1000ms, 10000ms, 42);
  milliseconds delay = backoff.next_delay();
  EXPECT_GE(delay, 1600ms);
  EXPECT_LE(delay, 2000ms);
}

TEST(Backoff, DelaysStayWithinBounds) {
  for (std::uint32_t seed = 0; seed < 50; ++seed) {
    Backoff backoff(1000ms, 10000ms, seed);
    milliseconds previous_ceiling = 1000ms;
    for (int attempt = 1; attempt <= 12; ++attempt) {
      milliseconds ceiling = std::min(previous_ceiling * 2, milliseconds(10000));
      milliseconds delay = backoff.next_delay();
      EXPECT_GE(delay, ceiling * 8 / 10) << "seed " << seed << " attempt "
                                         << attempt;
      EXPECT_LE(delay, ceiling) << "seed " << seed << " attempt " << attempt;
      previous_ceiling = ceiling;
    }
  }
}

TEST(Backoff, ReachesCap) {
  Backoff backoff(1000ms, 10000ms, 7);
  for (int attempt = 0; attempt < 10; ++attempt) {
    backoff.next_delay();
  }
  milliseconds delay = backoff.next_delay();
  EXPECT_GE(delay, 8000ms);
  EXPECT_LE(delay, 10000ms);
}

TEST(Backoff, ManyAttemptsDoNotOverflow) {
  Backoff backoff(std::chrono::hours(1), std::chrono::hours(10), 3);
  milliseconds delay{0};
  for (int attempt = 0; attempt < 1000; ++attempt) {
    delay = backoff.next_delay();
  }
  EXPECT_GE(delay, std::chrono::hours(8));
  EXPECT_LE(delay, std::chrono::hours(10));
}

TEST(Backoff, ResetStartsOver) {
  Backoff backoff(1000ms, 10000ms, 5);
  for (int attempt = 0; attempt < 5; ++attempt) {
    backoff.next_delay();
  }
  backoff.reset();
  EXPECT_EQ(backoff.attempts(), 0);
  milliseconds delay = backoff.next_delay();
  EXPECT_LE(delay, 2000ms);
}

TEST(Backoff, CapBelowBaseIsRaisedToBase) {
  Backoff backoff(1000ms, 500ms, 5);
  milliseconds delay = backoff.next_delay();
  EXPECT_GE(delay, 800ms);
  EXPECT_LE(delay, 1000ms);
}

TEST(Backoff, SameSeedSameDelays) {
  Backoff first(1000ms, 10000ms, 9);
  Backoff second(1000ms, 10000ms, 9);
  for (int attempt = 0; attempt < 5; ++attempt) {
    EXPECT_EQ(first.next_delay(), second.next_delay());
  }
}

}  // namespace
}  // namespace beyondtrust_exporter
