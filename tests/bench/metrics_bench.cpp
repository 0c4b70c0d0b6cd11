// Cost of one /metrics scrape at 1,000 representatives on one site.
//
//   cmake --build BUILD -j2 --target metrics_bench
//   BUILD/tests/bench/metrics_bench --benchmark_min_time=1
//
// Cold renders every rep line, because each scrape gets a new reps object
// as after a poll. Cached is every later scrape of the same snapshot.

#include <benchmark/benchmark.h>

#include <chrono>
#include <memory>
#include <string>

#include "beyondtrust_exporter/metrics_renderer.hpp"

namespace beyondtrust_exporter {
namespace {

using Clock = std::chrono::system_clock;

const Clock::time_point now{std::chrono::seconds(1764864000)};

std::shared_ptr<const LoggedInReps> make_reps(int count) {
  auto answer = std::make_shared<LoggedInReps>();
  answer->reps.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    Rep rep;
    rep.id = std::to_string(1000 + i);
    rep.public_display_name = "Representative " + std::to_string(i);
    rep.private_display_name = "rep.name" + std::to_string(i) + "@example.com";
    rep.type = i % 10 == 0 ? "Invited" : "Normal";
    rep.logged_in_since_seconds = 1764800000 + i;
    rep.support_session_count = static_cast<std::uint64_t>(i % 5);
    rep.presentation_count = static_cast<std::uint64_t>(i % 2);
    rep.showing_on_rep_list = i % 3 != 0;
    answer->reps.push_back(std::move(rep));
  }
  return answer;
}

std::shared_ptr<ApplianceSnapshot> make_site(
    std::shared_ptr<const LoggedInReps> reps) {
  auto snapshot = std::make_shared<ApplianceSnapshot>();
  snapshot->appliance = "support.example.com";
  snapshot->up = true;
  snapshot->last_poll_time = now;
  snapshot->last_success_time = now;
  snapshot->last_poll_duration_seconds = 0.2;
  snapshot->polls_total = 100;
  snapshot->token_requests_total = 2;
  snapshot->reps = std::move(reps);
  return snapshot;
}

RenderOptions options(bool process_metrics) {
  RenderOptions result;
  result.process_metrics = process_metrics;
  return result;
}

void BM_ScrapeCold(benchmark::State& state) {
  const int reps = static_cast<int>(state.range(0));
  // Two snapshots with distinct reps objects, published in turn, so that
  // every scrape misses the cache.
  const auto first = make_site(make_reps(reps));
  const auto second = make_site(make_reps(reps));
  SnapshotStore store;
  MetricsRenderer renderer(options(false));
  bool use_first = true;
  std::size_t bytes = 0;
  for (auto _ : state) {
    store.publish(use_first ? first : second);
    use_first = !use_first;
    std::string text = renderer.render(store, ExporterStatus{}, now);
    bytes = text.size();
    benchmark::DoNotOptimize(text);
  }
  state.counters["body_bytes"] = static_cast<double>(bytes);
  state.SetBytesProcessed(state.iterations() *
                          static_cast<std::int64_t>(bytes));
}
BENCHMARK(BM_ScrapeCold)->Arg(1000)->Arg(10000);

void BM_ScrapeCached(benchmark::State& state) {
  SnapshotStore store;
  store.publish(make_site(make_reps(static_cast<int>(state.range(0)))));
  MetricsRenderer renderer(options(false));
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::string text = renderer.render(store, ExporterStatus{}, now);
    bytes = text.size();
    benchmark::DoNotOptimize(text);
  }
  state.counters["body_bytes"] = static_cast<double>(bytes);
  state.SetBytesProcessed(state.iterations() *
                          static_cast<std::int64_t>(bytes));
}
BENCHMARK(BM_ScrapeCached)->Arg(1000)->Arg(10000);

// As a real scrape: cached rep lines plus the process metrics, which read
// /proc/self/stat and list /proc/self/fd every time.
void BM_ScrapeCachedWithProcess(benchmark::State& state) {
  SnapshotStore store;
  store.publish(make_site(make_reps(static_cast<int>(state.range(0)))));
  MetricsRenderer renderer(options(true));
  for (auto _ : state) {
    std::string text = renderer.render(store, ExporterStatus{}, now);
    benchmark::DoNotOptimize(text);
  }
}
BENCHMARK(BM_ScrapeCachedWithProcess)->Arg(1000);

void BM_ProcessMetricsRead(benchmark::State& state) {
  const ProcessMetrics metrics;
  for (auto _ : state) {
    benchmark::DoNotOptimize(metrics.read());
  }
}
BENCHMARK(BM_ProcessMetricsRead);

}  // namespace
}  // namespace beyondtrust_exporter
