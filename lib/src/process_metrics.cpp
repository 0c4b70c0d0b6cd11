#include "beyondtrust_exporter/process_metrics.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstddef>
#include <limits>
#include <string>

namespace beyondtrust_exporter {
namespace {

// Reads up to buffer.size() bytes of the file at `path` into `buffer`.
// Returns the text read, or nothing when the file cannot be opened or read.
template <std::size_t N>
std::optional<std::string_view> read_small_file(const char* path,
                                                std::array<char, N>& buffer) {
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return std::nullopt;
  }
  std::size_t size = 0;
  while (size < buffer.size()) {
    const ssize_t n = ::read(fd, buffer.data() + size, buffer.size() - size);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      if (n < 0) {
        ::close(fd);
        return std::nullopt;
      }
      break;
    }
    size += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return std::string_view(buffer.data(), size);
}

// Reads the whole file at `path`, for files larger than a page, such as
// /proc/stat on machines with many CPUs.
std::optional<std::string> read_file(const char* path) {
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return std::nullopt;
  }
  std::string text;
  std::array<char, 4096> chunk;
  while (true) {
    const ssize_t n = ::read(fd, chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      ::close(fd);
      return std::nullopt;
    }
    if (n == 0) {
      break;
    }
    text.append(chunk.data(), static_cast<std::size_t>(n));
  }
  ::close(fd);
  return text;
}

// Splits off the next space-separated field of `rest`.
std::string_view next_field(std::string_view& rest) {
  const std::size_t begin = rest.find_first_not_of(' ');
  if (begin == std::string_view::npos) {
    rest = {};
    return {};
  }
  rest.remove_prefix(begin);
  const std::size_t end = rest.find_first_of(" \n");
  std::string_view field = rest.substr(0, end);
  rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
  return field;
}

std::optional<std::uint64_t> to_uint64(std::string_view text) {
  std::uint64_t value = 0;
  const auto [ptr, ec] =
      std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || text.empty()) {
    return std::nullopt;
  }
  return value;
}

// Counts the entries of /proc/self/fd. Like the Go and Python clients, the
// count includes the descriptor that lists the directory.
std::optional<double> count_open_fds() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) {
    return std::nullopt;
  }
  double count = 0;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') {
      ++count;
    }
  }
  ::closedir(dir);
  return count;
}

std::optional<double> max_fds() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return std::nullopt;
  }
  if (limit.rlim_cur == RLIM_INFINITY) {
    return std::numeric_limits<double>::infinity();
  }
  return static_cast<double>(limit.rlim_cur);
}

}  // namespace

std::optional<ProcStat> parse_proc_stat(std::string_view text) noexcept {
  const std::size_t name_end = text.rfind(')');
  if (name_end == std::string_view::npos) {
    return std::nullopt;
  }
  std::string_view rest = text.substr(name_end + 1);

  // Field 3 (state) is the first after the name; proc(5) numbers the fields
  // from 1.
  ProcStat stat;
  for (int field = 3; field <= 24; ++field) {
    const std::string_view value = next_field(rest);
    if (value.empty()) {
      return std::nullopt;
    }
    std::uint64_t* target = nullptr;
    switch (field) {
      case 14:
        target = &stat.utime_ticks;
        break;
      case 15:
        target = &stat.stime_ticks;
        break;
      case 22:
        target = &stat.starttime_ticks;
        break;
      case 23:
        target = &stat.vsize_bytes;
        break;
      case 24:
        target = &stat.rss_pages;
        break;
      default:
        continue;
    }
    const auto number = to_uint64(value);
    if (!number) {
      return std::nullopt;
    }
    *target = *number;
  }
  return stat;
}

std::optional<std::uint64_t> parse_boot_time(std::string_view text) noexcept {
  constexpr std::string_view key = "btime ";
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t end = text.find('\n', pos);
    std::string_view line =
        text.substr(pos, end == std::string_view::npos ? std::string_view::npos
                                                       : end - pos);
    if (line.starts_with(key)) {
      line.remove_prefix(key.size());
      return to_uint64(line);
    }
    if (end == std::string_view::npos) {
      break;
    }
    pos = end + 1;
  }
  return std::nullopt;
}

ProcessMetrics::ProcessMetrics() {
  const long ticks = ::sysconf(_SC_CLK_TCK);
  if (ticks > 0) {
    ticks_per_second_ = static_cast<double>(ticks);
  }
  const long page_size = ::sysconf(_SC_PAGESIZE);
  if (page_size > 0) {
    page_size_bytes_ = static_cast<double>(page_size);
  }

  // The start time is boot time plus the ticks from boot to the start of
  // the process; neither changes while the process runs.
  std::array<char, 4096> buffer;
  const auto stat_text = read_small_file("/proc/self/stat", buffer);
  const auto stat = stat_text ? parse_proc_stat(*stat_text) : std::nullopt;
  const auto system_stat = read_file("/proc/stat");
  const auto boot_time =
      system_stat ? parse_boot_time(*system_stat) : std::nullopt;
  if (stat && boot_time && ticks_per_second_ > 0) {
    start_time_seconds_ =
        static_cast<double>(*boot_time) +
        static_cast<double>(stat->starttime_ticks) / ticks_per_second_;
  }
}

ProcessSample ProcessMetrics::read() const noexcept {
  ProcessSample sample;
  sample.start_time_seconds = start_time_seconds_;
  sample.open_fds = count_open_fds();
  sample.max_fds = max_fds();

  std::array<char, 4096> buffer;
  const auto text = read_small_file("/proc/self/stat", buffer);
  const auto stat = text ? parse_proc_stat(*text) : std::nullopt;
  if (!stat) {
    return sample;
  }
  if (ticks_per_second_ > 0) {
    sample.cpu_seconds_total =
        static_cast<double>(stat->utime_ticks + stat->stime_ticks) /
        ticks_per_second_;
  }
  sample.virtual_memory_bytes = static_cast<double>(stat->vsize_bytes);
  if (page_size_bytes_ > 0) {
    sample.resident_memory_bytes =
        static_cast<double>(stat->rss_pages) * page_size_bytes_;
  }
  return sample;
}

}  // namespace beyondtrust_exporter
