#include "beyondtrust_exporter/flags.hpp"

#include <fmt/format.h>
#include <openssl/crypto.h>

#include <CLI/CLI.hpp>
#include <boost/version.hpp>
#include <charconv>
#include <chrono>
#include <string_view>
#include <vector>

#include "beyondtrust_exporter/duration.hpp"

#ifndef BEYONDTRUST_EXPORTER_VERSION
#define BEYONDTRUST_EXPORTER_VERSION "unknown"
#endif
#ifndef BEYONDTRUST_EXPORTER_REVISION
#define BEYONDTRUST_EXPORTER_REVISION "unknown"
#endif

namespace beyondtrust_exporter {
namespace {

using std::chrono::milliseconds;
using namespace std::chrono_literals;

constexpr milliseconds kMinPollInterval = 1s;
constexpr milliseconds kMaxPollInterval = 24h;
constexpr milliseconds kDefaultPollTimeout = 10s;

// The raw text of every flag that takes a value; empty when not given.
struct RawFlags {
  std::string poll_interval;
  std::string poll_timeout;
  std::string poll_max_staleness;
  std::string max_requests;
  std::string log_level;
  std::string log_format;
  bool version = false;
};

[[noreturn]] void fail_value(std::string_view flag, std::string_view value,
                             std::string_view expected) {
  throw ConfigError(
      fmt::format("invalid {} \"{}\": expected {}", flag, value, expected));
}

milliseconds parse_duration_flag(std::string_view flag,
                                 std::string_view value) {
  const auto duration = parse_duration(value);
  if (!duration) {
    fail_value(flag, value, "a duration such as 30s or 1m");
  }
  return *duration;
}

// Accepts [host]:port, where host is empty, a name, an IPv4 address or a
// bracketed IPv6 address, and port is a number from 0 to 65535.
void check_listen_address(std::string_view address) {
  constexpr std::string_view kExpected =
      "[host]:port such as :9879, 127.0.0.1:9879 or [::1]:9879";
  const auto colon = address.rfind(':');
  if (colon == std::string_view::npos) {
    fail_value("--web.listen-address", address, kExpected);
  }
  const std::string_view host = address.substr(0, colon);
  const std::string_view port = address.substr(colon + 1);

  unsigned value = 0;
  const auto [end, error] =
      std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || error != std::errc() ||
      end != port.data() + port.size() || value > 65535) {
    fail_value("--web.listen-address", address, kExpected);
  }

  const bool bracketed = host.starts_with('[') && host.ends_with(']');
  const bool has_colon = host.find(':') != std::string_view::npos;
  if (has_colon && !bracketed) {
    fail_value("--web.listen-address", address, kExpected);
  }
  for (const char c : host) {
    if (c == ' ' || c == '/' || static_cast<unsigned char>(c) < 0x20) {
      fail_value("--web.listen-address", address, kExpected);
    }
  }
}

void check_telemetry_path(std::string_view path) {
  if (!path.starts_with('/') || path == "/" || path.starts_with("/-/") ||
      path.find_first_of("?# ") != std::string_view::npos) {
    fail_value("--web.telemetry-path", path,
               "a path that starts with / such as /metrics, other than / "
               "and /-/...");
  }
}

int parse_max_requests(std::string_view value) {
  int count = 0;
  const auto [end, error] =
      std::from_chars(value.data(), value.data() + value.size(), count);
  if (value.empty() || error != std::errc() ||
      end != value.data() + value.size() || count < 1) {
    fail_value("--web.max-requests", value, "a whole number of at least 1");
  }
  return count;
}

LogLevel parse_log_level(std::string_view value) {
  if (value == "debug") return LogLevel::debug;
  if (value == "info") return LogLevel::info;
  if (value == "warn") return LogLevel::warn;
  if (value == "error") return LogLevel::error;
  fail_value("--log.level", value, "one of debug, info, warn, error");
}

LogFormat parse_log_format(std::string_view value) {
  if (value == "logfmt") return LogFormat::logfmt;
  if (value == "json") return LogFormat::json;
  fail_value("--log.format", value, "one of logfmt, json");
}

// Converts the poll flags and checks timeout <= interval <= max staleness.
// An unset timeout is 10s, or the interval when that is shorter, as
// Prometheus does for scrape_timeout.
void apply_poll_flags(const RawFlags& raw, Settings& settings) {
  if (!raw.poll_interval.empty()) {
    settings.poll_interval =
        parse_duration_flag("--poll.interval", raw.poll_interval);
  }
  if (settings.poll_interval < kMinPollInterval ||
      settings.poll_interval > kMaxPollInterval) {
    fail_value("--poll.interval", raw.poll_interval, "from 1s to 1d");
  }

  if (raw.poll_timeout.empty()) {
    settings.poll_timeout =
        std::min(kDefaultPollTimeout, settings.poll_interval);
  } else {
    settings.poll_timeout =
        parse_duration_flag("--poll.timeout", raw.poll_timeout);
    if (settings.poll_timeout <= 0ms ||
        settings.poll_timeout > settings.poll_interval) {
      fail_value("--poll.timeout", raw.poll_timeout,
                 fmt::format("more than 0s and at most --poll.interval ({})",
                             format_duration(settings.poll_interval)));
    }
  }

  if (!raw.poll_max_staleness.empty()) {
    const milliseconds staleness =
        parse_duration_flag("--poll.max-staleness", raw.poll_max_staleness);
    if (staleness < settings.poll_interval || staleness > 7 * 24h) {
      fail_value("--poll.max-staleness", raw.poll_max_staleness,
                 fmt::format("at least --poll.interval ({}) and at most 1w",
                             format_duration(settings.poll_interval)));
    }
    settings.poll_max_staleness = staleness;
  }
}

// The single-appliance flags describe the one appliance when there is no
// config file, so a file and any of them together is a mistake.
void check_appliance_flags(const Settings& settings) {
  if (settings.config_file.empty()) {
    return;
  }
  const std::pair<std::string_view, const std::string*> flags[] = {
      {"--appliance.url", &settings.appliance_url},
      {"--appliance.name", &settings.appliance_name},
      {"--appliance.client-id", &settings.client_id},
      {"--appliance.client-secret-file", &settings.client_secret_file},
  };
  for (const auto& [flag, value] : flags) {
    if (!value->empty()) {
      throw ConfigError(fmt::format(
          "invalid {} \"{}\": not allowed with --config.file, which lists "
          "the appliances",
          flag, *value));
    }
  }
}

// Makes a CLI11 error message one line.
std::string one_line(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r') {
      c = ' ';
    }
  }
  while (!text.empty() && text.back() == ' ') {
    text.pop_back();
  }
  return text;
}

void add_flags(CLI::App& app, Settings& settings, RawFlags& raw) {
  app.add_option("--config.file", settings.config_file,
                 "YAML file that lists the appliances to poll. Default: "
                 "none, one appliance from the --appliance.* flags.")
      ->type_name("FILE");
  app.add_flag("--config.check", settings.config_check,
               "Check the configuration, print what it means with secrets "
               "masked, and exit: 0 when valid, 2 when not.");

  app.add_option("--appliance.url", settings.appliance_url,
                 "URL of the single appliance to poll when there is no "
                 "config file, as https://host[:port].")
      ->type_name("URL");
  app.add_option("--appliance.name", settings.appliance_name,
                 "Value of the appliance label for --appliance.url. "
                 "Default: the URL's host.")
      ->type_name("NAME");
  app.add_option("--appliance.client-id", settings.client_id,
                 "OAuth client ID of the API account for --appliance.url. "
                 "Default: $BEYONDTRUST_CLIENT_ID.")
      ->type_name("ID");
  app.add_option("--appliance.client-secret-file", settings.client_secret_file,
                 "File with the OAuth client secret for --appliance.url, "
                 "without its trailing newline. Without it, the secret "
                 "itself is read from $BEYONDTRUST_CLIENT_SECRET.")
      ->type_name("FILE");

  app.add_option("--poll.interval", raw.poll_interval,
                 "Time between polls of each appliance, from 1s to 1d. "
                 "Default: 30s.")
      ->type_name("DURATION");
  app.add_option("--poll.timeout", raw.poll_timeout,
                 "Time limit of one poll, at most --poll.interval. Default: "
                 "10s, or --poll.interval when shorter.")
      ->type_name("DURATION");
  app.add_option("--poll.max-staleness", raw.poll_max_staleness,
                 "How long the last good poll's series stay after polls "
                 "start failing, at least --poll.interval. Default: three "
                 "poll intervals.")
      ->type_name("DURATION");

  app.add_option("--web.listen-address", settings.listen_addresses,
                 "Address to serve HTTP on, as [host]:port. Repeat the flag "
                 "for several. Default: :9879.")
      ->allow_extra_args(false)
      ->take_all()
      ->type_name("ADDRESS");
  app.add_option("--web.telemetry-path", settings.telemetry_path,
                 "Path that serves the metrics. Default: /metrics.")
      ->type_name("PATH");
  app.add_option("--web.max-requests", raw.max_requests,
                 "Requests served at the same time, at least 1. More get "
                 "503. Default: 40.")
      ->type_name("COUNT");
  app.add_option("--web.config.file", settings.web_config_file,
                 "Web configuration file (TLS, basic auth, headers) in the "
                 "Prometheus exporter-toolkit format. Default: none, plain "
                 "HTTP.")
      ->type_name("FILE");

  app.add_option("--log.level", raw.log_level,
                 "Lowest level logged: debug, info, warn or error. "
                 "Default: info.")
      ->type_name("LEVEL");
  app.add_option("--log.format", raw.log_format,
                 "Log line format: logfmt or json. Default: logfmt.")
      ->type_name("FORMAT");

  app.add_flag("--version", raw.version, "Print the version and exit.");
}

}  // namespace

std::string version_text() {
  return fmt::format(
      "beyondtrust_exporter, version {} (revision: {})\n"
      "  boost: {}.{}.{}, {}\n",
      BEYONDTRUST_EXPORTER_VERSION, BEYONDTRUST_EXPORTER_REVISION,
      BOOST_VERSION / 100000, BOOST_VERSION / 100 % 1000, BOOST_VERSION % 100,
      OpenSSL_version(OPENSSL_VERSION));
}

FlagsResult parse_flags(int argc, const char* const* argv, std::ostream& out) {
  FlagsResult result;
  Settings& settings = result.settings;
  RawFlags raw;

  CLI::App app(
      "Prometheus exporter for BeyondTrust Remote Support and Privileged "
      "Remote Access: polls get_logged_in_reps and serves the result as "
      "metrics.",
      "beyondtrust_exporter");
  app.allow_windows_style_options(false);
  add_flags(app, settings, raw);

  // Parse. CLI11 signals --help with an exception.
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    out << app.help();
    result.exit_code = 0;
    return result;
  } catch (const CLI::ExtrasError& error) {
    throw ConfigError(
        fmt::format("{}: see --help for the flags", one_line(error.what())));
  } catch (const CLI::ParseError& error) {
    throw ConfigError(one_line(error.what()));
  }
  if (raw.version) {
    out << version_text();
    result.exit_code = 0;
    return result;
  }

  // Check and convert the values.
  if (settings.listen_addresses.empty()) {
    settings.listen_addresses = {":9879"};
  }
  for (const std::string& address : settings.listen_addresses) {
    check_listen_address(address);
  }
  check_telemetry_path(settings.telemetry_path);
  if (!raw.max_requests.empty()) {
    settings.max_requests = parse_max_requests(raw.max_requests);
  }
  if (!raw.log_level.empty()) {
    settings.log_level = parse_log_level(raw.log_level);
  }
  if (!raw.log_format.empty()) {
    settings.log_format = parse_log_format(raw.log_format);
  }
  apply_poll_flags(raw, settings);
  check_appliance_flags(settings);
  return result;
}

}  // namespace beyondtrust_exporter
