#include "beyondtrust_exporter/landing_page.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

namespace beyondtrust_exporter {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

// 2026-12-04 15:30:00 UTC.
const system_clock::time_point poll_time{seconds(1796398200)};

std::shared_ptr<ApplianceSnapshot> make_snapshot(std::string name) {
  auto snapshot = std::make_shared<ApplianceSnapshot>();
  snapshot->appliance = std::move(name);
  snapshot->url = "https://support.example.com";
  snapshot->up = true;
  snapshot->last_poll_time = poll_time;
  snapshot->last_success_time = poll_time;
  return snapshot;
}

bool contains(const std::string& page, const std::string& text) {
  return page.find(text) != std::string::npos;
}

TEST(HtmlEscape, SpecialCharacters) {
  EXPECT_EQ(html_escape("a&b<c>d\"e'f"), "a&amp;b&lt;c&gt;d&quot;e&#39;f");
}

TEST(HtmlEscape, PlainTextUnchanged) {
  EXPECT_EQ(html_escape("support.example.com"), "support.example.com");
}

TEST(LandingPage, VersionAndMetricsLink) {
  SnapshotStore store;
  const std::string page =
      render_landing_page(store, "1.2.3", "/metrics", poll_time);
  EXPECT_TRUE(contains(page, "beyondtrust_exporter version 1.2.3"));
  EXPECT_TRUE(contains(page, "<a href=\"/metrics\">Metrics</a>"));
}

TEST(LandingPage, NoAppliances) {
  SnapshotStore store;
  const std::string page =
      render_landing_page(store, "1.2.3", "/metrics", poll_time);
  EXPECT_TRUE(contains(page, "No appliances are configured."));
  EXPECT_FALSE(contains(page, "<table>"));
}

TEST(LandingPage, ApplianceRow) {
  SnapshotStore store;
  store.publish(make_snapshot("support"));
  const std::string page =
      render_landing_page(store, "1.2.3", "/metrics", poll_time + seconds(12));
  EXPECT_TRUE(
      contains(page,
               "<tr><td>support</td><td>https://support.example.com</td>"
               "<td class=\"up\">yes</td>"
               "<td>2026-12-04 15:30:00 UTC (12s ago)</td>"
               "<td>2026-12-04 15:30:00 UTC (12s ago)</td><td></td></tr>"));
}

TEST(LandingPage, FailedPollRow) {
  SnapshotStore store;
  auto snapshot = make_snapshot("support");
  snapshot->up = false;
  snapshot->last_success_time.reset();
  snapshot->last_error =
      PollError{PollErrorReason::timeout, "poll timed out after 10s"};
  store.publish(snapshot);
  const std::string page =
      render_landing_page(store, "1.2.3", "/metrics", poll_time);
  EXPECT_TRUE(contains(page, "<td class=\"down\">no</td>"));
  EXPECT_TRUE(contains(page, "<td>never</td>"));
  EXPECT_TRUE(contains(page, "<td>timeout: poll timed out after 10s</td>"));
}

TEST(LandingPage, HostileNameEscaped) {
  SnapshotStore store;
  auto snapshot = make_snapshot("<script>alert(\"x\")</script>");
  snapshot->url = "https://a.example.com/\"><img src=x onerror=alert(1)>";
  snapshot->last_error =
      PollError{PollErrorReason::api_error, "<b>bad</b> & 'worse'"};
  store.publish(snapshot);
  const std::string page =
      render_landing_page(store, "1.2.3", "/metrics", poll_time);
  EXPECT_FALSE(contains(page, "<script>"));
  EXPECT_FALSE(contains(page, "<img"));
  EXPECT_FALSE(contains(page, "<b>"));
  EXPECT_TRUE(contains(
      page, "<td>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</td>"));
  EXPECT_TRUE(contains(page,
                       "<td>https://a.example.com/&quot;&gt;&lt;img src=x "
                       "onerror=alert(1)&gt;</td>"));
  EXPECT_TRUE(contains(
      page,
      "<td>api_error: &lt;b&gt;bad&lt;/b&gt; &amp; &#39;worse&#39;</td>"));
}

TEST(LandingPage, HostileTelemetryPathEscaped) {
  SnapshotStore store;
  const std::string page =
      render_landing_page(store, "<v>", "/m\"><script>x</script>", poll_time);
  EXPECT_FALSE(contains(page, "<script>"));
  EXPECT_TRUE(contains(
      page, "<a href=\"/m&quot;&gt;&lt;script&gt;x&lt;/script&gt;\">"));
  EXPECT_TRUE(contains(page, "version &lt;v&gt;"));
}

TEST(LandingPage, AppliancesInStoreOrder) {
  SnapshotStore store;
  store.publish(make_snapshot("second"));
  store.publish(make_snapshot("first"));
  store.reorder({"first", "second"});
  const std::string page =
      render_landing_page(store, "1.2.3", "/metrics", poll_time);
  const std::size_t first = page.find("<td>first</td>");
  const std::size_t second = page.find("<td>second</td>");
  ASSERT_NE(first, std::string::npos);
  ASSERT_NE(second, std::string::npos);
  EXPECT_LT(first, second);
}

}  // namespace
}  // namespace beyondtrust_exporter
