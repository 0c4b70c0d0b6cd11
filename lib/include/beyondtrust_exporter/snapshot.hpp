#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "beyondtrust_exporter/logged_in_reps.hpp"
#include "beyondtrust_exporter/poll_error.hpp"

namespace beyondtrust_exporter {

// The state of one site after its latest poll. A poller
// publishes a new immutable snapshot after every poll; scrapes and the
// landing page read it and never call the site.
struct ApplianceSnapshot {
  std::string appliance;  // the `appliance` label value
  std::string url;        // shown on the landing page; carries no secret

  bool up = false;  // the latest poll succeeded
  std::optional<std::chrono::system_clock::time_point> last_poll_time;
  double last_poll_duration_seconds = 0;
  std::optional<std::chrono::system_clock::time_point> last_success_time;
  std::optional<PollError> last_error;  // of the latest poll, if it failed

  std::uint64_t polls_total = 0;
  std::array<std::uint64_t, all_poll_error_reasons.size()> poll_errors_total{};
  std::uint64_t token_requests_total = 0;

  // The response of the latest successful poll; null before the first one.
  // Shared between snapshots, so publishing after a failed poll is cheap.
  std::shared_ptr<const LoggedInReps> reps;

  // Representative and aggregate series are served until reps is older
  // than this, then left out (never turned into zeros).
  std::chrono::milliseconds max_staleness{std::chrono::seconds(90)};
  bool rep_metrics = true;
  bool rep_name_labels = true;

  // True when reps exists and last_success_time is within max_staleness
  // of `now`.
  bool reps_fresh(std::chrono::system_clock::time_point now) const noexcept {
    return reps != nullptr && last_success_time.has_value() &&
           now - *last_success_time <= max_staleness;
  }
};

// The latest snapshot of every configured site, in configuration order.
//
// Not thread-safe: the pollers, the HTTP server and reloads all run on the
// one io_context thread that owns the store.
class SnapshotStore {
 public:
  // Replaces the snapshot of snapshot->appliance, or appends it.
  void publish(std::shared_ptr<const ApplianceSnapshot> snapshot);

  // Drops the site named `appliance`, for a reload that removed it.
  void remove(const std::string& appliance);

  // Orders the sites as `appliances` lists them; others go last.
  void reorder(const std::vector<std::string>& appliances);

  std::shared_ptr<const ApplianceSnapshot> find(
      const std::string& appliance) const;

  const std::vector<std::shared_ptr<const ApplianceSnapshot>>& all()
      const noexcept {
    return snapshots_;
  }

  // Increases with every publish or remove, so a reader can cache what it
  // derived from the store and notice when that went out of date.
  std::uint64_t generation() const noexcept { return generation_; }

 private:
  std::vector<std::shared_ptr<const ApplianceSnapshot>> snapshots_;
  std::uint64_t generation_ = 0;
};

}  // namespace beyondtrust_exporter
