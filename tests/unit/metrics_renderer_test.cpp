#include "beyondtrust_exporter/metrics_renderer.hpp"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "beyondtrust_exporter/exposition.hpp"

namespace beyondtrust_exporter {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::system_clock;

// 2025-12-04 16:00:00 UTC.
const Clock::time_point now{std::chrono::seconds(1764864000)};

const std::string golden_path =
    std::string(BEYONDTRUST_EXPORTER_FIXTURES_DIR) + "/golden/metrics.prom";

BuildInfo fixed_build_info() {
  BuildInfo info;
  info.version = "0.1.0";
  info.revision = "0123456789ab";
  info.boost_version = "1.81.0";
  info.openssl_version = "3.0.17";
  info.prometheus_cpp_version = "1.0.1";
  info.compiler = "gcc-12.2.0";
  return info;
}

RenderOptions golden_options() {
  RenderOptions options;
  options.process_metrics = false;
  options.build_info = fixed_build_info();
  return options;
}

Rep make_rep(std::string id, std::string type, std::uint64_t sessions,
             std::uint64_t presentations, bool showing) {
  Rep rep;
  rep.id = std::move(id);
  rep.public_display_name = "Rep " + rep.id;
  rep.private_display_name = "rep" + rep.id;
  rep.type = std::move(type);
  rep.logged_in_since_seconds = 1764860000;
  rep.support_session_count = sessions;
  rep.presentation_count = presentations;
  rep.showing_on_rep_list = showing;
  return rep;
}

std::shared_ptr<const LoggedInReps> make_reps(std::vector<Rep> reps) {
  auto answer = std::make_shared<LoggedInReps>();
  answer->reps = std::move(reps);
  return answer;
}

// A site whose latest poll, `age` before `now`, succeeded.
std::shared_ptr<ApplianceSnapshot> up_site(
    std::string name, std::shared_ptr<const LoggedInReps> reps,
    Clock::duration age = 5s) {
  auto snapshot = std::make_shared<ApplianceSnapshot>();
  snapshot->appliance = std::move(name);
  snapshot->url = "https://" + snapshot->appliance;
  snapshot->up = true;
  snapshot->last_poll_time = now - age;
  snapshot->last_success_time = now - age;
  snapshot->last_poll_duration_seconds = 0.25;
  snapshot->polls_total = 1;
  snapshot->token_requests_total = 1;
  snapshot->reps = std::move(reps);
  snapshot->max_staleness = 90s;
  return snapshot;
}

// The same site after a failed poll at `now`: the reps of the latest
// successful poll stay attached.
std::shared_ptr<ApplianceSnapshot> failed_poll(
    std::shared_ptr<const ApplianceSnapshot> previous) {
  auto snapshot = std::make_shared<ApplianceSnapshot>(*previous);
  snapshot->up = false;
  snapshot->last_poll_time = now;
  snapshot->last_error = PollError{PollErrorReason::timeout, "timed out"};
  ++snapshot->polls_total;
  ++snapshot->poll_errors_total[index_of(PollErrorReason::timeout)];
  return snapshot;
}

std::string render(const SnapshotStore& store, Clock::time_point at = now) {
  MetricsRenderer renderer(golden_options());
  return renderer.render(store, ExporterStatus{}, at);
}

// Returns the sample lines of `family`, in output order.
std::vector<std::string> samples_of(const std::string& text,
                                    std::string_view family) {
  std::vector<std::string> samples;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.starts_with(family) && line.size() > family.size() &&
        (line[family.size()] == '{' || line[family.size()] == ' ')) {
      samples.push_back(line);
    }
  }
  return samples;
}

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

// The fixture of the golden file: three sites with every case that
// changes the output.
SnapshotStore golden_store() {
  SnapshotStore store;

  // Up, with names that need escaping, an unknown rep type, a rep with a
  // missing count and a rep with an empty type.
  Rep fixer = make_rep("1", "Normal", 2, 0, true);
  fixer.public_display_name = "Ana \"The Fixer\" D\u00edaz";
  fixer.private_display_name = "ana\\admin";
  fixer.logged_in_since_seconds = 1764850000;
  Rep invited = make_rep("2", "Invited", 0, 1, false);
  invited.public_display_name = "Line\nBreak";
  invited.private_display_name = "\u540d\u524d \xff bad byte";
  invited.support_session_count = std::nullopt;
  invited.logged_in_since_seconds = 1764855000;
  Rep embassy = make_rep("3", "Embassy", 1, 0, true);
  embassy.public_display_name = "Embassy Rep";
  embassy.private_display_name = "";
  embassy.logged_in_since_seconds = std::nullopt;
  Rep untyped = make_rep("4", "", 0, 0, false);
  untyped.showing_on_rep_list = std::nullopt;
  auto rs =
      up_site("rs.example.com", make_reps({fixer, invited, embassy, untyped}));
  rs->polls_total = 120;
  rs->token_requests_total = 2;
  rs->poll_errors_total[index_of(PollErrorReason::rate_limited)] = 1;
  store.publish(rs);

  // Down since the latest poll, serving the reps of a poll 60 s old, with
  // per-rep series off.
  auto pra = up_site("pra.example.com",
                     make_reps({make_rep("10", "Normal", 1, 0, true),
                                make_rep("11", "Normal", 3, 1, true)}),
                     60s);
  pra->rep_metrics = false;
  pra->polls_total = 39;
  auto pra_down = failed_poll(pra);
  pra_down->last_poll_duration_seconds = 10;
  store.publish(pra_down);

  // Down for longer than max_staleness: only its own health is left.
  auto old = up_site("old.example.com",
                     make_reps({make_rep("20", "Normal", 1, 0, true)}), 1h);
  auto old_down = failed_poll(old);
  old_down->poll_errors_total[index_of(PollErrorReason::connect)] = 119;
  old_down->polls_total = 120;
  store.publish(old_down);
  return store;
}

TEST(MetricsRenderer, MatchesGoldenFile) {
  MetricsRenderer renderer(golden_options());
  ExporterStatus status;
  status.config_last_reload_success_timestamp_seconds = 1764863000;
  const std::string text = renderer.render(golden_store(), status, now);

  const char* update = std::getenv("UPDATE_GOLDEN");
  if (update != nullptr && std::string_view(update) == "1") {
    std::ofstream(golden_path, std::ios::binary) << text;
  }
  std::ifstream file(golden_path, std::ios::binary);
  ASSERT_TRUE(file) << "missing " << golden_path
                    << "; run with UPDATE_GOLDEN=1 to write it";
  std::stringstream golden;
  golden << file.rdbuf();
  EXPECT_EQ(text, golden.str())
      << "run with UPDATE_GOLDEN=1 to accept the new output";
}

TEST(MetricsRenderer, FamiliesSortedWithOneHeader) {
  const std::string text = render(golden_store());
  std::vector<std::string> names;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.starts_with("# TYPE ")) {
      names.push_back(line.substr(7, line.find(' ', 7) - 7));
    }
  }
  ASSERT_FALSE(names.empty());
  for (std::size_t i = 1; i < names.size(); ++i) {
    EXPECT_LT(names[i - 1], names[i]) << "at family " << i;
  }
}

TEST(MetricsRenderer, SamplesHaveNoTimestamp) {
  // Display names contain spaces, so they are left out here.
  auto site = up_site("a", make_reps({make_rep("1", "Normal", 1, 0, true)}));
  site->rep_name_labels = false;
  SnapshotStore store;
  store.publish(site);
  const std::string text = render(store);
  std::istringstream lines(text);
  std::string line;
  int samples = 0;
  while (std::getline(lines, line) && samples < 1000) {
    if (line.starts_with("#")) {
      continue;
    }
    ++samples;
    // No label value here contains a space, so a sample is "series value".
    EXPECT_EQ(line.find(' '), line.rfind(' ')) << line;
  }
  EXPECT_GT(samples, 0);
}

TEST(MetricsRenderer, FreshRepsServed) {
  SnapshotStore store;
  auto site = up_site("a", make_reps({make_rep("1", "Normal", 2, 0, true)}));
  store.publish(failed_poll(site));
  // Exactly max_staleness old is still fresh.
  const std::string text = render(store, now + 85s);
  EXPECT_EQ(samples_of(text, "beyondtrust_support_sessions"),
            std::vector<std::string>{
                "beyondtrust_support_sessions{appliance=\"a\"} 2"});
  EXPECT_EQ(samples_of(text, "beyondtrust_rep_support_sessions"),
            std::vector<std::string>{
                "beyondtrust_rep_support_sessions{appliance=\"a\",rep_id="
                "\"1\"} 2"});
}

TEST(MetricsRenderer, JustStaleRepsGone) {
  SnapshotStore store;
  auto site = up_site("a", make_reps({make_rep("1", "Normal", 2, 0, true)}));
  store.publish(failed_poll(site));
  const std::string text = render(store, now + 85s + 1ms);
  for (std::string_view family :
       {"beyondtrust_logged_in_reps", "beyondtrust_reps_showing_on_rep_list",
        "beyondtrust_support_sessions", "beyondtrust_presentations",
        "beyondtrust_rep_"}) {
    EXPECT_FALSE(contains(text, family)) << family;
  }
  EXPECT_EQ(samples_of(text, "beyondtrust_up"),
            std::vector<std::string>{"beyondtrust_up{appliance=\"a\"} 0"});
}

TEST(MetricsRenderer, StaleRepsGoneFromCachedRenderer) {
  SnapshotStore store;
  auto site = up_site("a", make_reps({make_rep("1", "Normal", 2, 0, true)}));
  store.publish(failed_poll(site));
  MetricsRenderer renderer(golden_options());
  const std::string fresh = renderer.render(store, ExporterStatus{}, now);
  const std::string stale =
      renderer.render(store, ExporterStatus{}, now + 10min);
  EXPECT_TRUE(contains(fresh, "beyondtrust_rep_info{"));
  EXPECT_FALSE(contains(stale, "beyondtrust_rep_info"));
  EXPECT_FALSE(contains(stale, "beyondtrust_logged_in_reps"));
}

TEST(MetricsRenderer, DownAtOnce) {
  SnapshotStore store;
  auto site = up_site("a", make_reps({make_rep("1", "Normal", 2, 0, true)}));
  store.publish(site);
  MetricsRenderer renderer(golden_options());
  const std::string before = renderer.render(store, ExporterStatus{}, now);
  store.publish(failed_poll(site));
  const std::string after = renderer.render(store, ExporterStatus{}, now);
  EXPECT_EQ(samples_of(before, "beyondtrust_up"),
            std::vector<std::string>{"beyondtrust_up{appliance=\"a\"} 1"});
  EXPECT_EQ(samples_of(after, "beyondtrust_up"),
            std::vector<std::string>{"beyondtrust_up{appliance=\"a\"} 0"});
  EXPECT_EQ(samples_of(after, "beyondtrust_rep_support_sessions").size(), 1U);
  EXPECT_EQ(samples_of(after, "beyondtrust_poll_errors_total")[2],
            "beyondtrust_poll_errors_total{appliance=\"a\",reason=\"timeout\"}"
            " 1");
}

TEST(MetricsRenderer, AllReasonsAtZero) {
  SnapshotStore store;
  store.publish(up_site("a", make_reps({})));
  const std::string text = render(store);
  const std::vector<std::string> expected{
      "beyondtrust_poll_errors_total{appliance=\"a\",reason=\"connect\"} 0",
      "beyondtrust_poll_errors_total{appliance=\"a\",reason=\"tls\"} 0",
      "beyondtrust_poll_errors_total{appliance=\"a\",reason=\"timeout\"} 0",
      "beyondtrust_poll_errors_total{appliance=\"a\",reason=\"http_status\"} "
      "0",
      "beyondtrust_poll_errors_total{appliance=\"a\",reason=\"auth\"} 0",
      "beyondtrust_poll_errors_total{appliance=\"a\",reason=\"rate_limited\"} "
      "0",
      "beyondtrust_poll_errors_total{appliance=\"a\",reason=\"parse\"} 0",
      "beyondtrust_poll_errors_total{appliance=\"a\",reason=\"api_error\"} 0",
  };
  EXPECT_EQ(samples_of(text, "beyondtrust_poll_errors_total"), expected);
  EXPECT_TRUE(contains(text, "# TYPE beyondtrust_poll_errors_total counter\n"));
}

TEST(MetricsRenderer, NormalAndInvitedAlwaysPresent) {
  SnapshotStore store;
  store.publish(up_site("a", make_reps({})));
  const std::string text = render(store);
  const std::vector<std::string> expected{
      "beyondtrust_logged_in_reps{appliance=\"a\",rep_type=\"Normal\"} 0",
      "beyondtrust_logged_in_reps{appliance=\"a\",rep_type=\"Invited\"} 0",
  };
  EXPECT_EQ(samples_of(text, "beyondtrust_logged_in_reps"), expected);
  EXPECT_EQ(samples_of(text, "beyondtrust_support_sessions"),
            std::vector<std::string>{
                "beyondtrust_support_sessions{appliance=\"a\"} 0"});
}

TEST(MetricsRenderer, OtherTypesWhenSeen) {
  SnapshotStore store;
  store.publish(up_site("a", make_reps({make_rep("1", "Embassy", 0, 0, true),
                                        make_rep("2", "", 0, 0, true),
                                        make_rep("3", "Normal", 0, 0, true)})));
  const std::string text = render(store);
  const std::vector<std::string> expected{
      "beyondtrust_logged_in_reps{appliance=\"a\",rep_type=\"Normal\"} 1",
      "beyondtrust_logged_in_reps{appliance=\"a\",rep_type=\"Invited\"} 0",
      "beyondtrust_logged_in_reps{appliance=\"a\",rep_type=\"Embassy\"} 1",
      "beyondtrust_logged_in_reps{appliance=\"a\",rep_type=\"unknown\"} 1",
  };
  EXPECT_EQ(samples_of(text, "beyondtrust_logged_in_reps"), expected);
}

TEST(MetricsRenderer, RepMetricsOff) {
  SnapshotStore store;
  auto site = up_site("a", make_reps({make_rep("1", "Normal", 2, 1, true)}));
  site->rep_metrics = false;
  store.publish(site);
  const std::string text = render(store);
  EXPECT_FALSE(contains(text, "beyondtrust_rep_"));
  EXPECT_EQ(samples_of(text, "beyondtrust_support_sessions"),
            std::vector<std::string>{
                "beyondtrust_support_sessions{appliance=\"a\"} 2"});
  EXPECT_EQ(
      samples_of(text, "beyondtrust_presentations"),
      std::vector<std::string>{"beyondtrust_presentations{appliance=\"a\"} 1"});
}

TEST(MetricsRenderer, NameLabelsOff) {
  SnapshotStore store;
  auto site = up_site("a", make_reps({make_rep("7", "Invited", 0, 0, true)}));
  site->rep_name_labels = false;
  store.publish(site);
  const std::string text = render(store);
  EXPECT_EQ(samples_of(text, "beyondtrust_rep_info"),
            std::vector<std::string>{
                "beyondtrust_rep_info{appliance=\"a\",rep_id=\"7\",rep_type="
                "\"Invited\"} 1"});
  EXPECT_FALSE(contains(text, "Rep 7"));
}

TEST(MetricsRenderer, NameLabelsOn) {
  SnapshotStore store;
  store.publish(
      up_site("a", make_reps({make_rep("7", "Invited", 0, 0, true)})));
  const std::string text = render(store);
  EXPECT_EQ(samples_of(text, "beyondtrust_rep_info"),
            std::vector<std::string>{
                "beyondtrust_rep_info{appliance=\"a\",rep_id=\"7\",rep_type="
                "\"Invited\",public_display_name=\"Rep 7\",private_display_"
                "name=\"rep7\"} 1"});
}

TEST(MetricsRenderer, MissingValuesLeftOut) {
  Rep partial = make_rep("2", "Normal", 0, 0, true);
  partial.support_session_count = std::nullopt;
  partial.presentation_count = std::nullopt;
  partial.showing_on_rep_list = std::nullopt;
  partial.logged_in_since_seconds = std::nullopt;
  SnapshotStore store;
  store.publish(
      up_site("a", make_reps({make_rep("1", "Normal", 3, 2, true), partial})));
  const std::string text = render(store);
  EXPECT_EQ(samples_of(text, "beyondtrust_rep_support_sessions"),
            std::vector<std::string>{
                "beyondtrust_rep_support_sessions{appliance=\"a\",rep_id="
                "\"1\"} 3"});
  EXPECT_EQ(samples_of(text, "beyondtrust_rep_presentations").size(), 1U);
  EXPECT_EQ(samples_of(text, "beyondtrust_rep_showing_on_rep_list").size(), 1U);
  EXPECT_EQ(
      samples_of(text, "beyondtrust_rep_logged_in_since_timestamp_seconds")
          .size(),
      1U);
  EXPECT_EQ(samples_of(text, "beyondtrust_rep_info").size(), 2U);
  EXPECT_EQ(samples_of(text, "beyondtrust_support_sessions"),
            std::vector<std::string>{
                "beyondtrust_support_sessions{appliance=\"a\"} 3"});
  EXPECT_EQ(samples_of(text, "beyondtrust_reps_showing_on_rep_list"),
            std::vector<std::string>{
                "beyondtrust_reps_showing_on_rep_list{appliance=\"a\"} 1"});
}

TEST(MetricsRenderer, AllUnknownAggregateLeftOut) {
  Rep partial = make_rep("1", "Normal", 0, 0, true);
  partial.support_session_count = std::nullopt;
  SnapshotStore store;
  store.publish(up_site("a", make_reps({partial})));
  const std::string text = render(store);
  EXPECT_FALSE(contains(text, "beyondtrust_support_sessions"));
  EXPECT_EQ(samples_of(text, "beyondtrust_presentations").size(), 1U);
}

TEST(MetricsRenderer, DuplicateAndEmptyIds) {
  SnapshotStore store;
  store.publish(up_site("a", make_reps({make_rep("1", "Normal", 1, 0, true),
                                        make_rep("1", "Normal", 5, 0, true),
                                        make_rep("", "Normal", 2, 0, true)})));
  const std::string text = render(store);
  EXPECT_EQ(samples_of(text, "beyondtrust_rep_support_sessions"),
            std::vector<std::string>{
                "beyondtrust_rep_support_sessions{appliance=\"a\",rep_id="
                "\"1\"} 1"});
  EXPECT_EQ(samples_of(text, "beyondtrust_support_sessions"),
            std::vector<std::string>{
                "beyondtrust_support_sessions{appliance=\"a\"} 3"});
  EXPECT_EQ(samples_of(text, "beyondtrust_logged_in_reps")[0],
            "beyondtrust_logged_in_reps{appliance=\"a\",rep_type=\"Normal\"} "
            "2");
}

TEST(MetricsRenderer, LogoutDisappears) {
  SnapshotStore store;
  store.publish(up_site("a", make_reps({make_rep("1", "Normal", 1, 0, true),
                                        make_rep("2", "Normal", 1, 0, true)})));
  MetricsRenderer renderer(golden_options());
  const std::string before = renderer.render(store, ExporterStatus{}, now);
  store.publish(
      up_site("a", make_reps({make_rep("1", "Normal", 1, 0, true)}), 0s));
  const std::string after = renderer.render(store, ExporterStatus{}, now);
  EXPECT_TRUE(contains(before, "rep_id=\"2\""));
  EXPECT_FALSE(contains(after, "rep_id=\"2\""));
  EXPECT_TRUE(contains(after, "rep_id=\"1\""));
}

TEST(MetricsRenderer, RemovedSiteDropped) {
  SnapshotStore store;
  store.publish(up_site("a", make_reps({})));
  store.publish(up_site("b", make_reps({})));
  MetricsRenderer renderer(golden_options());
  renderer.render(store, ExporterStatus{}, now);
  EXPECT_EQ(renderer.cached_sites(), 2U);
  store.remove("a");
  const std::string text = renderer.render(store, ExporterStatus{}, now);
  EXPECT_EQ(renderer.cached_sites(), 1U);
  EXPECT_EQ(samples_of(text, "beyondtrust_up"),
            std::vector<std::string>{"beyondtrust_up{appliance=\"b\"} 1"});
}

TEST(MetricsRenderer, ReorderFollowsStore) {
  SnapshotStore store;
  store.publish(up_site("a", make_reps({})));
  store.publish(up_site("b", make_reps({})));
  MetricsRenderer renderer(golden_options());
  renderer.render(store, ExporterStatus{}, now);
  store.reorder({"b", "a"});
  const std::string text = renderer.render(store, ExporterStatus{}, now);
  const std::vector<std::string> expected{
      "beyondtrust_up{appliance=\"b\"} 1",
      "beyondtrust_up{appliance=\"a\"} 1",
  };
  EXPECT_EQ(samples_of(text, "beyondtrust_up"), expected);
}

TEST(MetricsRenderer, CachedRenderEqualsCold) {
  MetricsRenderer renderer(golden_options());
  const SnapshotStore store = golden_store();
  const std::string first = renderer.render(store, ExporterStatus{}, now);
  const std::string second = renderer.render(store, ExporterStatus{}, now);
  EXPECT_EQ(first, second);
}

TEST(MetricsRenderer, NoPollYet) {
  auto snapshot = std::make_shared<ApplianceSnapshot>();
  snapshot->appliance = "a";
  SnapshotStore store;
  store.publish(snapshot);
  const std::string text = render(store);
  EXPECT_EQ(samples_of(text, "beyondtrust_up"),
            std::vector<std::string>{"beyondtrust_up{appliance=\"a\"} 0"});
  EXPECT_FALSE(contains(text, "beyondtrust_poll_duration_seconds"));
  EXPECT_FALSE(contains(text, "beyondtrust_last_poll_success"));
  EXPECT_FALSE(contains(text, "beyondtrust_logged_in_reps"));
  EXPECT_EQ(
      samples_of(text, "beyondtrust_polls_total"),
      std::vector<std::string>{"beyondtrust_polls_total{appliance=\"a\"} 0"});
}

TEST(MetricsRenderer, OddApplianceNameEscaped) {
  SnapshotStore store;
  store.publish(up_site("a\"b\\c\nd", make_reps({})));
  const std::string text = render(store);
  EXPECT_EQ(samples_of(text, "beyondtrust_up"),
            std::vector<std::string>{
                "beyondtrust_up{appliance=\"a\\\"b\\\\c\\nd\"} 1"});
}

TEST(MetricsRenderer, ExporterStatus) {
  ExporterStatus status;
  status.config_last_reload_successful = false;
  status.config_last_reload_success_timestamp_seconds = 1764863000.5;
  MetricsRenderer renderer(golden_options());
  const std::string text = renderer.render(SnapshotStore{}, status, now);
  EXPECT_EQ(
      samples_of(text, "beyondtrust_exporter_config_last_reload_successful"),
      std::vector<std::string>{
          "beyondtrust_exporter_config_last_reload_successful 0"});
  EXPECT_EQ(samples_of(text,
                       "beyondtrust_exporter_config_last_reload_"
                       "success_timestamp_seconds"),
            std::vector<std::string>{
                "beyondtrust_exporter_config_last_reload_success_timestamp_"
                "seconds 1764863000.5"});
  EXPECT_FALSE(contains(text, "beyondtrust_up"));
}

TEST(MetricsRenderer, BuildInfoLine) {
  MetricsRenderer renderer(golden_options());
  const std::string text = renderer.render(SnapshotStore{}, {}, now);
  EXPECT_EQ(samples_of(text, "beyondtrust_exporter_build_info"),
            std::vector<std::string>{
                "beyondtrust_exporter_build_info{version=\"0.1.0\",revision="
                "\"0123456789ab\",boost_version=\"1.81.0\",openssl_version="
                "\"3.0.17\",prometheus_cpp_version=\"1.0.1\",compiler=\"gcc-"
                "12.2.0\"} 1"});
}

TEST(MetricsRenderer, ProcessMetricsIncluded) {
  MetricsRenderer renderer;
  const std::string text = renderer.render(SnapshotStore{}, {}, now);
  for (std::string_view family :
       {"process_cpu_seconds_total", "process_max_fds", "process_open_fds",
        "process_resident_memory_bytes", "process_start_time_seconds",
        "process_virtual_memory_bytes"}) {
    EXPECT_EQ(samples_of(text, family).size(), 1U) << family;
  }
  EXPECT_TRUE(contains(text, "# TYPE process_cpu_seconds_total counter\n"));
}

TEST(MetricsRenderer, ProcessMetricsOff) {
  const std::string text = render(SnapshotStore{});
  EXPECT_FALSE(contains(text, "process_"));
}

TEST(BuildInfo, FromThisBuild) {
  const BuildInfo& info = build_info();
  EXPECT_EQ(info.version, BEYONDTRUST_EXPORTER_TEST_VERSION);
  EXPECT_FALSE(info.revision.empty());
  EXPECT_EQ(info.boost_version, "1.81.0");
  EXPECT_TRUE(info.openssl_version.starts_with("3.")) << info.openssl_version;
  EXPECT_EQ(info.prometheus_cpp_version, "1.0.1");
  EXPECT_FALSE(info.compiler.empty());
}

// Serializes one gauge sample with prometheus-cpp, to compare with.
std::string serialize_with_prometheus_cpp(const std::string& label_value,
                                          double value) {
  prometheus::ClientMetric metric;
  metric.label.push_back({"label", label_value});
  metric.gauge.value = value;
  prometheus::MetricFamily family;
  family.name = "sample";
  family.type = prometheus::MetricType::Gauge;
  family.metric.push_back(metric);
  const std::string text = prometheus::TextSerializer().Serialize({family});
  return text.substr(text.find("\nsample{") + 1);
}

std::string serialize_with_exposition(const std::string& label_value,
                                      double value) {
  std::string line = "sample{label=\"";
  exposition::append_label_value(line, label_value);
  line += "\"} ";
  exposition::append_value(line, value);
  line += '\n';
  return line;
}

TEST(Exposition, MatchesTextSerializer) {
  const std::vector<std::string> values{
      "",
      "plain",
      "quote \" inside",
      "back\\slash",
      "new\nline",
      "\\n is not a newline",
      "trailing backslash\\",
      "\"\\\n\"",
      "D\u00edaz \u540d\u524d \U0001F600",
      "tab\tand carriage\rreturn",
      "{braces},commas=\"and\" = signs",
  };
  for (const std::string& value : values) {
    EXPECT_EQ(serialize_with_exposition(value, 1),
              serialize_with_prometheus_cpp(value, 1))
        << value;
  }
}

TEST(Exposition, NumbersMatchTextSerializer) {
  for (double value : {0.0, 1.0, 0.25, 1764864000.0, 1764864000.5, 1e20,
                       123456789012.0, -3.0}) {
    EXPECT_EQ(serialize_with_exposition("x", value),
              serialize_with_prometheus_cpp("x", value))
        << value;
  }
}

TEST(Exposition, SpecialNumbers) {
  std::string out;
  exposition::append_value(out, std::numeric_limits<double>::quiet_NaN());
  EXPECT_EQ(out, "NaN");
  out.clear();
  exposition::append_value(out, std::numeric_limits<double>::infinity());
  EXPECT_EQ(out, "+Inf");
  out.clear();
  exposition::append_value(out, -std::numeric_limits<double>::infinity());
  EXPECT_EQ(out, "-Inf");
  out.clear();
  exposition::append_value(out, std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(out, "18446744073709551615");
  out.clear();
  exposition::append_value(out, std::int64_t{-5});
  EXPECT_EQ(out, "-5");
}

TEST(Exposition, InvalidUtf8Replaced) {
  struct Case {
    std::string input;
    std::string expected;
  };
  const std::string fffd = "\xEF\xBF\xBD";
  const std::vector<Case> cases{
      {"\xff", fffd},
      {"a\xE2\x82", "a" + fffd},  // truncated 3-byte sequence
      {"\xE2\x82"
       "b",
       fffd + "b"},                                     // one maximal subpart
      {"\xC0\xAF", fffd + fffd},                        // overlong '/'
      {"\xED\xA0\x80", fffd + fffd + fffd},             // surrogate U+D800
      {"\xF4\x90\x80\x80", fffd + fffd + fffd + fffd},  // above U+10FFFF
      {"\x80", fffd},                            // lone continuation byte
      {"\xF0\x9F\x98", fffd},                    // truncated 4-byte sequence
      {"ok\xC3\xA9", "ok\xC3\xA9"},              // valid U+00E9
      {"\xF4\x8F\xBF\xBF", "\xF4\x8F\xBF\xBF"},  // U+10FFFF
      {"q\"\xff", "q\\\"" + fffd},
  };
  for (const Case& test : cases) {
    EXPECT_EQ(exposition::escape_label_value(test.input), test.expected)
        << test.input;
  }
}

TEST(Exposition, HelpEscaped) {
  std::string out;
  exposition::append_help(out, "a \"quoted\" back\\slash\nnext");
  EXPECT_EQ(out, "a \"quoted\" back\\\\slash\\nnext");
}

TEST(Exposition, FamilyHeader) {
  std::string out;
  exposition::append_family_header(out, "x_total", "counter", "Things.");
  EXPECT_EQ(out, "# HELP x_total Things.\n# TYPE x_total counter\n");
}

}  // namespace
}  // namespace beyondtrust_exporter
