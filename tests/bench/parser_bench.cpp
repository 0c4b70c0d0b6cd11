// Measures parse_logged_in_reps on responses of 1,000 and 10,000 reps that
// carry every documented element.
#include <benchmark/benchmark.h>

#include <string>

#include "beyondtrust_exporter/logged_in_reps_parser.hpp"

namespace beyondtrust_exporter {
namespace {

std::string make_response(int rep_count) {
  std::string body =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<logged_in_reps "
      "xmlns=\"https://www.beyondtrust.com/namespaces/API/command\">\n";
  for (int i = 1; i <= rep_count; ++i) {
    std::string id = std::to_string(i);
    body += "  <rep id=\"" + id + "\">\n";
    body += "    <display_name>Representative " + id + "</display_name>\n";
    body += "    <public_display_name>Representative " + id +
            "</public_display_name>\n";
    body += "    <private_display_name>Rep " + id +
            " (Tier 2)</private_display_name>\n";
    body += i % 10 == 0 ? "    <type>Invited</type>\n"
                        : "    <type>Normal</type>\n";
    body +=
        "    <direct_link>&lt;a "
        "href=\"https://support.example.com/?ak=" +
        id + "\"&gt;Representative " + id + "&lt;/a&gt;</direct_link>\n";
    body += "    <logged_in_since ts=\"" + std::to_string(1714566600 + i) +
            "\">2024-05-01T12:30:00Z</logged_in_since>\n";
    body += "    <presentation_count>" + std::to_string(i % 2) +
            "</presentation_count>\n";
    body += "    <support_session_count>" + std::to_string(i % 5) +
            "</support_session_count>\n";
    body += "    <showing_on_rep_list>1</showing_on_rep_list>\n";
    body += "  </rep>\n";
  }
  body += "</logged_in_reps>\n";
  return body;
}

void BM_ParseLoggedInReps(benchmark::State& state) {
  std::string body = make_response(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    PollResult<LoggedInReps> result = parse_logged_in_reps(body);
    if (!result ||
        result->reps.size() != static_cast<std::size_t>(state.range(0))) {
      state.SkipWithError("the generated response did not parse");
      break;
    }
    benchmark::DoNotOptimize(result);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(body.size()));
  state.counters["reps"] = static_cast<double>(state.range(0));
}

BENCHMARK(BM_ParseLoggedInReps)->Arg(1'000)->Arg(10'000);

}  // namespace
}  // namespace beyondtrust_exporter
