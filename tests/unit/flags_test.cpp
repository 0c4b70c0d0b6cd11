#include "beyondtrust_exporter/flags.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <sstream>
#include <string>
#include <vector>

namespace beyondtrust_exporter {
namespace {

using namespace std::chrono_literals;

// Parses `args` as the command line after the program name.
FlagsResult parse(std::vector<std::string> args, std::ostream& out) {
  args.insert(args.begin(), "beyondtrust_exporter");
  std::vector<const char*> argv;
  for (const std::string& arg : args) {
    argv.push_back(arg.c_str());
  }
  return parse_flags(static_cast<int>(argv.size()), argv.data(), out);
}

FlagsResult parse(std::vector<std::string> args) {
  std::ostringstream out;
  return parse(std::move(args), out);
}

// Returns the ConfigError message, or "" when parsing succeeds.
std::string parse_error(std::vector<std::string> args) {
  try {
    parse(std::move(args));
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "";
}

TEST(Flags, Defaults) {
  const FlagsResult result = parse({});
  const Settings& settings = result.settings;

  EXPECT_EQ(result.exit_code, std::nullopt);
  EXPECT_EQ(settings.config_file, "");
  EXPECT_FALSE(settings.config_check);
  EXPECT_EQ(settings.listen_addresses, std::vector<std::string>{":9879"});
  EXPECT_EQ(settings.telemetry_path, "/metrics");
  EXPECT_EQ(settings.max_requests, 40);
  EXPECT_EQ(settings.web_config_file, "");
  EXPECT_EQ(settings.log_level, LogLevel::info);
  EXPECT_EQ(settings.log_format, LogFormat::logfmt);
  EXPECT_EQ(settings.poll_interval, 30s);
  EXPECT_EQ(settings.poll_timeout, 10s);
  EXPECT_EQ(settings.poll_max_staleness, std::nullopt);
}

TEST(Flags, ReadsBothValueForms) {
  const Settings settings =
      parse({"--config.file", "a.yml", "--web.telemetry-path=/m",
             "--log.level=debug", "--log.format", "json",
             "--web.max-requests=7", "--web.config.file", "web.yml",
             "--config.check"})
          .settings;

  EXPECT_EQ(settings.config_file, "a.yml");
  EXPECT_EQ(settings.telemetry_path, "/m");
  EXPECT_EQ(settings.log_level, LogLevel::debug);
  EXPECT_EQ(settings.log_format, LogFormat::json);
  EXPECT_EQ(settings.max_requests, 7);
  EXPECT_EQ(settings.web_config_file, "web.yml");
  EXPECT_TRUE(settings.config_check);
}

TEST(Flags, RepeatedListenAddress) {
  const Settings settings = parse({"--web.listen-address=127.0.0.1:9879",
                                   "--web.listen-address", "[::1]:9879"})
                                .settings;

  EXPECT_EQ(settings.listen_addresses,
            (std::vector<std::string>{"127.0.0.1:9879", "[::1]:9879"}));
}

TEST(Flags, SingleApplianceFlags) {
  const Settings settings =
      parse({"--appliance.url=https://bt.example.com", "--appliance.name=eu",
             "--appliance.client-id", "id", "--appliance.client-secret-file",
             "/run/secret"})
          .settings;

  EXPECT_EQ(settings.appliance_url, "https://bt.example.com");
  EXPECT_EQ(settings.appliance_name, "eu");
  EXPECT_EQ(settings.client_id, "id");
  EXPECT_EQ(settings.client_secret_file, "/run/secret");
}

TEST(Flags, PollDurations) {
  const Settings settings =
      parse({"--poll.interval=1m30s", "--poll.timeout=20s",
             "--poll.max-staleness=10m"})
          .settings;

  EXPECT_EQ(settings.poll_interval, 90s);
  EXPECT_EQ(settings.poll_timeout, 20s);
  EXPECT_EQ(settings.poll_max_staleness, std::chrono::milliseconds(10min));
}

TEST(Flags, ShortIntervalShrinksDefaultTimeout) {
  const Settings settings = parse({"--poll.interval=5s"}).settings;

  EXPECT_EQ(settings.poll_timeout, 5s);
}

TEST(Flags, VersionPrintsAndExits) {
  std::ostringstream out;
  const FlagsResult result = parse({"--version"}, out);

  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(out.str(), version_text());
  EXPECT_TRUE(out.str().starts_with("beyondtrust_exporter, version "));
}

TEST(Flags, HelpPrintsAndExits) {
  std::ostringstream out;
  const FlagsResult result = parse({"--help"}, out);

  EXPECT_EQ(result.exit_code, 0);
  EXPECT_NE(out.str().find("--poll.interval"), std::string::npos);
  EXPECT_NE(out.str().find("Default: 30s."), std::string::npos);
  EXPECT_NE(out.str().find("--web.listen-address"), std::string::npos);
}

TEST(Flags, NoFlagTakesSecretValue) {
  std::ostringstream out;
  parse({"--help"}, out);

  EXPECT_EQ(out.str().find("--appliance.client-secret "), std::string::npos);
  EXPECT_NE(parse_error({"--appliance.client-secret=x"}), "");
}

struct BadFlags {
  std::vector<std::string> args;
  std::string error;
};

TEST(Flags, RejectsBadValuesWithExactError) {
  const BadFlags cases[] = {
      {{"--poll.interval=5x"},
       "invalid --poll.interval \"5x\": expected a duration such as 30s or "
       "1m"},
      {{"--poll.interval=500ms"},
       "invalid --poll.interval \"500ms\": expected from 1s to 1d"},
      {{"--poll.timeout=1m"},
       "invalid --poll.timeout \"1m\": expected more than 0s and at most "
       "--poll.interval (30s)"},
      {{"--poll.timeout=0"},
       "invalid --poll.timeout \"0\": expected more than 0s and at most "
       "--poll.interval (30s)"},
      {{"--poll.max-staleness=10s"},
       "invalid --poll.max-staleness \"10s\": expected at least "
       "--poll.interval (30s) and at most 1w"},
      {{"--web.listen-address=9879"},
       "invalid --web.listen-address \"9879\": expected [host]:port such as "
       ":9879, 127.0.0.1:9879 or [::1]:9879"},
      {{"--web.listen-address=:99999"},
       "invalid --web.listen-address \":99999\": expected [host]:port such "
       "as :9879, 127.0.0.1:9879 or [::1]:9879"},
      {{"--web.listen-address=::1:9879"},
       "invalid --web.listen-address \"::1:9879\": expected [host]:port such "
       "as :9879, 127.0.0.1:9879 or [::1]:9879"},
      {{"--web.telemetry-path=metrics"},
       "invalid --web.telemetry-path \"metrics\": expected a path that starts "
       "with / such as /metrics, other than / and /-/..."},
      {{"--web.max-requests=0"},
       "invalid --web.max-requests \"0\": expected a whole number of at "
       "least 1"},
      {{"--web.max-requests=ten"},
       "invalid --web.max-requests \"ten\": expected a whole number of at "
       "least 1"},
      {{"--log.level=trace"},
       "invalid --log.level \"trace\": expected one of debug, info, warn, "
       "error"},
      {{"--log.format=text"},
       "invalid --log.format \"text\": expected one of logfmt, json"},
      {{"--config.file=a.yml", "--appliance.url=https://bt.example.com"},
       "invalid --appliance.url \"https://bt.example.com\": not allowed with "
       "--config.file, which lists the appliances"},
      {{"--no-such-flag"},
       "The following argument was not expected: --no-such-flag: see --help "
       "for the flags"},
  };
  for (const BadFlags& bad : cases) {
    EXPECT_EQ(parse_error(bad.args), bad.error) << bad.args.front();
  }
}

TEST(Flags, MissingValueIsOneLine) {
  const std::string error = parse_error({"--poll.interval"});

  EXPECT_NE(error, "");
  EXPECT_EQ(error.find('\n'), std::string::npos);
}

}  // namespace
}  // namespace beyondtrust_exporter
