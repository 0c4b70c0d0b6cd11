#include "beyondtrust_exporter/config_loader.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <map>
#include <sstream>

#include "beyondtrust_exporter/duration.hpp"
#include "beyondtrust_exporter/web_config.hpp"
#include "config_text.hpp"

namespace beyondtrust_exporter {
namespace {

using namespace std::chrono_literals;
using config_text::describe;
using config_text::has;
using config_text::join;
using config_text::quote;
using std::chrono::milliseconds;

constexpr milliseconds kMinPollInterval = 1s;
constexpr milliseconds kMaxPollInterval = 24h;
constexpr milliseconds kMaxStaleness = 7 * 24h;
constexpr std::size_t kMinResponseBytes = 1024;
constexpr std::size_t kMaxResponseBytes = 1024 * 1024 * 1024;

constexpr std::string_view kClientIdVariable = "BEYONDTRUST_CLIENT_ID";
constexpr std::string_view kClientSecretVariable = "BEYONDTRUST_CLIENT_SECRET";

// A duration and the key it was read from, for errors about inherited
// values.
struct SourcedDuration {
  milliseconds value;
  std::string source;  // key path or flag, such as defaults.timeout
};

// The poll timing every appliance inherits unless it sets its own.
struct PollDefaults {
  SourcedDuration poll_interval;
  SourcedDuration timeout;
  std::optional<SourcedDuration> max_staleness;
};

[[noreturn]] void fail_value(std::string_view path, std::string_view value,
                             std::string_view expected) {
  throw ConfigError(
      fmt::format("invalid {} {}: expected {}", path, quote(value), expected));
}

milliseconds read_duration(const YAML::Node& node, std::string_view path) {
  if (!config_text::is_empty(node) && node.IsScalar()) {
    if (const auto duration = parse_duration(node.Scalar())) {
      return *duration;
    }
  }
  throw ConfigError(
      fmt::format("invalid {} {}: expected a duration such as "
                  "30s or 1m",
                  path, describe(node)));
}

void check_poll_interval(milliseconds value, std::string_view path) {
  if (value < kMinPollInterval || value > kMaxPollInterval) {
    fail_value(path, format_duration(value), "from 1s to 1d");
  }
}

// Parses a byte count: a whole number, optionally followed by B, KiB, MiB
// or GiB.
std::optional<std::size_t> parse_size(std::string_view text) {
  std::size_t number = 0;
  const auto [end, error] =
      std::from_chars(text.data(), text.data() + text.size(), number);
  if (error != std::errc() || end == text.data()) {
    return std::nullopt;
  }
  const std::string_view unit(end, text.data() + text.size() - end);
  std::size_t scale = 0;
  if (unit.empty() || unit == "B") {
    scale = 1;
  } else if (unit == "KiB") {
    scale = 1024;
  } else if (unit == "MiB") {
    scale = 1024 * 1024;
  } else if (unit == "GiB") {
    scale = 1024 * 1024 * 1024;
  } else {
    return std::nullopt;
  }
  if (number > kMaxResponseBytes) {
    return std::nullopt;
  }
  return number * scale;
}

// The parts of an appliance or proxy URL that the exporter uses.
struct ParsedUrl {
  std::string normalized;  // scheme://host[:port], without a trailing /
  std::string host;        // without IPv6 brackets
  std::uint16_t port = 0;
  bool has_port = false;
};

// Parses scheme://host[:port][/] with Boost.URL and rejects everything
// else: other schemes, user info, a path, a query or a fragment.
ParsedUrl parse_url(std::string_view text, std::string_view path,
                    std::string_view scheme) {
  const std::string expected = fmt::format("{}://host[:port]", scheme);
  const auto parsed = boost::urls::parse_uri(text);
  if (!parsed) {
    fail_value(path, text, expected);
  }
  const boost::urls::url_view& url = *parsed;
  if (url.scheme() != scheme) {
    fail_value(path, text,
               fmt::format("the {} scheme, as in {}", scheme, expected));
  }
  if (!url.has_authority() || url.encoded_host().empty()) {
    fail_value(path, text, fmt::format("a host, as in {}", expected));
  }
  if (url.has_userinfo()) {
    fail_value(path, text, fmt::format("no user info, as in {}", expected));
  }
  if (!url.encoded_path().empty() && url.encoded_path() != "/") {
    fail_value(path, text, fmt::format("no path, as in {}", expected));
  }
  if (url.has_query()) {
    fail_value(path, text, fmt::format("no query, as in {}", expected));
  }
  if (url.has_fragment()) {
    fail_value(path, text, fmt::format("no fragment, as in {}", expected));
  }

  ParsedUrl result;
  const std::string_view host = url.encoded_host();
  if (host.find('%') != std::string_view::npos) {
    fail_value(path, text,
               fmt::format("a host without %-escapes, as in {}", expected));
  }
  result.host = std::string(url.encoded_host_address());
  if (url.has_port()) {
    const std::string_view port = url.port();
    unsigned value = 0;
    const auto [end, error] =
        std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || error != std::errc() ||
        end != port.data() + port.size() || value < 1 || value > 65535) {
      fail_value(path, text, "a port from 1 to 65535");
    }
    result.port = static_cast<std::uint16_t>(value);
    result.has_port = true;
  }
  result.normalized = fmt::format("{}://{}", scheme, host);
  if (result.has_port) {
    result.normalized += fmt::format(":{}", result.port);
  }
  return result;
}

// Sets url, host, port and, when it is empty, name.
void apply_url(ApplianceConfig& appliance, std::string_view text,
               std::string_view path) {
  const ParsedUrl url = parse_url(text, path, "https");
  appliance.url = url.normalized;
  appliance.host = url.host;
  appliance.port = url.has_port ? url.port : 443;
  if (appliance.name.empty()) {
    appliance.name = url.host;
  }
}

void check_name(std::string_view name, std::string_view path) {
  bool printable = !name.empty();
  for (const char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    printable = printable && byte >= 0x20 && byte != 0x7f;
  }
  if (!printable || name.size() > 128) {
    fail_value(path, name, "1 to 128 bytes of text without control characters");
  }
}

// Removes the newline that editors and `echo` leave at the end of a file.
std::string trim_trailing_newlines(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
    text.pop_back();
  }
  return text;
}

Secret read_secret_file(const std::filesystem::path& file,
                        std::string_view path) {
  std::string secret = trim_trailing_newlines(
      config_text::read_file(file, path, kMaxConfigFileBytes));
  if (secret.empty()) {
    throw ConfigError(
        fmt::format("invalid {} {}: the file is empty, "
                    "expected the client secret",
                    path, quote(file.string())));
  }
  return Secret(std::move(secret));
}

PollDefaults defaults_from_settings(const Settings& settings) {
  PollDefaults defaults{
      .poll_interval = {settings.poll_interval, "--poll.interval"},
      .timeout = {settings.poll_timeout, "--poll.timeout"},
      .max_staleness = std::nullopt,
  };
  if (settings.poll_max_staleness) {
    defaults.max_staleness = {*settings.poll_max_staleness,
                              "--poll.max-staleness"};
  }
  return defaults;
}

// Sets the poll timing of one appliance, or of the defaults block, from
// the keys of `node` and what it inherits. An inherited timeout longer
// than the interval shrinks to the interval, as Prometheus does for
// scrape_timeout; every other conflict is an error.
PollDefaults resolve_timing(const YAML::Node& node, std::string_view path,
                            const PollDefaults& inherited) {
  PollDefaults timing = inherited;
  const std::string interval_path = join(path, "poll_interval");
  const std::string timeout_path = join(path, "timeout");
  const std::string staleness_path = join(path, "max_staleness");

  if (has(node, "poll_interval")) {
    timing.poll_interval = {read_duration(node["poll_interval"], interval_path),
                            interval_path};
  }
  check_poll_interval(timing.poll_interval.value, timing.poll_interval.source);

  if (has(node, "timeout")) {
    timing.timeout = {read_duration(node["timeout"], timeout_path),
                      timeout_path};
    if (timing.timeout.value <= 0ms ||
        timing.timeout.value > timing.poll_interval.value) {
      fail_value(timeout_path, format_duration(timing.timeout.value),
                 fmt::format("more than 0s and at most poll_interval ({})",
                             format_duration(timing.poll_interval.value)));
    }
  } else if (timing.timeout.value > timing.poll_interval.value) {
    timing.timeout.value = timing.poll_interval.value;
  }

  if (has(node, "max_staleness")) {
    timing.max_staleness = {
        read_duration(node["max_staleness"], staleness_path), staleness_path};
  }
  if (timing.max_staleness) {
    const SourcedDuration& staleness = *timing.max_staleness;
    if (staleness.value < timing.poll_interval.value ||
        staleness.value > kMaxStaleness) {
      const std::string where =
          staleness.source == staleness_path
              ? staleness.source
              : fmt::format("{} for {}", staleness.source,
                            path.empty() ? "the defaults" : path);
      fail_value(where, format_duration(staleness.value),
                 fmt::format("at least poll_interval ({}) and at most 1w",
                             format_duration(timing.poll_interval.value)));
    }
  }
  return timing;
}

void apply_timing(ApplianceConfig& appliance, const PollDefaults& timing) {
  appliance.poll_interval = timing.poll_interval.value;
  appliance.timeout = timing.timeout.value;
  appliance.max_staleness = timing.max_staleness
                                ? timing.max_staleness->value
                                : 3 * timing.poll_interval.value;
}

TlsConfig parse_tls_config(const YAML::Node& node, std::string_view path,
                           const std::filesystem::path& base_dir) {
  config_text::check_keys(node, path,
                          {"ca_file", "cert_file", "key_file", "server_name",
                           "insecure_skip_verify"});
  TlsConfig tls;
  if (config_text::is_empty(node)) {
    return tls;
  }

  // Each file must be readable now, so a typo fails at load time.
  const auto read_path = [&](std::string_view key) -> std::string {
    const std::string key_path = join(path, key);
    const std::string value =
        config_text::read_string(node[std::string(key)], key_path);
    if (value.empty()) {
      return value;
    }
    const auto file = config_text::resolve(base_dir, value);
    config_text::check_readable(file, key_path);
    return file.string();
  };
  tls.ca_file = read_path("ca_file");
  tls.cert_file = read_path("cert_file");
  tls.key_file = read_path("key_file");
  if (tls.cert_file.empty() != tls.key_file.empty()) {
    const std::string_view missing =
        tls.cert_file.empty() ? "cert_file" : "key_file";
    throw ConfigError(
        fmt::format("missing {}: cert_file and key_file must be set together",
                    join(path, missing)));
  }

  const std::string server_name_path = join(path, "server_name");
  tls.server_name =
      config_text::read_string(node["server_name"], server_name_path);
  if (!tls.server_name.empty() &&
      tls.server_name.find_first_of(" /:@\t\r\n") != std::string::npos) {
    fail_value(server_name_path, tls.server_name, "a host name");
  }

  if (has(node, "insecure_skip_verify")) {
    tls.insecure_skip_verify = config_text::read_bool(
        node["insecure_skip_verify"], join(path, "insecure_skip_verify"));
  }
  return tls;
}

void parse_secret(const YAML::Node& node, std::string_view path,
                  const std::filesystem::path& base_dir,
                  ApplianceConfig& appliance) {
  const std::string secret_path = join(path, "client_secret");
  const std::string file_path = join(path, "client_secret_file");
  const bool inline_secret = has(node, "client_secret");
  const bool file_secret = has(node, "client_secret_file");
  if (inline_secret && file_secret) {
    throw ConfigError(fmt::format(
        "invalid {}: set client_secret or client_secret_file, not both", path));
  }
  if (!inline_secret && !file_secret) {
    throw ConfigError(fmt::format(
        "missing {}: expected client_secret_file or client_secret", file_path));
  }

  if (inline_secret) {
    // The value never goes into a message.
    const YAML::Node value = node["client_secret"];
    if (config_text::is_empty(value) || !value.IsScalar() ||
        value.Scalar().empty()) {
      throw ConfigError(
          fmt::format("invalid {}: expected a non-empty string", secret_path));
    }
    appliance.client_secret = Secret(value.Scalar());
    return;
  }

  const std::string file_name =
      config_text::read_string(node["client_secret_file"], file_path);
  const auto file = config_text::resolve(base_dir, file_name);
  appliance.client_secret = read_secret_file(file, file_path);
  appliance.client_secret_file = file.string();
}

ApplianceConfig parse_appliance(const YAML::Node& node, std::string_view path,
                                const PollDefaults& defaults,
                                const std::filesystem::path& base_dir) {
  config_text::check_keys(
      node, path,
      {"name", "url", "client_id", "client_secret", "client_secret_file",
       "poll_interval", "timeout", "max_staleness", "tls_config", "proxy_url",
       "rep_metrics", "rep_name_labels", "max_response_bytes"});
  if (node.IsNull()) {
    throw ConfigError(
        fmt::format("invalid {} (empty): expected a map with "
                    "url, client_id and a client secret",
                    path));
  }
  ApplianceConfig appliance;

  // Where and who.
  const std::string url_path = join(path, "url");
  const std::string url = config_text::read_string(node["url"], url_path);
  if (url.empty()) {
    throw ConfigError(
        fmt::format("missing {}: expected https://host[:port]", url_path));
  }
  const std::string name_path = join(path, "name");
  if (has(node, "name")) {
    appliance.name = config_text::read_string(node["name"], name_path);
    check_name(appliance.name, name_path);
  }
  apply_url(appliance, url, url_path);
  check_name(appliance.name, name_path);

  const std::string client_id_path = join(path, "client_id");
  appliance.client_id =
      config_text::read_string(node["client_id"], client_id_path);
  if (appliance.client_id.empty()) {
    throw ConfigError(fmt::format(
        "missing {}: expected the OAuth client ID of the API account",
        client_id_path));
  }
  parse_secret(node, path, base_dir, appliance);

  // When.
  apply_timing(appliance, resolve_timing(node, path, defaults));

  // How.
  if (has(node, "tls_config")) {
    appliance.tls_config = parse_tls_config(node["tls_config"],
                                            join(path, "tls_config"), base_dir);
  }
  if (has(node, "proxy_url")) {
    const std::string proxy_path = join(path, "proxy_url");
    const std::string proxy =
        config_text::read_string(node["proxy_url"], proxy_path);
    const ParsedUrl parsed = parse_url(proxy, proxy_path, "http");
    if (!parsed.has_port) {
      fail_value(proxy_path, proxy, "a port, as in http://host:port");
    }
    appliance.proxy_url = parsed.normalized;
  }
  if (has(node, "rep_metrics")) {
    appliance.rep_metrics =
        config_text::read_bool(node["rep_metrics"], join(path, "rep_metrics"));
  }
  if (has(node, "rep_name_labels")) {
    appliance.rep_name_labels = config_text::read_bool(
        node["rep_name_labels"], join(path, "rep_name_labels"));
  }
  if (has(node, "max_response_bytes")) {
    const std::string size_path = join(path, "max_response_bytes");
    const YAML::Node value = node["max_response_bytes"];
    const auto size = !config_text::is_empty(value) && value.IsScalar()
                          ? parse_size(value.Scalar())
                          : std::nullopt;
    if (!size || *size < kMinResponseBytes || *size > kMaxResponseBytes) {
      throw ConfigError(fmt::format(
          "invalid {} {}: expected a size from 1KiB to 1GiB, such as 16MiB "
          "or 1048576",
          size_path, describe(value)));
    }
    appliance.max_response_bytes = *size;
  }
  return appliance;
}

// Appliance names are the `appliance` label, so two alike would mix their
// series.
void check_unique_names(const Config& config) {
  std::map<std::string_view, std::size_t> first_index;
  for (std::size_t i = 0; i < config.appliances.size(); ++i) {
    const std::string& name = config.appliances[i].name;
    const auto [it, inserted] = first_index.emplace(name, i);
    if (!inserted) {
      throw ConfigError(fmt::format(
          "duplicate appliances[{}].name {}: appliances[{}] has the same "
          "name (names default to the URL's host), set a unique name",
          i, quote(name), it->second));
    }
  }
}

// The poll timing of the top-level `defaults` block over the flags.
PollDefaults parse_defaults(const YAML::Node& root, const Settings& settings) {
  const PollDefaults from_flags = defaults_from_settings(settings);
  if (!has(root, "defaults")) {
    return from_flags;
  }
  const YAML::Node node = root["defaults"];
  config_text::check_keys(node, "defaults",
                          {"poll_interval", "timeout", "max_staleness"});
  return resolve_timing(node, "defaults", from_flags);
}

// One appliance from the --appliance.* flags and the environment.
Config config_from_flags(const Settings& settings,
                         const EnvironmentLookup& environment) {
  if (settings.appliance_url.empty()) {
    throw ConfigError(
        "no appliance configured: give --config.file with an appliances "
        "list, or --appliance.url for one appliance");
  }
  ApplianceConfig appliance;
  if (!settings.appliance_name.empty()) {
    appliance.name = settings.appliance_name;
    check_name(appliance.name, "--appliance.name");
  }
  apply_url(appliance, settings.appliance_url, "--appliance.url");

  // Flags win over the environment.
  appliance.client_id = settings.client_id;
  if (appliance.client_id.empty()) {
    appliance.client_id =
        environment(std::string(kClientIdVariable)).value_or("");
  }
  if (appliance.client_id.empty()) {
    throw ConfigError(fmt::format(
        "missing client ID for --appliance.url: set --appliance.client-id "
        "or {}",
        kClientIdVariable));
  }

  if (!settings.client_secret_file.empty()) {
    appliance.client_secret = read_secret_file(
        settings.client_secret_file, "--appliance.client-secret-file");
    appliance.client_secret_file = settings.client_secret_file;
  } else if (auto secret = environment(std::string(kClientSecretVariable))) {
    if (secret->empty()) {
      throw ConfigError(fmt::format(
          "invalid {}: the variable is empty, expected the client secret",
          kClientSecretVariable));
    }
    appliance.client_secret = Secret(std::move(*secret));
  } else {
    throw ConfigError(
        fmt::format("missing client secret for --appliance.url: set "
                    "--appliance.client-secret-file or {}",
                    kClientSecretVariable));
  }

  apply_timing(appliance, resolve_timing(YAML::Node(), "",
                                         defaults_from_settings(settings)));
  Config config;
  config.appliances.push_back(std::move(appliance));
  return config;
}

// Writes one key and a scalar value.
template <class T>
void emit(YAML::Emitter& out, std::string_view key, const T& value) {
  out << YAML::Key << std::string(key) << YAML::Value << value;
}

void emit_duration(YAML::Emitter& out, std::string_view key,
                   milliseconds value) {
  emit(out, key, format_duration(value));
}

void emit_settings(YAML::Emitter& out, const Settings& settings) {
  out << YAML::Key << "flags" << YAML::Value << YAML::BeginMap;
  emit(out, "config.file", settings.config_file);
  // Quoted, because a plain scalar that starts with a colon reads badly.
  out << YAML::Key << "web.listen-address" << YAML::Value << YAML::Flow
      << YAML::BeginSeq;
  for (const std::string& address : settings.listen_addresses) {
    out << YAML::DoubleQuoted << address;
  }
  out << YAML::EndSeq;
  emit(out, "web.telemetry-path", settings.telemetry_path);
  emit(out, "web.max-requests", settings.max_requests);
  emit(out, "web.config.file", settings.web_config_file);
  emit(out, "log.level", std::string(to_string(settings.log_level)));
  emit(out, "log.format",
       std::string(to_string(settings.log_format)));
  emit_duration(out, "poll.interval", settings.poll_interval);
  emit_duration(out, "poll.timeout", settings.poll_timeout);
  if (settings.poll_max_staleness) {
    emit_duration(out, "poll.max-staleness", *settings.poll_max_staleness);
  }
  out << YAML::EndMap;
}

void emit_appliance(YAML::Emitter& out, const ApplianceConfig& appliance) {
  out << YAML::BeginMap;
  emit(out, "name", appliance.name);
  emit(out, "url", appliance.url);
  emit(out, "client_id", appliance.client_id);
  emit(out, "client_secret", std::string("<secret>"));
  if (!appliance.client_secret_file.empty()) {
    emit(out, "client_secret_file", appliance.client_secret_file);
  }
  emit_duration(out, "poll_interval", appliance.poll_interval);
  emit_duration(out, "timeout", appliance.timeout);
  emit_duration(out, "max_staleness", appliance.max_staleness);

  const TlsConfig& tls = appliance.tls_config;
  out << YAML::Key << "tls_config" << YAML::Value << YAML::BeginMap;
  emit(out, "ca_file", tls.ca_file);
  emit(out, "cert_file", tls.cert_file);
  emit(out, "key_file", tls.key_file);
  emit(out, "server_name", tls.server_name);
  emit(out, "insecure_skip_verify", tls.insecure_skip_verify);
  out << YAML::EndMap;

  emit(out, "proxy_url", appliance.proxy_url);
  emit(out, "rep_metrics", appliance.rep_metrics);
  emit(out, "rep_name_labels", appliance.rep_name_labels);
  emit(out, "max_response_bytes", appliance.max_response_bytes);
  out << YAML::EndMap;
}

}  // namespace

std::optional<std::string> process_environment(const std::string& name) {
  // NOTE: std::getenv is not safe against a concurrent setenv; the
  // exporter reads the environment only while loading its config.
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) {
    return std::nullopt;
  }
  return std::string(value);
}

Config parse_config(std::string_view yaml, const Settings& defaults,
                    const std::filesystem::path& base_dir) {
  const YAML::Node root = config_text::parse_yaml(yaml);
  if (!root.IsMap()) {
    throw ConfigError(
        fmt::format("invalid config {}: expected a map with an appliances list",
                    describe(root)));
  }
  config_text::check_keys(root, "", {"appliances", "defaults"});

  const PollDefaults poll_defaults = parse_defaults(root, defaults);

  if (!has(root, "appliances")) {
    throw ConfigError(
        "missing appliances: expected a list with at least one appliance");
  }
  const YAML::Node appliances = root["appliances"];
  if (!appliances.IsSequence() || appliances.size() == 0) {
    throw ConfigError(fmt::format(
        "invalid appliances {}: expected a list with at least one appliance",
        describe(appliances)));
  }

  Config config;
  for (std::size_t i = 0; i < appliances.size(); ++i) {
    config.appliances.push_back(
        parse_appliance(appliances[i], fmt::format("appliances[{}]", i),
                        poll_defaults, base_dir));
  }
  check_unique_names(config);
  return config;
}

Config load_config(const Settings& settings,
                   const EnvironmentLookup& environment) {
  if (settings.config_file.empty()) {
    return config_from_flags(settings, environment);
  }
  const std::filesystem::path file(settings.config_file);
  const std::string text =
      config_text::read_file(file, "--config.file", kMaxConfigFileBytes);
  try {
    return parse_config(text, settings, file.parent_path());
  } catch (const ConfigError& error) {
    throw ConfigError(fmt::format("{}: {}", file.string(), error.what()));
  }
}

std::string describe_config(const Settings& settings, const Config& config) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  emit_settings(out, settings);
  out << YAML::Key << "appliances" << YAML::Value << YAML::BeginSeq;
  for (const ApplianceConfig& appliance : config.appliances) {
    emit_appliance(out, appliance);
  }
  out << YAML::EndSeq << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

int run_config_check(const Settings& settings, std::ostream& out,
                     std::ostream& err, const EnvironmentLookup& environment) {
  try {
    const Config config = load_config(settings, environment);
    std::optional<WebConfig> web_config;
    if (!settings.web_config_file.empty()) {
      web_config = load_web_config(settings.web_config_file);
    }

    out << describe_config(settings, config);
    if (web_config) {
      // Indent the web config under its own key.
      out << "web_config:\n";
      std::istringstream lines(describe_web_config(*web_config));
      for (std::string line; std::getline(lines, line);) {
        out << "  " << line << '\n';
      }
    }
    return 0;
  } catch (const ConfigError& error) {
    err << error.what() << '\n';
    return 2;
  }
}

}  // namespace beyondtrust_exporter
