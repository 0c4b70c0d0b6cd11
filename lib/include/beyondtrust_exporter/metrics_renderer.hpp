#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "beyondtrust_exporter/build_info.hpp"
#include "beyondtrust_exporter/process_metrics.hpp"
#include "beyondtrust_exporter/snapshot.hpp"

namespace beyondtrust_exporter {

// Exporter-level values that belong to no site.
struct ExporterStatus {
  bool config_last_reload_successful = true;
  double config_last_reload_success_timestamp_seconds = 0;
};

struct RenderOptions {
  // Off for golden files, whose content must not depend on the process.
  bool process_metrics = true;
  // The labels of beyondtrust_exporter_build_info.
  BuildInfo build_info = beyondtrust_exporter::build_info();
};

// Renders the /metrics page, text exposition format 0.0.4, from the
// snapshots of a SnapshotStore.
//
// Every scrape is rendered from the store, so a representative who logged
// out, or a site that a reload removed, is gone from the next scrape.
// Families come in alphabetical order of their names, each with its HELP
// and TYPE once and the samples of all sites under it, in store order.
// Samples carry no timestamps.
//
// Per site:
// - beyondtrust_up follows the latest poll at once. The poll duration is
//   absent before the first poll, and the last success time before the
//   first success.
// - The representative and aggregate series come from the latest
//   successful poll and are left out once snapshot.reps_fresh(now) is
//   false: they disappear, and never turn into zeros.
// - With snapshot.rep_metrics false there is no beyondtrust_rep_* series.
//   With snapshot.rep_name_labels false, beyondtrust_rep_info has no
//   display names.
// - A rep field that the site left out gets no sample, and the aggregates
//   sum the known values only. An aggregate over reps that all lack the
//   field is left out.
// - A rep whose id is empty, or repeats an earlier rep's id, gets no
//   per-rep series. A repeated id is not counted twice in the aggregates
//   either. An empty rep type is rendered as "unknown".
//
// Speed: the sample lines of a site are rendered once per snapshot, and the
// representative lines once per `reps` object and options, then reused by
// every scrape until the poller publishes new ones. A scrape then writes the
// family headers and concatenates cached lines.
//
// Not thread-safe: use one renderer from the thread that owns the store.
class MetricsRenderer {
 public:
  MetricsRenderer();
  explicit MetricsRenderer(RenderOptions options);
  ~MetricsRenderer();
  MetricsRenderer(MetricsRenderer&&) noexcept;
  MetricsRenderer& operator=(MetricsRenderer&&) noexcept;

  // Renders every metric: the per-site metrics of all snapshots in the
  // store, the exporter metrics, build info and, unless turned off, the
  // process metrics. `now` decides which cached rep data is still fresh.
  // Never throws: when memory runs out, it logs the error and returns an
  // empty string.
  std::string render(const SnapshotStore& store, const ExporterStatus& status,
                     std::chrono::system_clock::time_point now) noexcept;

  // Number of sites whose rendered lines are cached; entries of sites that
  // left the store are dropped by the next render().
  std::size_t cached_sites() const noexcept;

 private:
  struct SiteCache;

  void update_cache(const SnapshotStore& store,
                    std::chrono::system_clock::time_point now);
  void write(std::string& out, const ExporterStatus& status) const;

  RenderOptions options_;
  std::string build_info_sample_;
  std::vector<SiteCache> sites_;  // in store order
  ProcessMetrics process_metrics_;
  std::size_t last_size_ = 0;  // to reserve the next output at once
};

}  // namespace beyondtrust_exporter
