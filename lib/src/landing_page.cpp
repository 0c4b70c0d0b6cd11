#include "beyondtrust_exporter/landing_page.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <ctime>
#include <iterator>
#include <optional>

namespace beyondtrust_exporter {
namespace {

// Formats a time as "2026-12-04 15:30:00 UTC (12s ago)", or "never".
std::string format_time(
    const std::optional<std::chrono::system_clock::time_point>& time,
    std::chrono::system_clock::time_point now) {
  if (!time.has_value()) return "never";

  // fmt::gmtime, because fmt 9 formats a time_point in local time.
  const std::tm utc = fmt::gmtime(std::chrono::system_clock::to_time_t(*time));
  const auto age =
      std::chrono::duration_cast<std::chrono::seconds>(now - *time);
  if (age.count() < 0) {
    return fmt::format("{:%Y-%m-%d %H:%M:%S} UTC (in the future)", utc);
  }
  return fmt::format("{:%Y-%m-%d %H:%M:%S} UTC ({}s ago)", utc, age.count());
}

std::string format_error(const std::optional<PollError>& error) {
  if (!error.has_value()) return "";
  return fmt::format("{}: {}", to_string(error->reason), error->message);
}

void append_row(std::string& page, const ApplianceSnapshot& snapshot,
                std::chrono::system_clock::time_point now) {
  fmt::format_to(std::back_inserter(page),
                 "<tr><td>{}</td><td>{}</td><td class=\"{}\">{}</td>"
                 "<td>{}</td><td>{}</td><td>{}</td></tr>\n",
                 html_escape(snapshot.appliance), html_escape(snapshot.url),
                 snapshot.up ? "up" : "down", snapshot.up ? "yes" : "no",
                 html_escape(format_time(snapshot.last_poll_time, now)),
                 html_escape(format_time(snapshot.last_success_time, now)),
                 html_escape(format_error(snapshot.last_error)));
}

}  // namespace

std::string html_escape(std::string_view text) {
  std::string escaped;
  escaped.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        escaped += "&amp;";
        break;
      case '<':
        escaped += "&lt;";
        break;
      case '>':
        escaped += "&gt;";
        break;
      case '"':
        escaped += "&quot;";
        break;
      case '\'':
        escaped += "&#39;";
        break;
      default:
        escaped += c;
    }
  }
  return escaped;
}

std::string render_landing_page(const SnapshotStore& store,
                                std::string_view version,
                                std::string_view telemetry_path,
                                std::chrono::system_clock::time_point now) {
  std::string page;
  fmt::format_to(std::back_inserter(page),
                 "<!DOCTYPE html>\n"
                 "<html lang=\"en\">\n"
                 "<head>\n"
                 "<meta charset=\"utf-8\">\n"
                 "<title>BeyondTrust exporter</title>\n"
                 "<style>\n"
                 "body {{ font-family: sans-serif; }}\n"
                 "table {{ border-collapse: collapse; }}\n"
                 "th, td {{ border: 1px solid #ccc; padding: 0.2em 0.5em; "
                 "text-align: left; }}\n"
                 ".up {{ color: #1a7f37; }}\n"
                 ".down {{ color: #cf222e; }}\n"
                 "</style>\n"
                 "</head>\n"
                 "<body>\n"
                 "<h1>BeyondTrust exporter</h1>\n"
                 "<p>beyondtrust_exporter version {}</p>\n"
                 "<p><a href=\"{}\">Metrics</a></p>\n",
                 html_escape(version), html_escape(telemetry_path));

  if (store.all().empty()) {
    page += "<p>No appliances are configured.</p>\n";
  } else {
    page +=
        "<h2>Appliances</h2>\n"
        "<table>\n"
        "<tr><th>Name</th><th>URL</th><th>Up</th><th>Last poll</th>"
        "<th>Last success</th><th>Last error</th></tr>\n";
    for (const auto& snapshot : store.all()) {
      if (snapshot != nullptr) append_row(page, *snapshot, now);
    }
    page += "</table>\n";
  }

  page += "</body>\n</html>\n";
  return page;
}

}  // namespace beyondtrust_exporter
