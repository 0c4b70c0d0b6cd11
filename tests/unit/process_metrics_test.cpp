#include "beyondtrust_exporter/process_metrics.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <string_view>

namespace beyondtrust_exporter {
namespace {

// /proc/[pid]/stat of a process whose command name contains spaces and
// parentheses; utime 1234, stime 56, starttime 98765, vsize 123456789, rss
// 2048 pages.
constexpr std::string_view odd_name_stat =
    "4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 1000 0 0 0 1234 56 0 0 "
    "20 0 3 0 98765 123456789 2048 18446744073709551615 1 1 0 0 0 0 0 4096 "
    "0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n";

TEST(ParseProcStat, OddCommandName) {
  const auto stat = parse_proc_stat(odd_name_stat);
  ASSERT_TRUE(stat.has_value());
  EXPECT_EQ(stat->utime_ticks, 1234U);
  EXPECT_EQ(stat->stime_ticks, 56U);
  EXPECT_EQ(stat->starttime_ticks, 98765U);
  EXPECT_EQ(stat->vsize_bytes, 123456789U);
  EXPECT_EQ(stat->rss_pages, 2048U);
}

TEST(ParseProcStat, Truncated) {
  EXPECT_FALSE(parse_proc_stat("4242 (x) S 1 4242 4242 0 -1 4194560 1000 0 0 "
                               "0 1234 56 0 0 20 0 3 0 98765 123456789")
                   .has_value());
}

TEST(ParseProcStat, NoCommandName) {
  EXPECT_FALSE(parse_proc_stat("4242 x S 1").has_value());
}

TEST(ParseProcStat, NotANumber) {
  EXPECT_FALSE(parse_proc_stat("1 (x) S 1 1 1 0 -1 0 0 0 0 0 12x 56 0 0 20 0 "
                               "3 0 98765 123456789 2048 0\n")
                   .has_value());
}

TEST(ParseProcStat, Empty) { EXPECT_FALSE(parse_proc_stat("").has_value()); }

TEST(ParseBootTime, Found) {
  constexpr std::string_view text =
      "cpu  10 0 20 300 0 0 0 0 0 0\n"
      "intr 12345 0 0\n"
      "ctxt 999\n"
      "btime 1764800000\n"
      "processes 4000\n";
  EXPECT_EQ(parse_boot_time(text), 1764800000U);
}

TEST(ParseBootTime, LastLineWithoutNewline) {
  EXPECT_EQ(parse_boot_time("ctxt 1\nbtime 17"), 17U);
}

TEST(ParseBootTime, Missing) {
  EXPECT_FALSE(parse_boot_time("cpu 1 2 3\nctxt 1\n").has_value());
}

TEST(ParseBootTime, NotANumber) {
  EXPECT_FALSE(parse_boot_time("btime soon\n").has_value());
}

TEST(ProcessMetrics, Plausible) {
  const ProcessMetrics metrics;
  const ProcessSample sample = metrics.read();
  ASSERT_TRUE(sample.resident_memory_bytes.has_value());
  ASSERT_TRUE(sample.virtual_memory_bytes.has_value());
  ASSERT_TRUE(sample.open_fds.has_value());
  ASSERT_TRUE(sample.max_fds.has_value());
  ASSERT_TRUE(sample.start_time_seconds.has_value());
  ASSERT_TRUE(sample.cpu_seconds_total.has_value());

  EXPECT_GT(*sample.resident_memory_bytes, 0);
  EXPECT_GE(*sample.virtual_memory_bytes, *sample.resident_memory_bytes);
  // Standard input, output and error at least.
  EXPECT_GE(*sample.open_fds, 3);
  EXPECT_GT(*sample.max_fds, *sample.open_fds);
  EXPECT_GE(*sample.cpu_seconds_total, 0);

  const double now_seconds =
      std::chrono::duration<double>(
          std::chrono::system_clock::now().time_since_epoch())
          .count();
  EXPECT_GT(*sample.start_time_seconds, now_seconds - 86400);
  // Boot time has whole-second resolution, so allow a second of rounding.
  EXPECT_LT(*sample.start_time_seconds, now_seconds + 1);
}

TEST(ProcessMetrics, CountsNewDescriptor) {
  const ProcessMetrics metrics;
  const auto before = metrics.read().open_fds;
  const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  const auto during = metrics.read().open_fds;
  ::close(fd);
  ASSERT_TRUE(before.has_value());
  ASSERT_TRUE(during.has_value());
  EXPECT_EQ(*during, *before + 1);
}

TEST(ProcessMetrics, CpuTimeGrows) {
  const ProcessMetrics metrics;
  const auto before = metrics.read().cpu_seconds_total;
  // Burn CPU for up to two seconds until the kernel's clock ticks move.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(2);
  volatile std::uint64_t sink = 0;
  std::optional<double> after = before;
  while (std::chrono::steady_clock::now() < deadline && after == before) {
    for (int i = 0; i < 1'000'000; ++i) {
      sink = sink + static_cast<std::uint64_t>(i);
    }
    after = metrics.read().cpu_seconds_total;
  }
  ASSERT_TRUE(before.has_value());
  ASSERT_TRUE(after.has_value());
  EXPECT_GT(*after, *before);
}

}  // namespace
}  // namespace beyondtrust_exporter
