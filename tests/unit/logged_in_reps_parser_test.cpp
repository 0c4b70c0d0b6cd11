#include "beyondtrust_exporter/logged_in_reps_parser.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace beyondtrust_exporter {

// Prints a Rep field by field when an assertion on it fails.
void PrintTo(const Rep& rep, std::ostream* out) {
  auto optional = [](const auto& value) {
    std::ostringstream text;
    if (value) {
      text << *value;
    } else {
      text << "nullopt";
    }
    return text.str();
  };
  *out << "Rep{id=\"" << rep.id << "\", public_display_name=\""
       << rep.public_display_name << "\", private_display_name=\""
       << rep.private_display_name << "\", type=\"" << rep.type
       << "\", direct_link_url=\"" << rep.direct_link_url
       << "\", logged_in_since_seconds="
       << optional(rep.logged_in_since_seconds)
       << ", presentation_count=" << optional(rep.presentation_count)
       << ", support_session_count=" << optional(rep.support_session_count)
       << ", showing_on_rep_list=" << optional(rep.showing_on_rep_list) << "}";
}

namespace {

std::string read_fixture(std::string_view name) {
  std::string path = std::string(BEYONDTRUST_EXPORTER_FIXTURES_DIR) +
                     "/logged_in_reps/" + std::string(name);
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.is_open()) << "cannot open " << path;
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

// Parses a fixture that must parse, or fails the test.
LoggedInReps parse_fixture(std::string_view name) {
  PollResult<LoggedInReps> result = parse_logged_in_reps(read_fixture(name));
  EXPECT_TRUE(result.has_value()) << result.error().message;
  return result.has_value() ? *result : LoggedInReps{};
}

// Parses a fixture that must fail, and returns the error.
PollError parse_fixture_error(std::string_view name) {
  PollResult<LoggedInReps> result = parse_logged_in_reps(read_fixture(name));
  EXPECT_TRUE(result.has_error())
      << "parsed " << result->reps.size() << " reps";
  return result.has_error() ? result.error() : PollError{};
}

Rep make_ana() {
  Rep rep;
  rep.id = "1";
  rep.public_display_name = "Ana Silva";
  rep.private_display_name = "Ana (Tier 2)";
  rep.type = "Normal";
  rep.direct_link_url = "https://support.example.com/?ak=ana1";
  rep.logged_in_since_seconds = 1714566600;
  rep.presentation_count = 0;
  rep.support_session_count = 3;
  rep.showing_on_rep_list = true;
  return rep;
}

Rep make_ben() {
  Rep rep;
  rep.id = "2";
  rep.public_display_name = "Ben Okafor";
  rep.private_display_name = "Ben";
  rep.type = "Invited";
  rep.direct_link_url = "https://support.example.com/?ak=ben2";
  rep.logged_in_since_seconds = 1714570200;
  rep.presentation_count = 1;
  rep.support_session_count = 0;
  rep.showing_on_rep_list = false;
  return rep;
}

Rep make_rep(std::string id) {
  Rep rep;
  rep.id = std::move(id);
  return rep;
}

const Rep* find_rep(const LoggedInReps& answer, std::string_view id) {
  for (const Rep& rep : answer.reps) {
    if (rep.id == id) return &rep;
  }
  return nullptr;
}

// --- Namespaces -----------------------------------------------------------

class ParserNamespaceTest : public ::testing::TestWithParam<const char*> {};

TEST_P(ParserNamespaceTest, ReadsBothReps) {
  LoggedInReps answer = parse_fixture(GetParam());
  ASSERT_EQ(answer.reps.size(), 2u);
  EXPECT_EQ(answer.reps[0], make_ana());
  EXPECT_EQ(answer.reps[1], make_ben());
  EXPECT_TRUE(answer.warnings.empty());
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ParserNamespaceTest,
                         ::testing::Values("namespace_beyondtrust.xml",
                                           "namespace_bomgar_http.xml",
                                           "namespace_bomgar_https.xml",
                                           "namespace_none.xml"));

TEST(Parser, PrefixedNamespace) {
  LoggedInReps answer = parse_fixture("namespace_prefixed.xml");
  ASSERT_EQ(answer.reps.size(), 1u);
  EXPECT_EQ(answer.reps[0], make_ana());
  EXPECT_TRUE(answer.warnings.empty());
}

// --- Layout of the document ----------------------------------------------

TEST(Parser, ShuffledOrderAndUnknownElements) {
  LoggedInReps answer = parse_fixture("element_order_shuffled.xml");
  ASSERT_EQ(answer.reps.size(), 1u);
  EXPECT_EQ(answer.reps[0], make_ana());
  EXPECT_TRUE(answer.warnings.empty());
}

TEST(Parser, DeclarationFollowedByBlankLines) {
  LoggedInReps answer = parse_fixture("declaration_blank_lines.xml");
  ASSERT_EQ(answer.reps.size(), 1u);
  EXPECT_EQ(answer.reps[0], make_ana());
}

TEST(Parser, ByteOrderMark) {
  std::string body = read_fixture("bom.xml");
  ASSERT_EQ(body.rfind("\xEF\xBB\xBF<?xml", 0), 0u);
  LoggedInReps answer = parse_fixture("bom.xml");
  ASSERT_EQ(answer.reps.size(), 1u);
  EXPECT_EQ(answer.reps[0], make_ana());
}

TEST(Parser, TrailingWhitespace) {
  LoggedInReps answer = parse_fixture("trailing_whitespace.xml");
  ASSERT_EQ(answer.reps.size(), 1u);
  EXPECT_EQ(answer.reps[0], make_ana());
}

TEST(Parser, ZeroRepsSelfClosingRoot) {
  LoggedInReps answer = parse_fixture("zero_reps.xml");
  EXPECT_TRUE(answer.reps.empty());
  EXPECT_TRUE(answer.warnings.empty());
}

TEST(Parser, ZeroRepsOpenAndCloseTags) {
  LoggedInReps answer = parse_fixture("zero_reps_open_close.xml");
  EXPECT_TRUE(answer.reps.empty());
  EXPECT_TRUE(answer.warnings.empty());
}

TEST(Parser, TenThousandReps) {
  constexpr int rep_count = 10'000;
  std::string body =
      "<logged_in_reps "
      "xmlns=\"https://www.beyondtrust.com/namespaces/API/command\">";
  for (int i = 1; i <= rep_count; ++i) {
    std::string n = std::to_string(i);
    body += "<rep id=\"" + n + "\"><public_display_name>Rep " + n +
            "</public_display_name><type>Normal</type>"
            "<logged_in_since ts=\"" +
            std::to_string(1700000000 + i) +
            "\"/><presentation_count>0</presentation_count>"
            "<support_session_count>" +
            std::to_string(i % 5) +
            "</support_session_count>"
            "<showing_on_rep_list>1</showing_on_rep_list></rep>";
  }
  body += "</logged_in_reps>";

  PollResult<LoggedInReps> result = parse_logged_in_reps(body);
  ASSERT_TRUE(result.has_value()) << result.error().message;
  ASSERT_EQ(result->reps.size(), 10'000u);
  EXPECT_TRUE(result->warnings.empty());

  Rep last = make_rep("10000");
  last.public_display_name = "Rep 10000";
  last.type = "Normal";
  last.logged_in_since_seconds = 1700010000;
  last.presentation_count = 0;
  last.support_session_count = 0;
  last.showing_on_rep_list = true;
  EXPECT_EQ(result->reps.back(), last);
  EXPECT_EQ(result->reps[0].id, "1");
  EXPECT_EQ(result->reps[0].support_session_count, 1u);
  EXPECT_EQ(result->reps[4998].id, "4999");
  EXPECT_EQ(result->reps[4998].support_session_count, 4u);
}

// --- logged_in_since -------------------------------------------------------

class LoggedInSinceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    answer_ = parse_fixture("logged_in_since_formats.xml");
  }
  static std::optional<std::int64_t> seconds_of(std::string_view id) {
    const Rep* rep = find_rep(answer_, id);
    EXPECT_NE(rep, nullptr) << "no rep " << id;
    return rep ? rep->logged_in_since_seconds : std::nullopt;
  }
  static LoggedInReps answer_;
};

LoggedInReps LoggedInSinceTest::answer_;

TEST_F(LoggedInSinceTest, TsAttribute) {
  EXPECT_EQ(seconds_of("ts"), 1714566600);
}

TEST_F(LoggedInSinceTest, TsAttributeWinsOverText) {
  EXPECT_EQ(seconds_of("ts_wins"), 1714566600);
}

TEST_F(LoggedInSinceTest, IsoWithZ) {
  EXPECT_EQ(seconds_of("zulu"), 1714566600);
}

TEST_F(LoggedInSinceTest, IsoWithColonOffset) {
  EXPECT_EQ(seconds_of("offset_colon"), 1714566600);
}

TEST_F(LoggedInSinceTest, IsoWithCompactNegativeOffset) {
  EXPECT_EQ(seconds_of("offset_compact"), 1714566600);
}

TEST_F(LoggedInSinceTest, FractionalSecondsDropped) {
  EXPECT_EQ(seconds_of("fraction"), 1714566600);
  EXPECT_EQ(seconds_of("fraction_offset"), 1714566600);
}

TEST_F(LoggedInSinceTest, SpaceInsteadOfT) {
  EXPECT_EQ(seconds_of("space"), 1714566600);
}

TEST_F(LoggedInSinceTest, BareUnixSeconds) {
  EXPECT_EQ(seconds_of("unix"), 1714566600);
}

TEST_F(LoggedInSinceTest, UnreadableValuesLeftEmpty) {
  EXPECT_EQ(seconds_of("no_zone"), std::nullopt);
  EXPECT_EQ(seconds_of("garbage"), std::nullopt);
  EXPECT_EQ(seconds_of("empty"), std::nullopt);
  EXPECT_EQ(seconds_of("feb30"), std::nullopt);
}

TEST_F(LoggedInSinceTest, BadTsFallsBackToText) {
  EXPECT_EQ(seconds_of("bad_ts"), 1714566600);
}

TEST_F(LoggedInSinceTest, MissingElementLeftEmpty) {
  EXPECT_EQ(seconds_of("missing"), std::nullopt);
}

TEST_F(LoggedInSinceTest, WarningsNameRepAndElement) {
  std::vector<std::string> expected = {
      "rep id=\"no_zone\": <logged_in_since> \"2024-05-01T12:30:00\" is "
      "neither UNIX seconds nor an ISO 8601 date and time with a zone; the "
      "value is left empty",
      "rep id=\"garbage\": <logged_in_since> \"yesterday\" is neither UNIX "
      "seconds nor an ISO 8601 date and time with a zone; the value is left "
      "empty",
      "rep id=\"bad_ts\": <logged_in_since> attribute ts=\"soon\" is not a "
      "count of UNIX seconds; the text is used instead",
      "rep id=\"empty\": <logged_in_since> \"\" is neither UNIX seconds nor "
      "an ISO 8601 date and time with a zone; the value is left empty",
      "rep id=\"feb30\": <logged_in_since> \"2024-02-30T12:30:00Z\" is "
      "neither UNIX seconds nor an ISO 8601 date and time with a zone; the "
      "value is left empty",
  };
  EXPECT_EQ(answer_.warnings, expected);
}

// --- direct_link -----------------------------------------------------------

TEST(Parser, DirectLinkEscapedText) {
  LoggedInReps answer = parse_fixture("direct_link_escaped.xml");
  ASSERT_EQ(answer.reps.size(), 1u);
  EXPECT_EQ(answer.reps[0].direct_link_url,
            "https://support.example.com/?ak=ana1&lang=en");
}

TEST(Parser, DirectLinkCdata) {
  LoggedInReps answer = parse_fixture("direct_link_cdata.xml");
  ASSERT_EQ(answer.reps.size(), 1u);
  EXPECT_EQ(answer.reps[0].direct_link_url,
            "https://support.example.com/?ak=ana1&lang=en");
}

TEST(Parser, DirectLinkChildElement) {
  LoggedInReps answer = parse_fixture("direct_link_element.xml");
  ASSERT_EQ(answer.reps.size(), 4u);
  EXPECT_EQ(answer.reps[0].direct_link_url,
            "https://support.example.com/?ak=ana1&lang=en");
}

TEST(Parser, DirectLinkBareUrl) {
  LoggedInReps answer = parse_fixture("direct_link_element.xml");
  ASSERT_EQ(answer.reps.size(), 4u);
  EXPECT_EQ(answer.reps[1].direct_link_url,
            "https://support.example.com/?ak=ben2");
}

TEST(Parser, DirectLinkWithoutHrefIsEmpty) {
  LoggedInReps answer = parse_fixture("direct_link_element.xml");
  ASSERT_EQ(answer.reps.size(), 4u);
  EXPECT_EQ(answer.reps[2].direct_link_url, "");
  EXPECT_EQ(answer.reps[3].direct_link_url, "");
  EXPECT_TRUE(answer.warnings.empty());
}

TEST(Parser, DirectLinkAnchorVariants) {
  struct Case {
    std::string_view escaped_anchor;
    std::string_view url;
  };
  const Case cases[] = {
      {"&lt;A HREF=https://a.example/x&gt;x&lt;/A&gt;", "https://a.example/x"},
      {"&lt;a class=\"c\" href = ' https://a.example/y ' &gt;y&lt;/a&gt;",
       "https://a.example/y"},
      {"&lt;a title=\"href=no\" href=\"https://a.example/z?q=&amp;#38;\"&gt;",
       "https://a.example/z?q=&"},
      {"&lt;abbr href=\"https://a.example/no\"&gt;", ""},
      {"&lt;a href=\"https://a.example/unterminated", ""},
      {"see https://a.example/ for help", ""},
  };
  for (const Case& c : cases) {
    std::string body = "<logged_in_reps><rep id=\"1\"><direct_link>" +
                       std::string(c.escaped_anchor) +
                       "</direct_link></rep></logged_in_reps>";
    PollResult<LoggedInReps> result = parse_logged_in_reps(body);
    ASSERT_TRUE(result.has_value()) << result.error().message;
    ASSERT_EQ(result->reps.size(), 1u);
    EXPECT_EQ(result->reps[0].direct_link_url, c.url) << c.escaped_anchor;
  }
}

// --- Names and types --------------------------------------------------------

TEST(Parser, DisplayNameOnlyOnOldSites) {
  LoggedInReps answer = parse_fixture("display_names.xml");
  ASSERT_EQ(answer.reps.size(), 3u);
  Rep expected = make_rep("1");
  expected.public_display_name = "Old Site Name";
  expected.type = "Normal";
  EXPECT_EQ(answer.reps[0], expected);
}

TEST(Parser, PublicDisplayNameWins) {
  LoggedInReps answer = parse_fixture("display_names.xml");
  ASSERT_EQ(answer.reps.size(), 3u);
  Rep expected = make_rep("2");
  expected.public_display_name = "Public Name";
  expected.private_display_name = "Private Name";
  EXPECT_EQ(answer.reps[1], expected);
}

TEST(Parser, PraWithoutPrivateDisplayName) {
  LoggedInReps answer = parse_fixture("display_names.xml");
  ASSERT_EQ(answer.reps.size(), 3u);
  Rep expected = make_rep("3");
  expected.public_display_name = "PRA Rep";
  expected.type = "Normal";
  EXPECT_EQ(answer.reps[2], expected);
  EXPECT_TRUE(answer.warnings.empty());
}

TEST(Parser, RepTypesKeptVerbatim) {
  LoggedInReps answer = parse_fixture("rep_types.xml");
  ASSERT_EQ(answer.reps.size(), 5u);
  EXPECT_EQ(answer.reps[0].type, "Normal");
  EXPECT_EQ(answer.reps[1].type, "Invited");
  EXPECT_EQ(answer.reps[2].type, "Embassy");
  EXPECT_EQ(answer.reps[3].type, "Jump Client Proxy");
  EXPECT_EQ(answer.reps[4].type, "");
  EXPECT_TRUE(answer.warnings.empty());
}

TEST(Parser, NamesKeptVerbatim) {
  LoggedInReps answer = parse_fixture("names_verbatim.xml");
  ASSERT_EQ(answer.reps.size(), 2u);
  EXPECT_EQ(answer.reps[0].public_display_name,
            "Jos\u00e9 M\u00fcller \u5c71\u7530\u592a\u90ce \u03a9mega "
            "\U0001F642");
  EXPECT_EQ(answer.reps[0].private_display_name,
            "\"quoted\" & 'single' \\back\\slash");
  EXPECT_EQ(answer.reps[1].public_display_name, "line one\nline two");

  std::string omegas;
  for (int i = 0; i < 5000; ++i) omegas += "\u03a9";
  EXPECT_EQ(answer.reps[1].private_display_name, omegas);
}

// --- Counts and flags --------------------------------------------------------

TEST(Parser, CountsTrimmedAndReadExactly) {
  LoggedInReps answer = parse_fixture("counts.xml");
  ASSERT_EQ(answer.reps.size(), 4u);
  EXPECT_EQ(answer.reps[0].presentation_count, 2u);
  EXPECT_EQ(answer.reps[0].support_session_count, 18446744073709551615u);
}

TEST(Parser, BadCountsLeftEmpty) {
  LoggedInReps answer = parse_fixture("counts.xml");
  ASSERT_EQ(answer.reps.size(), 4u);
  for (std::size_t i = 1; i < 4; ++i) {
    EXPECT_EQ(answer.reps[i].presentation_count, std::nullopt) << i;
    EXPECT_EQ(answer.reps[i].support_session_count, std::nullopt) << i;
  }
}

TEST(Parser, BadCountsWarn) {
  LoggedInReps answer = parse_fixture("counts.xml");
  std::vector<std::string> expected = {
      "rep id=\"2\": <presentation_count> \"-1\" is not a non-negative "
      "integer; the value is left empty",
      "rep id=\"2\": <support_session_count> \"three\" is not a non-negative "
      "integer; the value is left empty",
      "rep id=\"3\": <presentation_count> \"18446744073709551616\" is larger "
      "than 18446744073709551615; the value is left empty",
      "rep id=\"3\": <support_session_count> is empty; the value is left "
      "empty",
      "rep id=\"4\": <presentation_count> \"1.5\" is not a non-negative "
      "integer; the value is left empty",
      "rep id=\"4\": <support_session_count> \"+4\" is not a non-negative "
      "integer; the value is left empty",
  };
  EXPECT_EQ(answer.warnings, expected);
}

TEST(Parser, ShowingOnRepList) {
  LoggedInReps answer = parse_fixture("showing_on_rep_list.xml");
  ASSERT_EQ(answer.reps.size(), 7u);
  EXPECT_EQ(answer.reps[0].showing_on_rep_list, true);
  EXPECT_EQ(answer.reps[1].showing_on_rep_list, false);
  EXPECT_EQ(answer.reps[2].showing_on_rep_list, true);
  EXPECT_EQ(answer.reps[3].showing_on_rep_list, false);
  EXPECT_EQ(answer.reps[4].showing_on_rep_list, std::nullopt);
  EXPECT_EQ(answer.reps[5].showing_on_rep_list, std::nullopt);
  EXPECT_EQ(answer.reps[6].showing_on_rep_list, std::nullopt);
}

TEST(Parser, ShowingOnRepListWarns) {
  LoggedInReps answer = parse_fixture("showing_on_rep_list.xml");
  std::vector<std::string> expected = {
      "rep id=\"5\": <showing_on_rep_list> \"yes\" is not 1, 0, true or "
      "false; the value is left empty",
      "rep id=\"6\": <showing_on_rep_list> \"2\" is not 1, 0, true or false; "
      "the value is left empty",
      "rep id=\"7\": <showing_on_rep_list> \"\" is not 1, 0, true or false; "
      "the value is left empty",
  };
  EXPECT_EQ(answer.warnings, expected);
}

// --- Rep ids ----------------------------------------------------------------

TEST(Parser, RepsWithoutIdSkipped) {
  LoggedInReps answer = parse_fixture("rep_ids.xml");
  ASSERT_EQ(answer.reps.size(), 2u);
  EXPECT_EQ(answer.reps[0].id, "1");
  EXPECT_EQ(answer.reps[0].public_display_name, "First");
  EXPECT_EQ(answer.reps[1].id, "2");
  EXPECT_EQ(answer.reps[1].public_display_name, "Second");
}

TEST(Parser, RepIdProblemsWarn) {
  LoggedInReps answer = parse_fixture("rep_ids.xml");
  std::vector<std::string> expected = {
      "rep #2 has no id attribute, or an empty one; the rep is skipped",
      "rep #3 has no id attribute, or an empty one; the rep is skipped",
      "rep #4 repeats id=\"1\" of an earlier rep; the rep is skipped",
  };
  EXPECT_EQ(answer.warnings, expected);
}

TEST(Parser, WarningsCapped) {
  std::string body = "<logged_in_reps>";
  for (int i = 1; i <= 150; ++i) {
    body += "<rep id=\"" + std::to_string(i) +
            "\"><support_session_count>x</support_session_count></rep>";
  }
  body += "</logged_in_reps>";
  PollResult<LoggedInReps> result = parse_logged_in_reps(body);
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->reps.size(), 150u);
  ASSERT_EQ(result->warnings.size(), 101u);
  EXPECT_EQ(result->warnings[99],
            "rep id=\"100\": <support_session_count> \"x\" is not a "
            "non-negative integer; the value is left empty");
  EXPECT_EQ(result->warnings[100], "50 more warnings left out");
}

TEST(Parser, WarningQuotesLongAndControlValues) {
  std::string value(100, 'x');
  value[0] = '\t';
  std::string body = "<logged_in_reps><rep id=\"7\"><presentation_count>" +
                     value + "</presentation_count></rep></logged_in_reps>";
  PollResult<LoggedInReps> result = parse_logged_in_reps(body);
  ASSERT_TRUE(result.has_value()) << result.error().message;
  ASSERT_EQ(result->warnings.size(), 1u);
  EXPECT_EQ(result->warnings[0],
            "rep id=\"7\": <presentation_count> \"\\x09" +
                std::string(63, 'x') +
                "...\" is not a non-negative integer; the value is left "
                "empty");
}

// --- API errors ------------------------------------------------------------

TEST(Parser, ErrorAsRoot) {
  PollError error = parse_fixture_error("error_root.xml");
  EXPECT_EQ(to_string(error.reason), "api_error");
  EXPECT_EQ(error.message,
            "the site returned an error: The API account does not have "
            "permission to use this command.");
}

TEST(Parser, ErrorAsChild) {
  PollError error = parse_fixture_error("error_child.xml");
  EXPECT_EQ(to_string(error.reason), "api_error");
  EXPECT_EQ(error.message, "the site returned an error: Invalid action");
}

TEST(Parser, ErrorChildWithReps) {
  PollError error = parse_fixture_error("error_child_with_reps.xml");
  EXPECT_EQ(to_string(error.reason), "api_error");
  EXPECT_EQ(error.message, "the site returned an error: Internal error");
}

TEST(Parser, ErrorChildWithEmptyText) {
  PollError error = parse_fixture_error("error_child_empty.xml");
  EXPECT_EQ(to_string(error.reason), "api_error");
  EXPECT_EQ(error.message, "the site returned an <error> element without text");
}

TEST(Parser, ErrorTextCapped) {
  std::string body = "<error>" + std::string(5000, 'e') + "</error>";
  PollResult<LoggedInReps> result = parse_logged_in_reps(body);
  ASSERT_TRUE(result.has_error());
  EXPECT_EQ(to_string(result.error().reason), "api_error");
  EXPECT_EQ(result.error().message,
            "the site returned an error: " + std::string(1024, 'e') + "...");
}

// --- Malformed bodies --------------------------------------------------------

TEST(Parser, UnclosedTag) {
  PollError error = parse_fixture_error("malformed_unclosed_tag.xml");
  EXPECT_EQ(to_string(error.reason), "parse");
  EXPECT_EQ(error.message,
            "invalid XML at line 4, column 19: Start-end tags mismatch");
}

TEST(Parser, TruncatedBody) {
  PollError error = parse_fixture_error("malformed_truncated.xml");
  EXPECT_EQ(to_string(error.reason), "parse");
  EXPECT_EQ(error.message,
            "truncated XML: the body ends at line 11, column 38 before every "
            "element is closed (Start-end tags mismatch)");
}

TEST(Parser, TruncatedInsideText) {
  PollResult<LoggedInReps> result =
      parse_logged_in_reps("<logged_in_reps><rep id=\"1\"><type>Norm");
  ASSERT_TRUE(result.has_error());
  EXPECT_EQ(to_string(result.error().reason), "parse");
  EXPECT_EQ(result.error().message,
            "truncated XML: the body ends at line 1, column 39 before every "
            "element is closed (Start-end tags mismatch)");
}

TEST(Parser, Garbage) {
  PollError error = parse_fixture_error("malformed_garbage.txt");
  EXPECT_EQ(to_string(error.reason), "parse");
  EXPECT_EQ(error.message,
            "not XML: no root element found; the body starts with "
            "\"Lorem ipsum \\x01\\x02 dolor sit amet\"");
}

TEST(Parser, HtmlErrorPage) {
  PollError error = parse_fixture_error("malformed_html_error_page.html");
  EXPECT_EQ(to_string(error.reason), "parse");
  EXPECT_EQ(error.message,
            "invalid XML at line 7, column 3: Start-end tags mismatch");
}

TEST(Parser, WellFormedHtmlPage) {
  PollError error = parse_fixture_error("malformed_html_error_page_xhtml.html");
  EXPECT_EQ(to_string(error.reason), "parse");
  EXPECT_EQ(error.message,
            "unexpected root element <html> at line 1, column 1; expected "
            "<logged_in_reps> or <error>");
}

TEST(Parser, JsonBody) {
  PollError error = parse_fixture_error("malformed_json_body.json");
  EXPECT_EQ(to_string(error.reason), "parse");
  EXPECT_EQ(error.message,
            "not XML: no root element found; the body starts with "
            "\"{\\\"message\\\": \\\"Unauthorized\\\"}\"");
}

TEST(Parser, EmptyBody) {
  PollError error = parse_fixture_error("malformed_empty.xml");
  EXPECT_EQ(to_string(error.reason), "parse");
  EXPECT_EQ(error.message, "empty body");
}

TEST(Parser, WhitespaceOnlyBody) {
  PollResult<LoggedInReps> result = parse_logged_in_reps(" \r\n\t\n");
  ASSERT_TRUE(result.has_error());
  EXPECT_EQ(to_string(result.error().reason), "parse");
  EXPECT_EQ(result.error().message,
            "not XML: no root element found; the body contains only "
            "whitespace");
}

TEST(Parser, WrongRoot) {
  PollError error = parse_fixture_error("malformed_wrong_root.xml");
  EXPECT_EQ(to_string(error.reason), "parse");
  EXPECT_EQ(error.message,
            "unexpected root element <get_api_info> at line 2, column 1; "
            "expected <logged_in_reps> or <error>");
}

TEST(Parser, TwoRoots) {
  PollError error = parse_fixture_error("malformed_two_roots.xml");
  EXPECT_EQ(to_string(error.reason), "parse");
  EXPECT_EQ(error.message,
            "invalid XML: a second root element <logged_in_reps> at line 2, "
            "column 1");
}

TEST(Parser, TextAfterRoot) {
  PollError error = parse_fixture_error("malformed_text_after_root.xml");
  EXPECT_EQ(to_string(error.reason), "parse");
  EXPECT_EQ(error.message,
            "invalid XML: text after the root element at line 2, column 1");
}

// --- Entities ----------------------------------------------------------------

TEST(Parser, BillionLaughsNotExpanded) {
  auto start = std::chrono::steady_clock::now();
  LoggedInReps answer = parse_fixture("billion_laughs.xml");
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(answer.reps.size(), 1u);
  EXPECT_EQ(answer.reps[0].public_display_name, "&lol9;");
  EXPECT_LT(elapsed, std::chrono::seconds(1));
}

TEST(Parser, ExternalEntityNotLoaded) {
  LoggedInReps answer = parse_fixture("external_entity.xml");
  ASSERT_EQ(answer.reps.size(), 1u);
  EXPECT_EQ(answer.reps[0].public_display_name, "&secret;");
}

TEST(Parser, DeepNestingInsideRep) {
  constexpr int depth = 100'000;
  std::string body = "<logged_in_reps><rep id=\"1\"><direct_link>";
  for (int i = 0; i < depth; ++i) body += "<b>";
  for (int i = 0; i < depth; ++i) body += "</b>";
  body += "</direct_link><type>Normal</type></rep></logged_in_reps>";
  PollResult<LoggedInReps> result = parse_logged_in_reps(body);
  ASSERT_TRUE(result.has_value()) << result.error().message;
  ASSERT_EQ(result->reps.size(), 1u);
  EXPECT_EQ(result->reps[0].direct_link_url, "");
  EXPECT_EQ(result->reps[0].type, "Normal");
}

}  // namespace
}  // namespace beyondtrust_exporter
