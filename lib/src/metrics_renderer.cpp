#include "beyondtrust_exporter/metrics_renderer.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <string_view>
#include <unordered_set>
#include <utility>

#include "beyondtrust_exporter/exposition.hpp"
#include "beyondtrust_exporter/logging.hpp"

namespace beyondtrust_exporter {
namespace {

// The origin of a family's samples, which decides when they change.
enum class Source {
  snapshot,  // the site's latest snapshot
  reps,      // the latest successful poll, served while fresh
  exporter,  // ExporterStatus and build info
  process,   // ProcessMetrics, read on every scrape
};

struct FamilyInfo {
  std::string_view name;
  std::string_view type;
  Source source;
  std::string_view help;
};

// Every family, in the order of the output: sorted by name.
enum Family : std::size_t {
  exporter_build_info,
  exporter_config_last_reload_success_timestamp_seconds,
  exporter_config_last_reload_successful,
  last_poll_success_timestamp_seconds,
  logged_in_reps,
  poll_duration_seconds,
  poll_errors_total,
  polls_total,
  presentations,
  rep_info,
  rep_logged_in_since_timestamp_seconds,
  rep_presentations,
  rep_showing_on_rep_list,
  rep_support_sessions,
  reps_showing_on_rep_list,
  support_sessions,
  token_requests_total,
  up,
  process_cpu_seconds_total,
  process_max_fds,
  process_open_fds,
  process_resident_memory_bytes,
  process_start_time_seconds,
  process_virtual_memory_bytes,
  family_count,
};

constexpr std::array<FamilyInfo, family_count> families{{
    {"beyondtrust_exporter_build_info", "gauge", Source::exporter,
     "Version and revision of the exporter and the versions of its "
     "libraries, always 1."},
    {"beyondtrust_exporter_config_last_reload_success_timestamp_seconds",
     "gauge", Source::exporter,
     "UNIX time of the latest successful configuration load."},
    {"beyondtrust_exporter_config_last_reload_successful", "gauge",
     Source::exporter,
     "1 if the latest configuration reload succeeded, else 0."},
    {"beyondtrust_last_poll_success_timestamp_seconds", "gauge",
     Source::snapshot, "UNIX time of the latest successful poll of the site."},
    {"beyondtrust_logged_in_reps", "gauge", Source::reps,
     "Representatives logged in, by type, from the cached latest successful "
     "poll."},
    {"beyondtrust_poll_duration_seconds", "gauge", Source::snapshot,
     "Duration of the latest poll of the site in seconds."},
    {"beyondtrust_poll_errors_total", "counter", Source::snapshot,
     "Failed polls of the site, by reason."},
    {"beyondtrust_polls_total", "counter", Source::snapshot,
     "Polls of the site attempted."},
    {"beyondtrust_presentations", "gauge", Source::reps,
     "Active presentations summed over representatives, from the cached "
     "latest successful poll."},
    {"beyondtrust_rep_info", "gauge", Source::reps,
     "Type and display names of a logged-in representative, always 1, from "
     "the cached latest successful poll."},
    {"beyondtrust_rep_logged_in_since_timestamp_seconds", "gauge", Source::reps,
     "UNIX time at which the representative logged in, from the cached "
     "latest successful poll."},
    {"beyondtrust_rep_presentations", "gauge", Source::reps,
     "Active presentations of one representative, from the cached latest "
     "successful poll."},
    {"beyondtrust_rep_showing_on_rep_list", "gauge", Source::reps,
     "1 if the representative shows on the public representative list, else "
     "0, from the cached latest successful poll."},
    {"beyondtrust_rep_support_sessions", "gauge", Source::reps,
     "Active support sessions of one representative, from the cached latest "
     "successful poll."},
    {"beyondtrust_reps_showing_on_rep_list", "gauge", Source::reps,
     "Representatives shown on the public representative list, from the "
     "cached latest successful poll."},
    {"beyondtrust_support_sessions", "gauge", Source::reps,
     "Active support sessions summed over representatives, from the cached "
     "latest successful poll."},
    {"beyondtrust_token_requests_total", "counter", Source::snapshot,
     "OAuth tokens requested from the site."},
    {"beyondtrust_up", "gauge", Source::snapshot,
     "1 if the latest poll of the site succeeded, else 0."},
    {"process_cpu_seconds_total", "counter", Source::process,
     "Total user and system CPU time spent in seconds."},
    {"process_max_fds", "gauge", Source::process,
     "Maximum number of open file descriptors."},
    {"process_open_fds", "gauge", Source::process,
     "Number of open file descriptors."},
    {"process_resident_memory_bytes", "gauge", Source::process,
     "Resident memory size in bytes."},
    {"process_start_time_seconds", "gauge", Source::process,
     "Start time of the process since the UNIX epoch in seconds."},
    {"process_virtual_memory_bytes", "gauge", Source::process,
     "Virtual memory size in bytes."},
}};

constexpr bool sorted_by_name() {
  for (std::size_t i = 1; i < families.size(); ++i) {
    if (!(families[i - 1].name < families[i].name)) {
      return false;
    }
  }
  return true;
}
static_assert(sorted_by_name(), "families must be listed in output order");

double to_seconds(std::chrono::system_clock::time_point time) {
  return std::chrono::duration<double>(time.time_since_epoch()).count();
}

// Writes one sample line a piece at a time:
//   name{appliance="a",label="value"} 1
class SampleWriter {
 public:
  SampleWriter(std::string& out, std::string_view name) : out_(out) {
    out_.append(name);
  }

  // Appends a label whose value is already escaped.
  SampleWriter& escaped_label(std::string_view name, std::string_view value) {
    separate();
    out_.append(name);
    out_.append("=\"");
    out_.append(value);
    out_.push_back('"');
    return *this;
  }

  SampleWriter& label(std::string_view name, std::string_view value) {
    separate();
    out_.append(name);
    out_.append("=\"");
    exposition::append_label_value(out_, value);
    out_.push_back('"');
    return *this;
  }

  template <class T>
  void value(T number) {
    out_.append(labels_open_ ? "} " : " ");
    exposition::append_value(out_, number);
    out_.push_back('\n');
  }

 private:
  void separate() {
    out_.push_back(labels_open_ ? ',' : '{');
    labels_open_ = true;
  }

  std::string& out_;
  bool labels_open_ = false;
};

// The per-rep type counts: Normal and Invited first and always, then other
// types in alphabetical order.
std::vector<std::pair<std::string_view, std::uint64_t>> count_by_type(
    const std::vector<const Rep*>& reps) {
  std::uint64_t normal = 0;
  std::uint64_t invited = 0;
  std::map<std::string_view, std::uint64_t> others;
  for (const Rep* rep : reps) {
    if (rep->type == "Normal") {
      ++normal;
    } else if (rep->type == "Invited") {
      ++invited;
    } else if (rep->type.empty()) {
      ++others["unknown"];
    } else {
      ++others[rep->type];
    }
  }
  std::vector<std::pair<std::string_view, std::uint64_t>> counts{
      {"Normal", normal}, {"Invited", invited}};
  counts.insert(counts.end(), others.begin(), others.end());
  return counts;
}

// Reps counted once each: a later rep with the id of an earlier one is
// dropped. Reps with an empty id stay, for the aggregates.
std::vector<const Rep*> distinct_reps(const LoggedInReps& answer) {
  std::vector<const Rep*> reps;
  reps.reserve(answer.reps.size());
  std::unordered_set<std::string_view> seen_ids;
  seen_ids.reserve(answer.reps.size());
  for (const Rep& rep : answer.reps) {
    if (rep.id.empty() || seen_ids.insert(rep.id).second) {
      reps.push_back(&rep);
    }
  }
  return reps;
}

// Sums the known values of one optional field. Returns nothing when every
// rep lacks the field, so that "unknown" does not read as 0.
template <class Get>
std::optional<std::uint64_t> sum_known(const std::vector<const Rep*>& reps,
                                       Get get) {
  std::uint64_t sum = 0;
  bool known = reps.empty();
  for (const Rep* rep : reps) {
    if (const auto value = get(*rep)) {
      sum += *value;
      known = true;
    }
  }
  if (!known) {
    return std::nullopt;
  }
  return sum;
}

}  // namespace

// The rendered sample lines of one site, by family.
struct MetricsRenderer::SiteCache {
  std::string appliance;
  std::string appliance_label_value;  // escaped

  // The snapshot that lines[] of Source::snapshot families were rendered
  // from.
  std::shared_ptr<const ApplianceSnapshot> snapshot;

  // The reps object and options that lines[] of Source::reps families were
  // rendered from. reps is null while those lines are empty.
  std::shared_ptr<const LoggedInReps> reps;
  bool rep_metrics = false;
  bool rep_name_labels = false;

  std::array<std::string, family_count> lines;

  explicit SiteCache(const std::string& name)
      : appliance(name),
        appliance_label_value(exposition::escape_label_value(name)) {}

  void render_snapshot_lines(std::shared_ptr<const ApplianceSnapshot> latest);
  void render_reps_lines(const ApplianceSnapshot& latest);
  void clear_reps_lines();
  SampleWriter sample(Family family) {
    SampleWriter writer(lines[family], families[family].name);
    writer.escaped_label("appliance", appliance_label_value);
    return writer;
  }
};

void MetricsRenderer::SiteCache::render_snapshot_lines(
    std::shared_ptr<const ApplianceSnapshot> latest) {
  snapshot = std::move(latest);
  for (std::size_t family = 0; family < family_count; ++family) {
    if (families[family].source == Source::snapshot) {
      lines[family].clear();
    }
  }

  sample(up).value(std::uint64_t{snapshot->up ? 1U : 0U});
  if (snapshot->last_poll_time) {
    sample(poll_duration_seconds).value(snapshot->last_poll_duration_seconds);
  }
  if (snapshot->last_success_time) {
    sample(last_poll_success_timestamp_seconds)
        .value(to_seconds(*snapshot->last_success_time));
  }
  sample(polls_total).value(snapshot->polls_total);
  for (PollErrorReason reason : all_poll_error_reasons) {
    sample(poll_errors_total)
        .label("reason", to_string(reason))
        .value(snapshot->poll_errors_total[index_of(reason)]);
  }
  sample(token_requests_total).value(snapshot->token_requests_total);
}

void MetricsRenderer::SiteCache::clear_reps_lines() {
  reps = nullptr;
  for (std::size_t family = 0; family < family_count; ++family) {
    if (families[family].source == Source::reps) {
      // Releases the memory too: a stale site may stay stale for long.
      std::string().swap(lines[family]);
    }
  }
}

void MetricsRenderer::SiteCache::render_reps_lines(
    const ApplianceSnapshot& latest) {
  clear_reps_lines();
  reps = latest.reps;
  rep_metrics = latest.rep_metrics;
  rep_name_labels = latest.rep_name_labels;
  const std::vector<const Rep*> distinct = distinct_reps(*reps);

  // Aggregates.
  for (const auto& [type, count] : count_by_type(distinct)) {
    sample(logged_in_reps).label("rep_type", type).value(count);
  }
  const auto showing =
      sum_known(distinct, [](const Rep& rep) -> std::optional<std::uint64_t> {
        if (!rep.showing_on_rep_list) {
          return std::nullopt;
        }
        return *rep.showing_on_rep_list ? 1U : 0U;
      });
  if (showing) {
    sample(reps_showing_on_rep_list).value(*showing);
  }
  const auto sessions = sum_known(
      distinct, [](const Rep& rep) { return rep.support_session_count; });
  if (sessions) {
    sample(support_sessions).value(*sessions);
  }
  const auto shown_presentations = sum_known(
      distinct, [](const Rep& rep) { return rep.presentation_count; });
  if (shown_presentations) {
    sample(presentations).value(*shown_presentations);
  }
  if (!rep_metrics) {
    return;
  }

  // Per-rep series; a rep without an id has no series of its own.
  std::string rep_id;
  for (const Rep* rep : distinct) {
    if (rep->id.empty()) {
      continue;
    }
    rep_id.clear();
    exposition::append_label_value(rep_id, rep->id);
    if (rep->support_session_count) {
      sample(rep_support_sessions)
          .escaped_label("rep_id", rep_id)
          .value(*rep->support_session_count);
    }
    if (rep->presentation_count) {
      sample(rep_presentations)
          .escaped_label("rep_id", rep_id)
          .value(*rep->presentation_count);
    }
    if (rep->showing_on_rep_list) {
      sample(rep_showing_on_rep_list)
          .escaped_label("rep_id", rep_id)
          .value(std::uint64_t{*rep->showing_on_rep_list ? 1U : 0U});
    }
    if (rep->logged_in_since_seconds) {
      sample(rep_logged_in_since_timestamp_seconds)
          .escaped_label("rep_id", rep_id)
          .value(*rep->logged_in_since_seconds);
    }
    SampleWriter info = sample(rep_info);
    info.escaped_label("rep_id", rep_id)
        .label("rep_type", rep->type.empty() ? "unknown" : rep->type);
    if (rep_name_labels) {
      info.label("public_display_name", rep->public_display_name)
          .label("private_display_name", rep->private_display_name);
    }
    info.value(std::uint64_t{1});
  }
}

MetricsRenderer::MetricsRenderer() : MetricsRenderer(RenderOptions{}) {}

MetricsRenderer::MetricsRenderer(RenderOptions options)
    : options_(std::move(options)) {
  const BuildInfo& info = options_.build_info;
  SampleWriter(build_info_sample_, families[exporter_build_info].name)
      .label("version", info.version)
      .label("revision", info.revision)
      .label("boost_version", info.boost_version)
      .label("openssl_version", info.openssl_version)
      .label("prometheus_cpp_version", info.prometheus_cpp_version)
      .label("compiler", info.compiler)
      .value(std::uint64_t{1});
}

MetricsRenderer::~MetricsRenderer() = default;
MetricsRenderer::MetricsRenderer(MetricsRenderer&&) noexcept = default;
MetricsRenderer& MetricsRenderer::operator=(MetricsRenderer&&) noexcept =
    default;

std::size_t MetricsRenderer::cached_sites() const noexcept {
  return sites_.size();
}

std::string MetricsRenderer::render(
    const SnapshotStore& store, const ExporterStatus& status,
    std::chrono::system_clock::time_point now) noexcept {
  try {
    update_cache(store, now);
    std::string out;
    out.reserve(last_size_ + last_size_ / 8);
    write(out, status);
    last_size_ = out.size();
    return out;
  } catch (const std::exception& error) {
    // Only allocation can fail here; drop the cache to give memory back.
    sites_.clear();
    try {
      logging::error("rendering metrics failed", {{"error", error.what()}});
    } catch (...) {
      // Nothing is left to report with when even logging fails.
    }
    return {};
  }
}

void MetricsRenderer::update_cache(const SnapshotStore& store,
                                   std::chrono::system_clock::time_point now) {
  // Line sites_ up with the store: reuse the entry of each site still in
  // it, create entries for new sites, drop the rest.
  const auto& snapshots = store.all();
  for (std::size_t i = 0; i < snapshots.size(); ++i) {
    const std::string& name = snapshots[i]->appliance;
    const auto match = std::find_if(
        sites_.begin() +
            static_cast<std::ptrdiff_t>(std::min(i, sites_.size())),
        sites_.end(),
        [&](const SiteCache& site) { return site.appliance == name; });
    if (match == sites_.end()) {
      sites_.emplace(sites_.begin() + static_cast<std::ptrdiff_t>(i), name);
    } else if (match != sites_.begin() + static_cast<std::ptrdiff_t>(i)) {
      std::iter_swap(match, sites_.begin() + static_cast<std::ptrdiff_t>(i));
    }
  }
  sites_.erase(sites_.begin() + static_cast<std::ptrdiff_t>(snapshots.size()),
               sites_.end());

  // Render what changed since the last scrape.
  for (std::size_t i = 0; i < snapshots.size(); ++i) {
    SiteCache& site = sites_[i];
    const auto& snapshot = snapshots[i];
    if (site.snapshot != snapshot) {
      site.render_snapshot_lines(snapshot);
    }
    if (!snapshot->reps_fresh(now)) {
      site.clear_reps_lines();
    } else if (site.reps != snapshot->reps ||
               site.rep_metrics != snapshot->rep_metrics ||
               site.rep_name_labels != snapshot->rep_name_labels) {
      site.render_reps_lines(*snapshot);
    }
  }
}

void MetricsRenderer::write(std::string& out,
                            const ExporterStatus& status) const {
  std::optional<ProcessSample> process;
  if (options_.process_metrics) {
    process = process_metrics_.read();
  }

  // A family from ExporterStatus or ProcessMetrics has one unlabelled
  // sample, or none when its value is unknown.
  auto write_single = [&](const FamilyInfo& info, std::optional<double> value) {
    if (!value) {
      return;
    }
    exposition::append_family_header(out, info.name, info.type, info.help);
    SampleWriter(out, info.name).value(*value);
  };

  for (std::size_t family = 0; family < family_count; ++family) {
    const FamilyInfo& info = families[family];
    switch (family) {
      case exporter_build_info:
        exposition::append_family_header(out, info.name, info.type, info.help);
        out.append(build_info_sample_);
        continue;
      case exporter_config_last_reload_success_timestamp_seconds:
        write_single(info, status.config_last_reload_success_timestamp_seconds);
        continue;
      case exporter_config_last_reload_successful:
        write_single(info, status.config_last_reload_successful ? 1.0 : 0.0);
        continue;
      case process_cpu_seconds_total:
        write_single(info, process ? process->cpu_seconds_total : std::nullopt);
        continue;
      case process_max_fds:
        write_single(info, process ? process->max_fds : std::nullopt);
        continue;
      case process_open_fds:
        write_single(info, process ? process->open_fds : std::nullopt);
        continue;
      case process_resident_memory_bytes:
        write_single(info,
                     process ? process->resident_memory_bytes : std::nullopt);
        continue;
      case process_start_time_seconds:
        write_single(info,
                     process ? process->start_time_seconds : std::nullopt);
        continue;
      case process_virtual_memory_bytes:
        write_single(info,
                     process ? process->virtual_memory_bytes : std::nullopt);
        continue;
      default:
        break;
    }

    // A site family: the header once, then the cached lines of every site
    // that has some. Reps lines of stale sites were cleared already.
    const bool any = std::any_of(
        sites_.begin(), sites_.end(),
        [&](const SiteCache& site) { return !site.lines[family].empty(); });
    if (!any) {
      continue;
    }
    exposition::append_family_header(out, info.name, info.type, info.help);
    for (const SiteCache& site : sites_) {
      out.append(site.lines[family]);
    }
  }
}

}  // namespace beyondtrust_exporter
