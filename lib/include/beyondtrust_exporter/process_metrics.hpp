#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

// The standard process metrics, under the names the Go and Python
// Prometheus clients use, read from Linux's /proc and getrlimit().
namespace beyondtrust_exporter {

// One reading of the process metrics. A value that could not be read (no
// /proc, a format this code does not know) is empty and gets no sample.
struct ProcessSample {
  std::optional<double> cpu_seconds_total;      // user plus system time
  std::optional<double> resident_memory_bytes;  // resident set size
  std::optional<double> virtual_memory_bytes;   // virtual memory size
  std::optional<double> open_fds;
  std::optional<double> max_fds;             // soft RLIMIT_NOFILE
  std::optional<double> start_time_seconds;  // UNIX time
};

// The fields of /proc/[pid]/stat that the process metrics use, in the
// kernel's units.
struct ProcStat {
  std::uint64_t utime_ticks = 0;
  std::uint64_t stime_ticks = 0;
  std::uint64_t starttime_ticks = 0;  // after boot
  std::uint64_t vsize_bytes = 0;
  std::uint64_t rss_pages = 0;
};

// Parses the text of /proc/[pid]/stat. The command name in parentheses may
// contain spaces and parentheses, so fields are counted from the last ')'.
// Returns nothing when a field is missing or not a number.
std::optional<ProcStat> parse_proc_stat(std::string_view text) noexcept;

// Returns the value of the `btime` line (boot time, UNIX seconds) of the
// text of /proc/stat, if there is one.
std::optional<std::uint64_t> parse_boot_time(std::string_view text) noexcept;

// Reads the process metrics of the calling process. Each read() costs one
// small read of /proc/self/stat, a listing of /proc/self/fd and one
// getrlimit(); the start time is read once, by the constructor.
//
// Thread-safe: read() only reads members set by the constructor.
class ProcessMetrics {
 public:
  ProcessMetrics();

  ProcessSample read() const noexcept;

 private:
  std::optional<double> start_time_seconds_;
  double ticks_per_second_ = 0;  // 0 when sysconf() failed
  double page_size_bytes_ = 0;
};

}  // namespace beyondtrust_exporter
