// CPU cost of one poll of a site beyond the network: parse the response,
// publish the snapshot and render the first scrape after it. The response is
// the body that beyondtrust_simulator serves for the same population, so the
// names carry the non-ASCII letters, quotes and long values the simulator
// generates.
//
//   cmake --build BUILD -j2 --target poll_bench
//   BUILD/tests/bench/poll_bench --benchmark_min_time=1
//
// For instruction counts, which a shared machine does not disturb, run one
// iteration under callgrind (scripts/bench.sh does so).

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "beyondtrust_exporter/logged_in_reps_parser.hpp"
#include "beyondtrust_exporter/metrics_renderer.hpp"
#include "beyondtrust_exporter/snapshot.hpp"
#include "beyondtrust_simulator/simulator.hpp"

namespace beyondtrust_exporter {
namespace {

using Clock = std::chrono::system_clock;

constexpr std::int64_t population_time = 1764864000;
const Clock::time_point now{std::chrono::seconds(population_time)};

std::string make_body(std::size_t rep_count) {
  const auto reps = beyondtrust_simulator::generate_reps(rep_count, 1,
                                                         population_time);
  return beyondtrust_simulator::render_logged_in_reps(
      reps, beyondtrust_simulator::Variant{}, 1);
}

std::shared_ptr<ApplianceSnapshot> make_snapshot(
    std::shared_ptr<const LoggedInReps> reps, std::uint64_t polls) {
  auto snapshot = std::make_shared<ApplianceSnapshot>();
  snapshot->appliance = "support.example.com";
  snapshot->url = "https://support.example.com";
  snapshot->up = true;
  snapshot->last_poll_time = now;
  snapshot->last_poll_duration_seconds = 0.2;
  snapshot->last_success_time = now;
  snapshot->polls_total = polls;
  snapshot->token_requests_total = 1;
  snapshot->reps = std::move(reps);
  return snapshot;
}

RenderOptions options() {
  RenderOptions result;
  result.process_metrics = false;
  return result;
}

// The parse alone.
void BM_Parse(benchmark::State& state) {
  const std::string body = make_body(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    PollResult<LoggedInReps> result = parse_logged_in_reps(body);
    if (!result) {
      state.SkipWithError("the simulator's response did not parse");
      break;
    }
    benchmark::DoNotOptimize(result);
  }
  state.counters["body_bytes"] = static_cast<double>(body.size());
}
BENCHMARK(BM_Parse)->Arg(1'000);

// Everything a successful poll does after the response is read: parse, hand
// the reps to a snapshot, publish it, and render the scrape that follows,
// which renders every rep line anew. Returns the size of the scrape. Not
// inlined, so that callgrind can count its instructions alone.
[[gnu::noinline]] std::size_t poll_then_scrape(const std::string& body,
                                               std::uint64_t poll,
                                               SnapshotStore& store,
                                               MetricsRenderer& renderer) {
  PollResult<LoggedInReps> result = parse_logged_in_reps(body);
  if (!result) {
    return 0;
  }
  auto reps = std::make_shared<const LoggedInReps>(std::move(*result));
  store.publish(make_snapshot(std::move(reps), poll));
  std::string text = renderer.render(store, ExporterStatus{}, now);
  benchmark::DoNotOptimize(text);
  return text.size();
}

void BM_PollThenScrape(benchmark::State& state) {
  const std::string body = make_body(static_cast<std::size_t>(state.range(0)));
  SnapshotStore store;
  MetricsRenderer renderer(options());
  std::uint64_t polls = 0;
  std::size_t scrape_bytes = 0;
  for (auto _ : state) {
    scrape_bytes = poll_then_scrape(body, ++polls, store, renderer);
    if (scrape_bytes == 0) {
      state.SkipWithError("the simulator's response did not parse");
      break;
    }
  }
  state.counters["body_bytes"] = static_cast<double>(body.size());
  state.counters["scrape_bytes"] = static_cast<double>(scrape_bytes);
}
BENCHMARK(BM_PollThenScrape)->Arg(1'000);

// Exactly 10 polls, for instruction counts under callgrind.
BENCHMARK(BM_PollThenScrape)
    ->Name("BM_PollThenScrapeFixed")
    ->Arg(1'000)
    ->Iterations(10);

}  // namespace
}  // namespace beyondtrust_exporter
