#include "beyondtrust_exporter/logging.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include <sstream>

namespace beyondtrust_exporter::logging {
namespace {

class LoggingTest : public ::testing::Test {
 protected:
  void use(LogLevel level, LogFormat format) {
    configure(level, format,
              std::make_shared<spdlog::sinks::ostream_sink_st>(out_));
  }
  void TearDown() override { configure(LogLevel::info, LogFormat::logfmt); }

  std::ostringstream out_;
};

TEST_F(LoggingTest, LogfmtQuotesValuesWithSpaces) {
  use(LogLevel::info, LogFormat::logfmt);
  info("poll failed", {{"appliance", "rs one"}, {"reason", "timeout"}});
  std::string line = out_.str();
  EXPECT_NE(line.find(" level=info msg=\"poll failed\" appliance=\"rs one\" "
                      "reason=timeout\n"),
            std::string::npos)
      << line;
  EXPECT_EQ(line.rfind("ts=", 0), 0u) << line;
}

TEST_F(LoggingTest, LogfmtEscapesQuotesAndNewlines) {
  use(LogLevel::info, LogFormat::logfmt);
  info("m", {{"error", "a \"b\"\nc\\d"}});
  EXPECT_NE(out_.str().find("error=\"a \\\"b\\\"\\nc\\\\d\""),
            std::string::npos)
      << out_.str();
}

TEST_F(LoggingTest, JsonWritesOneObjectPerLine) {
  use(LogLevel::debug, LogFormat::json);
  debug("started", {{"port", 9879}, {"tls", false}});
  std::string line = out_.str();
  EXPECT_EQ(line.rfind("{\"ts\":\"", 0), 0u) << line;
  EXPECT_NE(line.find(",\"level\":\"debug\",\"msg\":\"started\","
                      "\"port\":\"9879\",\"tls\":\"false\"}\n"),
            std::string::npos)
      << line;
}

TEST_F(LoggingTest, LevelFiltersLowerLevels) {
  use(LogLevel::warn, LogFormat::logfmt);
  info("hidden");
  debug("hidden");
  EXPECT_TRUE(out_.str().empty());
  error("shown");
  EXPECT_NE(out_.str().find("level=error msg=shown"), std::string::npos);
}

TEST_F(LoggingTest, JsonEscapesControlCharacters) {
  use(LogLevel::info, LogFormat::json);
  info("m", {{"v", std::string("a\x01", 2)}});
  EXPECT_NE(out_.str().find("\"v\":\"a\\u0001\""), std::string::npos)
      << out_.str();
}

TEST_F(LoggingTest, JsonReplacesInvalidUtf8) {
  use(LogLevel::info, LogFormat::json);
  info("m", {{"path", std::string("/a\xff\xc3", 4)}});
  EXPECT_NE(out_.str().find("\"path\":\"/a\xEF\xBF\xBD\xEF\xBF\xBD\"}"),
            std::string::npos)
      << out_.str();
}

TEST_F(LoggingTest, LogfmtKeepsValidUtf8) {
  use(LogLevel::info, LogFormat::logfmt);
  info("m", {{"name", "Zo\xC3\xAB"}});
  EXPECT_NE(out_.str().find("name=Zo\xC3\xAB"), std::string::npos)
      << out_.str();
}

}  // namespace
}  // namespace beyondtrust_exporter::logging
