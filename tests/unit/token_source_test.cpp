#include "beyondtrust_exporter/token_source.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/http/field.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace beyondtrust_exporter {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using std::chrono::seconds;
using std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr std::string_view token_json =
    R"({"access_token":"token-1","token_type":"Bearer","expires_in":3600})";

HttpResponse make_response(unsigned status, std::string body) {
  HttpResponse response(static_cast<http::status>(status), 11);
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

// A site that responds to token requests from a queue and records them, and a
// clock the test moves by hand.
class TokenSourceTest : public ::testing::Test {
 protected:
  TokenSourceTest() {
    config_.name = "site";
    config_.client_id = "exporter";
    config_.client_secret = Secret("s3cret");
  }

  TokenSource make_source() {
    return TokenSource(
        [this](
            HttpRequest request) -> asio::awaitable<PollResult<HttpResponse>> {
          requests_.push_back(std::move(request));
          PollResult<HttpResponse> next = std::move(answers_.front());
          answers_.erase(answers_.begin());
          co_return next;
        },
        config_, [this] { return now_; });
  }

  void answer(unsigned status, std::string body) {
    answers_.emplace_back(make_response(status, std::move(body)));
  }

  PollResult<Secret> fetch(TokenSource& source) {
    asio::io_context io;
    auto future = asio::co_spawn(io, source.token(), asio::use_future);
    io.run_for(5s);
    return future.get();
  }

  ApplianceConfig config_;
  steady_clock::time_point now_ = steady_clock::time_point(1000h);
  std::vector<PollResult<HttpResponse>> answers_;
  std::vector<HttpRequest> requests_;
};

TEST_F(TokenSourceTest, RequestsAsDocumented) {
  answer(200, std::string(token_json));
  TokenSource source = make_source();
  PollResult<Secret> token = fetch(source);

  ASSERT_TRUE(token.has_value());
  EXPECT_EQ(token->reveal(), "token-1");
  ASSERT_EQ(requests_.size(), 1u);
  const HttpRequest& request = requests_[0];
  EXPECT_EQ(request.method(), http::verb::post);
  EXPECT_EQ(request.target(), "/oauth2/token");
  // base64("exporter:s3cret")
  EXPECT_EQ(request[http::field::authorization], "Basic ZXhwb3J0ZXI6czNjcmV0");
  EXPECT_EQ(request[http::field::content_type],
            "application/x-www-form-urlencoded");
  EXPECT_EQ(request.body(), "grant_type=client_credentials");
  EXPECT_EQ(source.token_requests_total(), 1u);
}

TEST_F(TokenSourceTest, ReusesToken) {
  answer(200, std::string(token_json));
  TokenSource source = make_source();
  fetch(source);
  now_ += 10min;
  PollResult<Secret> token = fetch(source);

  ASSERT_TRUE(token.has_value());
  EXPECT_EQ(token->reveal(), "token-1");
  EXPECT_EQ(source.token_requests_total(), 1u);
}

TEST_F(TokenSourceTest, RefreshesAtTenPercentOfHour) {
  answer(200, std::string(token_json));
  answer(
      200,
      R"({"access_token":"token-2","token_type":"Bearer","expires_in":3600})");
  TokenSource source = make_source();
  fetch(source);

  // 3600 s lifetime: replaced 360 s before expiry.
  now_ += 3239s;
  EXPECT_FALSE(source.needs_refresh());
  now_ += 1s;
  EXPECT_TRUE(source.needs_refresh());
  PollResult<Secret> token = fetch(source);
  ASSERT_TRUE(token.has_value());
  EXPECT_EQ(token->reveal(), "token-2");
  EXPECT_EQ(source.token_requests_total(), 2u);
}

TEST_F(TokenSourceTest, RefreshesSixtySecondsEarly) {
  answer(200, R"({"access_token":"t","token_type":"Bearer","expires_in":300})");
  TokenSource source = make_source();
  fetch(source);

  now_ += 239s;
  EXPECT_FALSE(source.needs_refresh());
  now_ += 1s;
  EXPECT_TRUE(source.needs_refresh());
}

TEST_F(TokenSourceTest, ShortLifetimeReusedHalf) {
  answer(200, R"({"access_token":"t","token_type":"Bearer","expires_in":4})");
  TokenSource source = make_source();
  fetch(source);

  now_ += 1999ms;
  EXPECT_FALSE(source.needs_refresh());
  now_ += 1ms;
  EXPECT_TRUE(source.needs_refresh());
}

TEST_F(TokenSourceTest, InvalidateRequestsAgain) {
  answer(200, std::string(token_json));
  answer(
      200,
      R"({"access_token":"token-2","token_type":"Bearer","expires_in":3600})");
  TokenSource source = make_source();
  fetch(source);
  source.invalidate();
  PollResult<Secret> token = fetch(source);

  ASSERT_TRUE(token.has_value());
  EXPECT_EQ(token->reveal(), "token-2");
  EXPECT_EQ(source.token_requests_total(), 2u);
}

TEST_F(TokenSourceTest, RejectedCredentialsAreAuth) {
  answer(401, R"({"message":"Invalid client credentials"})");
  TokenSource source = make_source();
  PollResult<Secret> token = fetch(source);

  ASSERT_TRUE(token.has_error());
  EXPECT_EQ(token.error().reason, PollErrorReason::auth);
  EXPECT_EQ(token.error().message,
            "the site rejected the client credentials (HTTP 401): Invalid "
            "client credentials");
}

TEST_F(TokenSourceTest, RejectionHidesEchoedSecret) {
  answer(401, R"({"message":"bad secret s3cret for exporter"})");
  TokenSource source = make_source();
  PollResult<Secret> token = fetch(source);

  ASSERT_TRUE(token.has_error());
  EXPECT_EQ(token.error().message,
            "the site rejected the client credentials (HTTP 401): bad secret "
            "<secret> for exporter");
}

TEST_F(TokenSourceTest, RejectionWithoutBody) {
  answer(401, "");
  TokenSource source = make_source();
  PollResult<Secret> token = fetch(source);

  ASSERT_TRUE(token.has_error());
  EXPECT_EQ(token.error().message,
            "the site rejected the client credentials (HTTP 401)");
}

TEST_F(TokenSourceTest, TooManyRequestsIsRateLimited) {
  HttpResponse response = make_response(429, "");
  response.set(http::field::retry_after, "30");
  answers_.emplace_back(std::move(response));
  TokenSource source = make_source();
  PollResult<Secret> token = fetch(source);

  ASSERT_TRUE(token.has_error());
  EXPECT_EQ(token.error().reason, PollErrorReason::rate_limited);
  EXPECT_EQ(source.retry_after(), std::optional<std::string>("30"));
}

TEST_F(TokenSourceTest, UnavailableIsRateLimited) {
  answer(503, "");
  TokenSource source = make_source();
  PollResult<Secret> token = fetch(source);

  ASSERT_TRUE(token.has_error());
  EXPECT_EQ(token.error().reason, PollErrorReason::rate_limited);
  EXPECT_EQ(source.retry_after(), std::nullopt);
}

TEST_F(TokenSourceTest, ServerErrorIsHttpStatus) {
  answer(500, "");
  TokenSource source = make_source();
  PollResult<Secret> token = fetch(source);

  ASSERT_TRUE(token.has_error());
  EXPECT_EQ(token.error().reason, PollErrorReason::http_status);
  EXPECT_EQ(token.error().message, "the token endpoint returned HTTP 500");
}

TEST_F(TokenSourceTest, InvalidJsonIsParse) {
  answer(200, "<html>");
  TokenSource source = make_source();
  PollResult<Secret> token = fetch(source);

  ASSERT_TRUE(token.has_error());
  EXPECT_EQ(token.error().reason, PollErrorReason::parse);
}

TEST_F(TokenSourceTest, FailureIsNotCached) {
  answer(500, "");
  answer(200, std::string(token_json));
  TokenSource source = make_source();
  fetch(source);
  PollResult<Secret> token = fetch(source);

  ASSERT_TRUE(token.has_value());
  EXPECT_EQ(source.token_requests_total(), 2u);
}

TEST_F(TokenSourceTest, TransportErrorPassesThrough) {
  answers_.emplace_back(PollError{PollErrorReason::timeout, "timed out"});
  TokenSource source = make_source();
  PollResult<Secret> token = fetch(source);

  ASSERT_TRUE(token.has_error());
  EXPECT_EQ(token.error(), (PollError{PollErrorReason::timeout, "timed out"}));
  EXPECT_EQ(source.token_requests_total(), 1u);
}

TEST(TokenResponse, Parses) {
  auto parsed = parse_token_response(token_json);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->access_token.reveal(), "token-1");
  EXPECT_EQ(parsed->expires_in, seconds(3600));
}

TEST(TokenResponse, TokenTypeIgnoresCase) {
  auto parsed = parse_token_response(
      R"({"access_token":"a","token_type":"bearer","expires_in":60})");
  EXPECT_TRUE(parsed.has_value());
}

TEST(TokenResponse, ExpiresInAsString) {
  auto parsed = parse_token_response(
      R"({"access_token":"a","token_type":"Bearer","expires_in":"120"})");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->expires_in, seconds(120));
}

TEST(TokenResponse, MissingAccessToken) {
  auto parsed =
      parse_token_response(R"({"token_type":"Bearer","expires_in":60})");
  ASSERT_TRUE(parsed.has_error());
  EXPECT_EQ(parsed.error().reason, PollErrorReason::parse);
  EXPECT_EQ(parsed.error().message,
            "the token response has no access_token string");
}

TEST(TokenResponse, EmptyAccessToken) {
  auto parsed = parse_token_response(
      R"({"access_token":"","token_type":"Bearer","expires_in":60})");
  ASSERT_TRUE(parsed.has_error());
  EXPECT_EQ(parsed.error().reason, PollErrorReason::parse);
}

TEST(TokenResponse, WrongTokenType) {
  auto parsed = parse_token_response(
      R"({"access_token":"a","token_type":"mac","expires_in":60})");
  ASSERT_TRUE(parsed.has_error());
  EXPECT_EQ(parsed.error().message,
            "the token response has token_type \"mac\", expected \"Bearer\"");
}

TEST(TokenResponse, MissingExpiresIn) {
  auto parsed =
      parse_token_response(R"({"access_token":"a","token_type":"Bearer"})");
  ASSERT_TRUE(parsed.has_error());
  EXPECT_EQ(parsed.error().message, "the token response has no expires_in");
}

TEST(TokenResponse, ZeroExpiresIn) {
  auto parsed = parse_token_response(
      R"({"access_token":"a","token_type":"Bearer","expires_in":0})");
  ASSERT_TRUE(parsed.has_error());
  EXPECT_EQ(parsed.error().message,
            "the token response has an invalid expires_in 0, expected a "
            "positive number of seconds");
}

TEST(TokenResponse, NotAnObject) {
  auto parsed = parse_token_response("[1,2]");
  ASSERT_TRUE(parsed.has_error());
  EXPECT_EQ(parsed.error().message, "the token response is not a JSON object");
}

TEST(TokenRefreshMargin, HourLifetime) {
  EXPECT_EQ(token_refresh_margin(seconds(3600)), seconds(360));
}

TEST(TokenRefreshMargin, AtLeastSixtySeconds) {
  EXPECT_EQ(token_refresh_margin(seconds(300)), seconds(60));
}

TEST(TokenRefreshMargin, AtMostHalfLifetime) {
  EXPECT_EQ(token_refresh_margin(seconds(10)), seconds(5));
}

}  // namespace
}  // namespace beyondtrust_exporter
