#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "beyondtrust_exporter/secret.hpp"

namespace beyondtrust_exporter {

// TLS settings for the connection to one site. Names follow the
// `tls_config` block of Prometheus's http_client_config.
struct TlsConfig {
  std::string ca_file;      // PEM bundle to trust instead of the system store
  std::string cert_file;    // client certificate, with key_file
  std::string key_file;
  std::string server_name;  // SNI and the name checked in the certificate
  bool insecure_skip_verify = false;

  friend bool operator==(const TlsConfig&, const TlsConfig&) = default;
};

// One BeyondTrust site to poll.
struct ApplianceConfig {
  std::string name;  // the `appliance` label; defaults to the URL's host
  std::string url;   // https://host[:port], without path or query
  std::string host;  // parsed from url
  std::uint16_t port = 443;
  std::string client_id;
  Secret client_secret;
  std::string client_secret_file;  // where client_secret came from, if a file
  std::chrono::milliseconds poll_interval{std::chrono::seconds(30)};
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};
  std::chrono::milliseconds max_staleness{std::chrono::seconds(90)};
  TlsConfig tls_config;
  std::string proxy_url;  // http://host:port of an HTTP CONNECT proxy
  bool rep_metrics = true;      // per-representative series
  bool rep_name_labels = true;  // display names on beyondtrust_rep_info
  std::size_t max_response_bytes = 16 * 1024 * 1024;

  friend bool operator==(const ApplianceConfig&,
                         const ApplianceConfig&) = default;
};

// The appliances from the config file or the single-appliance flags: the
// part that SIGHUP and POST /-/reload reread.
struct Config {
  std::vector<ApplianceConfig> appliances;

  friend bool operator==(const Config&, const Config&) = default;
};

enum class LogLevel { debug, info, warn, error };
enum class LogFormat { logfmt, json };

// Returns the --log.level value of `level`, such as "warn".
std::string_view to_string(LogLevel level) noexcept;

// Returns the --log.format value of `format`, such as "logfmt".
std::string_view to_string(LogFormat format) noexcept;

// Process-wide settings, from flags only; a reload does not change them.
struct Settings {
  std::string config_file;  // empty: one appliance from the flags
  bool config_check = false;
  std::vector<std::string> listen_addresses{":9879"};
  std::string telemetry_path = "/metrics";
  int max_requests = 40;
  std::string web_config_file;
  LogLevel log_level = LogLevel::info;
  LogFormat log_format = LogFormat::logfmt;

  // Defaults for appliances, and the single appliance given by flags.
  std::chrono::milliseconds poll_interval{std::chrono::seconds(30)};
  std::chrono::milliseconds poll_timeout{std::chrono::seconds(10)};
  std::optional<std::chrono::milliseconds> poll_max_staleness;
  std::string appliance_url;
  std::string appliance_name;
  std::string client_id;
  std::string client_secret_file;
};

// A configuration value that is missing or invalid. what() is one line that
// names the key, the value and what is allowed.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace beyondtrust_exporter
