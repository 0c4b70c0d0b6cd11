#include "beyondtrust_exporter/config_loader.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "beyondtrust_exporter/duration.hpp"

namespace beyondtrust_exporter {
namespace {

using namespace std::chrono_literals;

const std::filesystem::path kFixtures =
    std::filesystem::path(BEYONDTRUST_EXPORTER_FIXTURES_DIR) / "config";

// A stand-in for the process environment.
EnvironmentLookup environment_of(std::map<std::string, std::string> values) {
  return [values = std::move(values)](
             const std::string& name) -> std::optional<std::string> {
    const auto it = values.find(name);
    if (it == values.end()) {
      return std::nullopt;
    }
    return it->second;
  };
}

// Returns the ConfigError message of parse_config, or "" when it succeeds.
std::string parse_error(const std::string& yaml,
                        const Settings& settings = Settings()) {
  try {
    parse_config(yaml, settings, kFixtures);
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "";
}

// One appliance entry with the required keys and `extra` lines appended.
std::string appliance_yaml(const std::string& extra) {
  return "appliances:\n"
         "  - url: https://bt.example.com\n"
         "    client_id: id\n"
         "    client_secret: s\n" +
         extra;
}

TEST(Duration, ParsesPrometheusForms) {
  EXPECT_EQ(parse_duration("30s"), std::chrono::milliseconds(30s));
  EXPECT_EQ(parse_duration("1m30s"), std::chrono::milliseconds(90s));
  EXPECT_EQ(parse_duration("500ms"), std::chrono::milliseconds(500));
  EXPECT_EQ(parse_duration("1h"), std::chrono::milliseconds(1h));
  EXPECT_EQ(parse_duration("2d"), std::chrono::milliseconds(48h));
  EXPECT_EQ(parse_duration("1w"), std::chrono::milliseconds(7 * 24h));
  EXPECT_EQ(parse_duration("1y"), std::chrono::milliseconds(365 * 24h));
  EXPECT_EQ(parse_duration("1h1m1s1ms"), std::chrono::milliseconds(3661001));
  EXPECT_EQ(parse_duration("0"), std::chrono::milliseconds(0));
}

TEST(Duration, RejectsOtherText) {
  EXPECT_EQ(parse_duration(""), std::nullopt);
  EXPECT_EQ(parse_duration("5x"), std::nullopt);
  EXPECT_EQ(parse_duration("30"), std::nullopt);
  EXPECT_EQ(parse_duration("-5s"), std::nullopt);
  EXPECT_EQ(parse_duration("1.5s"), std::nullopt);
  EXPECT_EQ(parse_duration("30s1m"), std::nullopt);
  EXPECT_EQ(parse_duration("1s1s"), std::nullopt);
  EXPECT_EQ(parse_duration("s"), std::nullopt);
  EXPECT_EQ(parse_duration(" 30s"), std::nullopt);
  EXPECT_EQ(parse_duration("99999999999999999999s"), std::nullopt);
  EXPECT_EQ(parse_duration("9223372036854775807y"), std::nullopt);
}

TEST(Duration, FormatsLargestUnitsFirst) {
  EXPECT_EQ(format_duration(90s), "1m30s");
  EXPECT_EQ(format_duration(0s), "0s");
  EXPECT_EQ(format_duration(std::chrono::milliseconds(1500)), "1s500ms");
  EXPECT_EQ(format_duration(48h), "2d");
  EXPECT_EQ(format_duration(std::chrono::milliseconds(-2000)), "-2s");
}

TEST(ParseConfig, ReadsEveryField) {
  std::ifstream file(kFixtures / "full.yml");
  std::stringstream text;
  text << file.rdbuf();
  const Config config = parse_config(text.str(), Settings(), kFixtures);

  ASSERT_EQ(config.appliances.size(), 2u);
  const ApplianceConfig& first = config.appliances[0];
  EXPECT_EQ(first.name, "support-eu");
  EXPECT_EQ(first.url, "https://support.example.com:8443");
  EXPECT_EQ(first.host, "support.example.com");
  EXPECT_EQ(first.port, 8443);
  EXPECT_EQ(first.client_id, "0123456789abcdef");
  EXPECT_EQ(first.client_secret.reveal(), "test-client-secret-value");
  EXPECT_EQ(first.client_secret_file,
            (kFixtures / "client-secret.txt").string());
  EXPECT_EQ(first.poll_interval, 45s);
  EXPECT_EQ(first.timeout, 15s);
  EXPECT_EQ(first.max_staleness, 3min);
  EXPECT_EQ(first.tls_config.ca_file, (kFixtures / "test-ca.pem").string());
  EXPECT_EQ(first.tls_config.cert_file, (kFixtures / "test-cert.pem").string());
  EXPECT_EQ(first.tls_config.key_file, (kFixtures / "test-key.pem").string());
  EXPECT_EQ(first.tls_config.server_name, "support.example.com");
  EXPECT_FALSE(first.tls_config.insecure_skip_verify);
  EXPECT_EQ(first.proxy_url, "http://proxy.example.com:3128");
  EXPECT_FALSE(first.rep_metrics);
  EXPECT_FALSE(first.rep_name_labels);
  EXPECT_EQ(first.max_response_bytes, 4u * 1024 * 1024);
}

TEST(ParseConfig, AppliesDefaultsBlock) {
  std::ifstream file(kFixtures / "full.yml");
  std::stringstream text;
  text << file.rdbuf();
  const Config config = parse_config(text.str(), Settings(), kFixtures);

  ASSERT_EQ(config.appliances.size(), 2u);
  const ApplianceConfig& second = config.appliances[1];
  EXPECT_EQ(second.name, "pra.example.org");
  EXPECT_EQ(second.url, "https://pra.example.org");
  EXPECT_EQ(second.port, 443);
  EXPECT_EQ(second.client_secret.reveal(), "inline-test-secret");
  EXPECT_EQ(second.client_secret_file, "");
  EXPECT_EQ(second.poll_interval, 1min);
  EXPECT_EQ(second.timeout, 20s);
  EXPECT_EQ(second.max_staleness, 5min);
  EXPECT_EQ(second.tls_config, TlsConfig());
  EXPECT_EQ(second.proxy_url, "");
  EXPECT_TRUE(second.rep_metrics);
  EXPECT_TRUE(second.rep_name_labels);
  EXPECT_EQ(second.max_response_bytes, 16u * 1024 * 1024);
}

TEST(ParseConfig, TakesTimingFromSettings) {
  Settings settings;
  settings.poll_interval = 2min;
  settings.poll_timeout = 30s;
  const Config config = parse_config(appliance_yaml(""), settings, kFixtures);

  ASSERT_EQ(config.appliances.size(), 1u);
  EXPECT_EQ(config.appliances[0].poll_interval, 2min);
  EXPECT_EQ(config.appliances[0].timeout, 30s);
  EXPECT_EQ(config.appliances[0].max_staleness, 6min);
}

TEST(ParseConfig, ShrinksInheritedTimeoutToInterval) {
  const Config config = parse_config(appliance_yaml("    poll_interval: 5s\n"),
                                     Settings(), kFixtures);

  ASSERT_EQ(config.appliances.size(), 1u);
  EXPECT_EQ(config.appliances[0].timeout, 5s);
  EXPECT_EQ(config.appliances[0].max_staleness, 15s);
}

TEST(ParseConfig, ResolvesRelativePathsAgainstBaseDir) {
  const Config config =
      parse_config(appliance_yaml("    tls_config:\n"
                                  "      ca_file: test-ca.pem\n"),
                   Settings(), kFixtures);

  ASSERT_EQ(config.appliances.size(), 1u);
  EXPECT_EQ(config.appliances[0].tls_config.ca_file,
            (kFixtures / "test-ca.pem").string());
}

TEST(ParseConfig, KeepsAbsolutePaths) {
  const std::string secret = (kFixtures / "client-secret.txt").string();
  const Config config = parse_config(
      "appliances:\n"
      "  - url: https://bt.example.com\n"
      "    client_id: id\n"
      "    client_secret_file: " +
          secret + "\n",
      Settings(), "/nonexistent");

  ASSERT_EQ(config.appliances.size(), 1u);
  EXPECT_EQ(config.appliances[0].client_secret_file, secret);
  EXPECT_EQ(config.appliances[0].client_secret.reveal(),
            "test-client-secret-value");
}

TEST(ParseConfig, SecretFileKeepsNoSpareCapacity) {
  const Config config = parse_config(
      "appliances:\n"
      "  - url: https://bt.example.com\n"
      "    client_id: id\n"
      "    client_secret_file: client-secret.txt\n",
      Settings(), kFixtures);

  // The secret lives as long as the process, once per appliance, so a read
  // buffer the size of the file limit must not stay behind in it.
  ASSERT_EQ(config.appliances.size(), 1u);
  EXPECT_LT(config.appliances[0].client_secret.reveal().capacity(), 4096u);
}

TEST(ParseConfig, SecretFileSizeLimit) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      ("config_loader_test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string yaml =
      "appliances:\n"
      "  - url: https://bt.example.com\n"
      "    client_id: id\n"
      "    client_secret_file: secret.txt\n";
  {
    std::ofstream(dir / "secret.txt", std::ios::binary)
        << std::string(kMaxConfigFileBytes, 's');
  }
  const Config config = parse_config(yaml, Settings(), dir);
  ASSERT_EQ(config.appliances.size(), 1u);
  EXPECT_EQ(config.appliances[0].client_secret.reveal().size(),
            kMaxConfigFileBytes);

  {
    std::ofstream(dir / "secret.txt", std::ios::binary)
        << std::string(kMaxConfigFileBytes + 1, 's');
  }
  std::string error;
  try {
    parse_config(yaml, Settings(), dir);
  } catch (const ConfigError& e) {
    error = e.what();
  }
  std::filesystem::remove_all(dir);
  EXPECT_EQ(error, "invalid appliances[0].client_secret_file \"" +
                       (dir / "secret.txt").string() +
                       "\": the file is larger than 1048576 bytes");
}

TEST(ParseConfig, AcceptsIpv6Host) {
  const Config config = parse_config(
      "appliances:\n"
      "  - url: https://[::1]:8443\n"
      "    client_id: id\n"
      "    client_secret: s\n",
      Settings(), kFixtures);

  ASSERT_EQ(config.appliances.size(), 1u);
  EXPECT_EQ(config.appliances[0].host, "::1");
  EXPECT_EQ(config.appliances[0].port, 8443);
  EXPECT_EQ(config.appliances[0].url, "https://[::1]:8443");
  EXPECT_EQ(config.appliances[0].name, "::1");
}

struct BadConfig {
  std::string yaml;
  std::string error;
};

// Each bad config with its exact one-line error.
const BadConfig kBadConfigs[] = {
    {"", "invalid config (empty): expected a map with an appliances list"},
    {"- a\n",
     "invalid config (a list): expected a map with an appliances "
     "list"},
    {"appliances: [\n",
     "invalid YAML at line 2, column 1: end of sequence "
     "flow not found"},
    {"appliance: []\n",
     "unknown key \"appliance\" in the top level: allowed "
     "keys are appliances, defaults"},
    {"defaults: {}\n",
     "missing appliances: expected a list with at least "
     "one appliance"},
    {"appliances: []\n",
     "invalid appliances (a list): expected a list with "
     "at least one appliance"},
    {"appliances: x\n",
     "invalid appliances \"x\": expected a list with at "
     "least one appliance"},
    {"appliances:\n  - \n",
     "invalid appliances[0] (empty): expected a map "
     "with url, client_id and a client secret"},
    {"appliances:\n  - url: https://a.example.com\n    url: https://b\n",
     "duplicate key \"url\" in appliances[0]: each key may appear once"},
    {appliance_yaml("    clinet_id: x\n"),
     "unknown key \"clinet_id\" in appliances[0]: allowed keys are name, "
     "url, client_id, client_secret, client_secret_file, poll_interval, "
     "timeout, max_staleness, tls_config, proxy_url, rep_metrics, "
     "rep_name_labels, max_response_bytes"},
    {"appliances:\n  - client_id: id\n    client_secret: s\n",
     "missing appliances[0].url: expected https://host[:port]"},
    {"appliances:\n  - url: http://bt.example.com\n    client_id: id\n"
     "    client_secret: s\n",
     "invalid appliances[0].url \"http://bt.example.com\": expected the "
     "https scheme, as in https://host[:port]"},
    {"appliances:\n  - url: bt.example.com\n    client_id: id\n"
     "    client_secret: s\n",
     "invalid appliances[0].url \"bt.example.com\": expected "
     "https://host[:port]"},
    {"appliances:\n  - url: https://bt.example.com/api\n    client_id: id\n"
     "    client_secret: s\n",
     "invalid appliances[0].url \"https://bt.example.com/api\": expected no "
     "path, as in https://host[:port]"},
    {"appliances:\n  - url: https://bt.example.com?a=b\n    client_id: id\n"
     "    client_secret: s\n",
     "invalid appliances[0].url \"https://bt.example.com?a=b\": expected no "
     "query, as in https://host[:port]"},
    {"appliances:\n  - url: https://u:p@bt.example.com\n    client_id: id\n"
     "    client_secret: s\n",
     "invalid appliances[0].url \"https://u:p@bt.example.com\": expected no "
     "user info, as in https://host[:port]"},
    {"appliances:\n  - url: https://bt.example.com#x\n    client_id: id\n"
     "    client_secret: s\n",
     "invalid appliances[0].url \"https://bt.example.com#x\": expected no "
     "fragment, as in https://host[:port]"},
    {"appliances:\n  - url: https://:443\n    client_id: id\n"
     "    client_secret: s\n",
     "invalid appliances[0].url \"https://:443\": expected a host, as in "
     "https://host[:port]"},
    {"appliances:\n  - url: https://bt.example.com:70000\n"
     "    client_id: id\n    client_secret: s\n",
     "invalid appliances[0].url \"https://bt.example.com:70000\": expected a "
     "port from 1 to 65535"},
    {"appliances:\n  - url: https://bt.example.com\n    client_secret: s\n",
     "missing appliances[0].client_id: expected the OAuth client ID of the "
     "API account"},
    {"appliances:\n  - url: https://bt.example.com\n    client_id: id\n",
     "missing appliances[0].client_secret_file: expected client_secret_file "
     "or client_secret"},
    {appliance_yaml("    client_secret_file: client-secret.txt\n"),
     "invalid appliances[0]: set client_secret or client_secret_file, not "
     "both"},
    {"appliances:\n  - url: https://bt.example.com\n    client_id: id\n"
     "    client_secret: ''\n",
     "invalid appliances[0].client_secret: expected a non-empty string"},
    {"appliances:\n  - url: https://bt.example.com\n    client_id: id\n"
     "    client_secret_file: empty-secret.txt\n",
     "invalid appliances[0].client_secret_file \"" +
         (kFixtures / "empty-secret.txt").string() +
         "\": the file is empty, expected the client secret"},
    {"appliances:\n  - url: https://bt.example.com\n    client_id: id\n"
     "    client_secret_file: missing.txt\n",
     "invalid appliances[0].client_secret_file \"" +
         (kFixtures / "missing.txt").string() + "\": file not found"},
    {"appliances:\n  - url: https://bt.example.com\n    client_id: id\n"
     "    client_secret_file: .\n",
     "invalid appliances[0].client_secret_file \"" +
         (kFixtures / ".").string() + "\": not a regular file"},
    {appliance_yaml("    poll_interval: 5x\n"),
     "invalid appliances[0].poll_interval \"5x\": expected a duration such "
     "as 30s or 1m"},
    {appliance_yaml("    poll_interval: [1]\n"),
     "invalid appliances[0].poll_interval (a list): expected a duration "
     "such as 30s or 1m"},
    {appliance_yaml("    poll_interval: 500ms\n"),
     "invalid appliances[0].poll_interval \"500ms\": expected from 1s to "
     "1d"},
    {appliance_yaml("    timeout: 0\n"),
     "invalid appliances[0].timeout \"0s\": expected more than 0s and at "
     "most poll_interval (30s)"},
    {appliance_yaml("    timeout: 1m\n"),
     "invalid appliances[0].timeout \"1m\": expected more than 0s and at "
     "most poll_interval (30s)"},
    {appliance_yaml("    max_staleness: 10s\n"),
     "invalid appliances[0].max_staleness \"10s\": expected at least "
     "poll_interval (30s) and at most 1w"},
    {"defaults:\n  max_staleness: 1m\n" +
         appliance_yaml("    poll_interval: 2m\n"),
     "invalid defaults.max_staleness for appliances[0] \"1m\": expected at "
     "least poll_interval (2m) and at most 1w"},
    {"defaults:\n  poll_interval: 1m\n  timeout: 2m\n" + appliance_yaml(""),
     "invalid defaults.timeout \"2m\": expected more than 0s and at most "
     "poll_interval (1m)"},
    {"defaults:\n  interval: 1m\n" + appliance_yaml(""),
     "unknown key \"interval\" in defaults: allowed keys are poll_interval, "
     "timeout, max_staleness"},
    {appliance_yaml("    tls_config:\n      ca_file: nope.pem\n"),
     "invalid appliances[0].tls_config.ca_file \"" +
         (kFixtures / "nope.pem").string() + "\": file not found"},
    {appliance_yaml("    tls_config:\n      cert_file: test-cert.pem\n"),
     "missing appliances[0].tls_config.key_file: cert_file and key_file must "
     "be set together"},
    {appliance_yaml("    tls_config:\n      key_file: test-key.pem\n"),
     "missing appliances[0].tls_config.cert_file: cert_file and key_file "
     "must be set together"},
    {appliance_yaml("    tls_config:\n      insecure_skip_verify: maybe\n"),
     "invalid appliances[0].tls_config.insecure_skip_verify \"maybe\": "
     "expected true or false"},
    {appliance_yaml("    tls_config:\n      server_name: a b\n"),
     "invalid appliances[0].tls_config.server_name \"a b\": expected a host "
     "name"},
    {appliance_yaml("    tls_config:\n      ca: x\n"),
     "unknown key \"ca\" in appliances[0].tls_config: allowed keys are "
     "ca_file, cert_file, key_file, server_name, insecure_skip_verify"},
    {appliance_yaml("    proxy_url: https://proxy.example.com:3128\n"),
     "invalid appliances[0].proxy_url \"https://proxy.example.com:3128\": "
     "expected the http scheme, as in http://host[:port]"},
    {appliance_yaml("    proxy_url: http://proxy.example.com\n"),
     "invalid appliances[0].proxy_url \"http://proxy.example.com\": "
     "expected a port, as in http://host:port"},
    {appliance_yaml("    proxy_url: http://u:p@proxy.example.com:3128\n"),
     "invalid appliances[0].proxy_url \"http://u:p@proxy.example.com:3128\": "
     "expected no user info, as in http://host[:port]"},
    {appliance_yaml("    rep_metrics: 2\n"),
     "invalid appliances[0].rep_metrics \"2\": expected true or false"},
    {appliance_yaml("    max_response_bytes: 10\n"),
     "invalid appliances[0].max_response_bytes \"10\": expected a size from "
     "1KiB to 1GiB, such as 16MiB or 1048576"},
    {appliance_yaml("    max_response_bytes: 16MB\n"),
     "invalid appliances[0].max_response_bytes \"16MB\": expected a size "
     "from 1KiB to 1GiB, such as 16MiB or 1048576"},
    {appliance_yaml("    max_response_bytes: 2GiB\n"),
     "invalid appliances[0].max_response_bytes \"2GiB\": expected a size "
     "from 1KiB to 1GiB, such as 16MiB or 1048576"},
    {appliance_yaml("    name: \"a\\nb\"\n"),
     "invalid appliances[0].name \"a\\nb\": expected 1 to 128 bytes of text "
     "without control characters"},
    {appliance_yaml("") + "  - url: https://bt.example.com:8443\n"
                          "    client_id: id\n"
                          "    client_secret: s\n",
     "duplicate appliances[1].name \"bt.example.com\": appliances[0] has the "
     "same name (names default to the URL's host), set a unique name"},
    {appliance_yaml("    name: eu\n") + "  - url: https://other.example.com\n"
                                        "    name: eu\n"
                                        "    client_id: id\n"
                                        "    client_secret: s\n",
     "duplicate appliances[1].name \"eu\": appliances[0] has the same name "
     "(names default to the URL's host), set a unique name"},
};

TEST(ParseConfig, RejectsBadConfigsWithExactError) {
  for (const BadConfig& bad : kBadConfigs) {
    EXPECT_EQ(parse_error(bad.yaml), bad.error) << "config:\n" << bad.yaml;
  }
}

TEST(ParseConfig, ErrorsAreOneLine) {
  for (const BadConfig& bad : kBadConfigs) {
    EXPECT_EQ(bad.error.find('\n'), std::string::npos) << bad.error;
  }
}

TEST(ParseConfig, ErrorNeverShowsInlineSecret) {
  const std::string error = parse_error(
      "appliances:\n"
      "  - url: https://bt.example.com\n"
      "    client_id: id\n"
      "    client_secret: [do-not-print]\n");

  EXPECT_EQ(error,
            "invalid appliances[0].client_secret: expected a non-empty "
            "string");
}

TEST(LoadConfig, ReadsConfigFile) {
  Settings settings;
  settings.config_file = (kFixtures / "minimal.yml").string();
  const Config config = load_config(settings, environment_of({}));

  ASSERT_EQ(config.appliances.size(), 1u);
  EXPECT_EQ(config.appliances[0].client_secret.reveal(),
            "test-client-secret-value");
}

TEST(LoadConfig, NamesFileInError) {
  Settings settings;
  settings.config_file = (kFixtures / "missing.yml").string();
  try {
    load_config(settings, environment_of({}));
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& error) {
    EXPECT_EQ(std::string(error.what()), "invalid --config.file \"" +
                                             settings.config_file +
                                             "\": file not found");
  }
}

TEST(LoadConfig, PrefixesParseErrorsWithFile) {
  Settings settings;
  settings.config_file = (kFixtures / "web-tls.yml").string();
  try {
    load_config(settings, environment_of({}));
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& error) {
    EXPECT_EQ(std::string(error.what()),
              settings.config_file +
                  ": unknown key \"tls_server_config\" in the top level: "
                  "allowed keys are appliances, defaults");
  }
}

TEST(LoadConfig, RequiresFileOrUrl) {
  try {
    load_config(Settings(), environment_of({}));
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& error) {
    EXPECT_EQ(std::string(error.what()),
              "no appliance configured: give --config.file with an "
              "appliances list, or --appliance.url for one appliance");
  }
}

Settings single_site() {
  Settings settings;
  settings.appliance_url = "https://bt.example.com";
  return settings;
}

TEST(LoadConfig, SingleSiteFromEnvironment) {
  const Config config = load_config(
      single_site(), environment_of({{"BEYONDTRUST_CLIENT_ID", "env-id"},
                                     {"BEYONDTRUST_CLIENT_SECRET", "env-s"}}));

  ASSERT_EQ(config.appliances.size(), 1u);
  const ApplianceConfig& appliance = config.appliances[0];
  EXPECT_EQ(appliance.name, "bt.example.com");
  EXPECT_EQ(appliance.url, "https://bt.example.com");
  EXPECT_EQ(appliance.client_id, "env-id");
  EXPECT_EQ(appliance.client_secret.reveal(), "env-s");
  EXPECT_EQ(appliance.poll_interval, 30s);
  EXPECT_EQ(appliance.timeout, 10s);
  EXPECT_EQ(appliance.max_staleness, 90s);
}

TEST(LoadConfig, FlagsWinOverEnvironment) {
  Settings settings = single_site();
  settings.appliance_name = "eu";
  settings.client_id = "flag-id";
  settings.client_secret_file = (kFixtures / "client-secret.txt").string();
  const Config config = load_config(
      settings, environment_of({{"BEYONDTRUST_CLIENT_ID", "env-id"},
                                {"BEYONDTRUST_CLIENT_SECRET", "env-s"}}));

  ASSERT_EQ(config.appliances.size(), 1u);
  EXPECT_EQ(config.appliances[0].name, "eu");
  EXPECT_EQ(config.appliances[0].client_id, "flag-id");
  EXPECT_EQ(config.appliances[0].client_secret.reveal(),
            "test-client-secret-value");
  EXPECT_EQ(config.appliances[0].client_secret_file,
            settings.client_secret_file);
}

TEST(LoadConfig, SingleSiteUsesPollFlags) {
  Settings settings = single_site();
  settings.poll_interval = 1min;
  settings.poll_timeout = 5s;
  settings.poll_max_staleness = 10min;
  const Config config = load_config(
      settings, environment_of({{"BEYONDTRUST_CLIENT_ID", "id"},
                                {"BEYONDTRUST_CLIENT_SECRET", "s"}}));

  ASSERT_EQ(config.appliances.size(), 1u);
  EXPECT_EQ(config.appliances[0].poll_interval, 1min);
  EXPECT_EQ(config.appliances[0].timeout, 5s);
  EXPECT_EQ(config.appliances[0].max_staleness, 10min);
}

std::string load_error(const Settings& settings,
                       std::map<std::string, std::string> environment) {
  try {
    load_config(settings, environment_of(std::move(environment)));
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "";
}

TEST(LoadConfig, SingleSiteNeedsClientId) {
  EXPECT_EQ(load_error(single_site(), {{"BEYONDTRUST_CLIENT_SECRET", "s"}}),
            "missing client ID for --appliance.url: set "
            "--appliance.client-id or BEYONDTRUST_CLIENT_ID");
}

TEST(LoadConfig, SingleSiteNeedsSecret) {
  EXPECT_EQ(load_error(single_site(), {{"BEYONDTRUST_CLIENT_ID", "id"}}),
            "missing client secret for --appliance.url: set "
            "--appliance.client-secret-file or BEYONDTRUST_CLIENT_SECRET");
}

TEST(LoadConfig, SingleSiteRejectsEmptySecret) {
  EXPECT_EQ(load_error(single_site(), {{"BEYONDTRUST_CLIENT_ID", "id"},
                                       {"BEYONDTRUST_CLIENT_SECRET", ""}}),
            "invalid BEYONDTRUST_CLIENT_SECRET: the variable is empty, "
            "expected the client secret");
}

TEST(LoadConfig, SingleSiteChecksUrl) {
  Settings settings;
  settings.appliance_url = "https://bt.example.com/login";
  EXPECT_EQ(load_error(settings, {{"BEYONDTRUST_CLIENT_ID", "id"},
                                  {"BEYONDTRUST_CLIENT_SECRET", "s"}}),
            "invalid --appliance.url \"https://bt.example.com/login\": "
            "expected no path, as in https://host[:port]");
}

TEST(LoadConfig, SecretFileFromFlagIsTrimmed) {
  Settings settings = single_site();
  settings.client_secret_file = (kFixtures / "client-secret.txt").string();
  const Config config =
      load_config(settings, environment_of({{"BEYONDTRUST_CLIENT_ID", "id"}}));

  ASSERT_EQ(config.appliances.size(), 1u);
  EXPECT_EQ(config.appliances[0].client_secret.reveal(),
            "test-client-secret-value");
}

TEST(DescribeConfig, MasksSecrets) {
  Settings settings;
  settings.config_file = (kFixtures / "full.yml").string();
  const Config config = load_config(settings, environment_of({}));
  const std::string text = describe_config(settings, config);

  EXPECT_EQ(text.find("test-client-secret-value"), std::string::npos);
  EXPECT_EQ(text.find("inline-test-secret"), std::string::npos);
  EXPECT_NE(text.find("client_secret: <secret>"), std::string::npos);
}

TEST(DescribeConfig, ShowsResolvedValues) {
  const Config config = load_config(
      single_site(), environment_of({{"BEYONDTRUST_CLIENT_ID", "env-id"},
                                     {"BEYONDTRUST_CLIENT_SECRET", "env-s"}}));
  const std::string text = describe_config(single_site(), config);

  EXPECT_EQ(text,
            "flags:\n"
            "  config.file: \"\"\n"
            "  web.listen-address: [\":9879\"]\n"
            "  web.telemetry-path: /metrics\n"
            "  web.max-requests: 40\n"
            "  web.config.file: \"\"\n"
            "  log.level: info\n"
            "  log.format: logfmt\n"
            "  poll.interval: 30s\n"
            "  poll.timeout: 10s\n"
            "appliances:\n"
            "  - name: bt.example.com\n"
            "    url: https://bt.example.com\n"
            "    client_id: env-id\n"
            "    client_secret: <secret>\n"
            "    poll_interval: 30s\n"
            "    timeout: 10s\n"
            "    max_staleness: 1m30s\n"
            "    tls_config:\n"
            "      ca_file: \"\"\n"
            "      cert_file: \"\"\n"
            "      key_file: \"\"\n"
            "      server_name: \"\"\n"
            "      insecure_skip_verify: false\n"
            "    proxy_url: \"\"\n"
            "    rep_metrics: true\n"
            "    rep_name_labels: true\n"
            "    max_response_bytes: 16777216\n");
}

TEST(ParseConfig, RejectsDeepNesting) {
  const std::string error =
      parse_error(std::string(100000, '[') + std::string(100000, ']'));

  EXPECT_TRUE(error.starts_with("invalid YAML at line 1, column ")) << error;
}

TEST(ExampleConfig, Loads) {
  // The example reads client_secret next to itself.
  const std::filesystem::path dir =
      std::filesystem::path(testing::TempDir()) / "example_config";
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(
      std::filesystem::path(BEYONDTRUST_EXPORTER_SOURCE_DIR) /
          "deploy/beyondtrust_exporter.yml",
      dir / "config.yml", std::filesystem::copy_options::overwrite_existing);
  std::ofstream(dir / "client_secret") << "example-secret\n";
  Settings settings;
  settings.config_file = (dir / "config.yml").string();

  const Config config = load_config(settings, environment_of({}));

  ASSERT_EQ(config.appliances.size(), 1u);
  EXPECT_EQ(config.appliances[0].name, "support-eu");
  EXPECT_EQ(config.appliances[0].client_secret.reveal(), "example-secret");
  EXPECT_EQ(config.appliances[0].max_staleness, 90s);
}

TEST(ConfigCheck, PrintsConfigAndReturnsZero) {
  Settings settings;
  settings.config_file = (kFixtures / "full.yml").string();
  settings.web_config_file = (kFixtures / "web-full.yml").string();
  std::ostringstream out;
  std::ostringstream err;

  EXPECT_EQ(run_config_check(settings, out, err, environment_of({})), 0);
  EXPECT_EQ(err.str(), "");
  EXPECT_NE(out.str().find("name: support-eu"), std::string::npos);
  EXPECT_NE(out.str().find("web_config:\n"), std::string::npos);
  EXPECT_NE(out.str().find("    prometheus: <secret>\n"), std::string::npos);
  EXPECT_EQ(out.str().find("$2y$"), std::string::npos);
  EXPECT_EQ(out.str().find("test-client-secret-value"), std::string::npos);
}

TEST(ConfigCheck, ReturnsTwoWithOneLineError) {
  Settings settings;
  settings.config_file = (kFixtures / "missing.yml").string();
  std::ostringstream out;
  std::ostringstream err;

  EXPECT_EQ(run_config_check(settings, out, err, environment_of({})), 2);
  EXPECT_EQ(out.str(), "");
  EXPECT_EQ(err.str(), "invalid --config.file \"" + settings.config_file +
                           "\": file not found\n");
}

}  // namespace
}  // namespace beyondtrust_exporter
