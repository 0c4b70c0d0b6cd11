// Tests of the appliance simulator over real TLS, with a small Beast client
// of their own, independent of the exporter's HTTPS client.

#include "beyondtrust_simulator/simulator.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
namespace json = boost::json;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;
using namespace beyondtrust_simulator;

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);
constexpr std::int64_t fixed_time = 1700000000;  // 2023-11-14T22:13:20Z
constexpr std::string_view basic_credentials =
    "Basic ZXhwb3J0ZXI6c2ltdWxhdG9yLXNlY3JldA==";  // exporter:simulator-secret

// What the test client saw of one exchange. `error` is the first failure;
// the header and the partial body stay available after a failure.
struct Reply {
  boost::system::error_code error;
  bool header_received = false;
  unsigned status = 0;
  http::fields headers;
  std::string body;
  std::chrono::steady_clock::duration elapsed{};

  std::string header(std::string_view name) const {
    const auto found = headers.find(name);
    return found == headers.end() ? std::string{} : std::string(found->value());
  }
};

struct ClientOptions {
  std::string ca_file;
  std::string host = "localhost";  // host name verified and sent as SNI
  std::string cert_file, key_file;
  std::chrono::milliseconds timeout{10s};
  std::uint64_t body_limit = std::uint64_t{128} << 20;
};

net::awaitable<void> run_exchange(std::uint16_t port,
                                  http::request<http::string_body> request,
                                  ssl::context& context,
                                  const ClientOptions& options, Reply& reply) {
  auto executor = co_await net::this_coro::executor;
  beast::ssl_stream<beast::tcp_stream> stream(executor, context);
  // SNI, as SSL_set_tlsext_host_name() sets it, without the macro's C cast.
  SSL_ctrl(stream.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME,
           TLSEXT_NAMETYPE_host_name, const_cast<char*>(options.host.c_str()));
  stream.set_verify_callback(ssl::host_name_verification(options.host));
  beast::get_lowest_layer(stream).expires_after(options.timeout);

  auto [connect_error] = co_await beast::get_lowest_layer(stream).async_connect(
      tcp::endpoint(net::ip::make_address("127.0.0.1"), port), use_tuple);
  if (connect_error) {
    reply.error = connect_error;
    co_return;
  }
  auto [handshake_error] =
      co_await stream.async_handshake(ssl::stream_base::client, use_tuple);
  if (handshake_error) {
    reply.error = handshake_error;
    co_return;
  }
  request.prepare_payload();
  auto [write_error, written] =
      co_await http::async_write(stream, request, use_tuple);
  if (write_error) {
    reply.error = write_error;
    co_return;
  }

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(options.body_limit);
  auto [read_error, read] =
      co_await http::async_read(stream, buffer, parser, use_tuple);
  reply.error = read_error;
  reply.header_received = parser.is_header_done();
  if (reply.header_received) {
    reply.status = parser.get().result_int();
    reply.headers = parser.get().base();
  }
  reply.body = parser.get().body();
}

// Sends one request over a new TLS connection and reads one response.
Reply exchange(std::uint16_t port, http::request<http::string_body> request,
               const ClientOptions& options) {
  ssl::context context(ssl::context::tls_client);
  context.set_verify_mode(ssl::verify_peer);
  context.load_verify_file(options.ca_file);
  if (!options.cert_file.empty()) {
    context.use_certificate_chain_file(options.cert_file);
    context.use_private_key_file(options.key_file, ssl::context::pem);
  }

  net::io_context io;
  Reply reply;
  const auto start = std::chrono::steady_clock::now();
  net::co_spawn(io,
                run_exchange(port, std::move(request), context, options, reply),
                net::detached);
  io.run_for(options.timeout + 5s);
  reply.elapsed = std::chrono::steady_clock::now() - start;
  return reply;
}

http::request<http::string_body> make_request(http::verb method,
                                              std::string target,
                                              std::string authorization = {},
                                              std::string form = {}) {
  http::request<http::string_body> request{method, target, 11};
  request.set(http::field::host, "localhost");
  if (!authorization.empty()) {
    request.set(http::field::authorization, authorization);
  }
  if (!form.empty()) {
    request.set(http::field::content_type, "application/x-www-form-urlencoded");
    request.body() = std::move(form);
  }
  return request;
}

std::size_t count_of(std::string_view text, std::string_view needle) {
  std::size_t count = 0;
  for (auto at = text.find(needle); at != std::string_view::npos;
       at = text.find(needle, at + needle.size())) {
    ++count;
  }
  return count;
}

// Polls `condition` every 10 ms for up to two seconds, for effects the
// server records after the client has already returned.
template <class Condition>
bool eventually(Condition condition) {
  for (int i = 0; i < 200; ++i) {
    if (condition()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return condition();
}

SimRep sample_rep() {
  SimRep rep;
  rep.id = 7;
  rep.public_display_name = "Ana Núñez";
  rep.private_display_name = "Ana [Tier 1]";
  rep.type = "Normal";
  rep.logged_in_since = fixed_time;
  rep.support_session_count = 2;
  rep.presentation_count = 1;
  rep.showing_on_rep_list = true;
  return rep;
}

class SimulatorTest : public testing::Test {
 protected:
  static Options default_options() {
    Options options;
    options.cert_dir = shared_test_certificates().dir.string();
    options.reps = 3;
    options.population_time = fixed_time;
    return options;
  }

  void SetUp() override { simulator_.start(); }

  ClientOptions client() const {
    ClientOptions options;
    options.ca_file = simulator_.ca_file();
    return options;
  }

  Reply send(http::request<http::string_body> request) {
    return exchange(simulator_.port(), std::move(request), client());
  }

  Reply request_token() {
    return send(make_request(http::verb::post, "/oauth2/token",
                             std::string(basic_credentials),
                             "grant_type=client_credentials"));
  }

  std::string mint_token() {
    const Reply reply = request_token();
    const json::value body = json::parse(reply.body);
    return std::string(body.at("access_token").as_string());
  }

  Reply get_reps(
      const std::string& token,
      std::string target = "/api/command?action=get_logged_in_reps") {
    return send(make_request(http::verb::get, std::move(target),
                             token.empty() ? "" : "Bearer " + token));
  }

  Simulator simulator_{default_options()};
};

// ---- token endpoint

TEST_F(SimulatorTest, TokenIssued) {
  const Reply reply = request_token();
  ASSERT_FALSE(reply.error) << reply.error.message();
  EXPECT_EQ(reply.status, 200u);
  EXPECT_EQ(reply.header("Content-Type"), "application/json");
  const json::value body = json::parse(reply.body);
  EXPECT_EQ(body.at("token_type").as_string(), "Bearer");
  EXPECT_EQ(body.at("expires_in").as_int64(), 3600);
  EXPECT_EQ(body.at("access_token").as_string().size(), 64u);
}

TEST_F(SimulatorTest, TokenWrongSecretRejected) {
  const Reply reply =
      send(make_request(http::verb::post, "/oauth2/token",
                        "Basic ZXhwb3J0ZXI6d3Jvbmc=",  // exporter:wrong
                        "grant_type=client_credentials"));
  EXPECT_EQ(reply.status, 401u);
  EXPECT_EQ(reply.body, R"({"message":"Invalid client credentials"})");
  EXPECT_EQ(simulator_.stats().tokens_issued, 0u);
}

TEST_F(SimulatorTest, TokenMissingHeaderRejected) {
  const Reply reply = send(make_request(http::verb::post, "/oauth2/token", "",
                                        "grant_type=client_credentials"));
  EXPECT_EQ(reply.status, 401u);
}

TEST_F(SimulatorTest, TokenWrongGrantRejected) {
  const Reply reply =
      send(make_request(http::verb::post, "/oauth2/token",
                        std::string(basic_credentials), "grant_type=password"));
  EXPECT_EQ(reply.status, 400u);
  EXPECT_EQ(json::parse(reply.body).at("error").as_string(),
            "unsupported_grant_type");
}

TEST_F(SimulatorTest, TokenGetNotAllowed) {
  const Reply reply = send(make_request(http::verb::get, "/oauth2/token",
                                        std::string(basic_credentials)));
  EXPECT_EQ(reply.status, 405u);
  EXPECT_EQ(reply.header("Allow"), "POST");
}

TEST_F(SimulatorTest, ThirtyFirstTokenEvictsFirst) {
  const std::string first = mint_token();
  const std::string second = mint_token();
  for (int i = 0; i < 29; ++i) mint_token();

  EXPECT_EQ(simulator_.stats().live_tokens, 30u);
  EXPECT_EQ(get_reps(first).status, 401u);
  EXPECT_EQ(get_reps(second).status, 200u);
}

TEST_F(SimulatorTest, RevokeKillsAllTokens) {
  const std::string first = mint_token();
  const std::string second = mint_token();
  simulator_.revoke_all_tokens();

  EXPECT_EQ(get_reps(first).status, 401u);
  EXPECT_EQ(get_reps(second).status, 401u);
  EXPECT_EQ(simulator_.stats().live_tokens, 0u);
  EXPECT_EQ(get_reps(mint_token()).status, 200u);
}

// ---- command endpoint

TEST_F(SimulatorTest, CommandServesPopulation) {
  const Reply reply = get_reps(mint_token());
  ASSERT_FALSE(reply.error) << reply.error.message();
  EXPECT_EQ(reply.status, 200u);
  EXPECT_EQ(reply.header("Connection"), "close");
  EXPECT_EQ(reply.header("Content-Type"), "text/xml; charset=UTF-8");
  EXPECT_EQ(reply.body,
            render_logged_in_reps(simulator_.reps(), simulator_.variant(), 1));
  EXPECT_EQ(count_of(reply.body, "<rep id="), 3u);
}

TEST_F(SimulatorTest, CommandPostForm) {
  const Reply reply =
      send(make_request(http::verb::post, "/api/command",
                        "Bearer " + mint_token(), "action=get_logged_in_reps"));
  EXPECT_EQ(reply.status, 200u);
  EXPECT_EQ(count_of(reply.body, "<rep id="), 3u);
}

TEST_F(SimulatorTest, CommandLegacyPath) {
  const Reply reply =
      get_reps(mint_token(), "/api/command.ns?action=get_logged_in_reps");
  EXPECT_EQ(reply.status, 200u);
  EXPECT_EQ(count_of(reply.body, "<rep id="), 3u);
}

TEST_F(SimulatorTest, CommandUnknownActionError) {
  const Reply reply =
      get_reps(mint_token(), "/api/command?action=get_everything");
  EXPECT_EQ(reply.status, 200u);
  EXPECT_EQ(reply.body,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\n"
            "<error xmlns=\"https://www.beyondtrust.com/namespaces/API/"
            "command\">Invalid action: get_everything</error>\n\n");
}

TEST_F(SimulatorTest, CommandMissingActionError) {
  const Reply reply = get_reps(mint_token(), "/api/command");
  EXPECT_EQ(reply.status, 200u);
  EXPECT_NE(reply.body.find(">No action specified</error>"), std::string::npos);
}

TEST_F(SimulatorTest, CommandWithoutTokenJson) {
  const Reply reply = get_reps("");
  EXPECT_EQ(reply.status, 401u);
  EXPECT_EQ(reply.header("Content-Type"), "application/json");
  EXPECT_EQ(reply.body, R"({"message":"Invalid or expired access token"})");
}

TEST_F(SimulatorTest, CommandUnknownTokenEmpty) {
  Variant variant;
  variant.unauthorized_body = UnauthorizedBody::empty;
  simulator_.set_variant(variant);
  const Reply reply = get_reps("not-a-token");
  EXPECT_EQ(reply.status, 401u);
  EXPECT_EQ(reply.header("Content-Length"), "0");
  EXPECT_EQ(reply.body, "");
}

TEST_F(SimulatorTest, CommandUnknownTokenXml) {
  Variant variant;
  variant.unauthorized_body = UnauthorizedBody::xml;
  simulator_.set_variant(variant);
  const Reply reply = get_reps("not-a-token");
  EXPECT_EQ(reply.status, 401u);
  EXPECT_EQ(reply.header("Content-Type"), "text/xml; charset=UTF-8");
  EXPECT_NE(reply.body.find(">Invalid or expired access token</error>"),
            std::string::npos);
}

TEST_F(SimulatorTest, RateLimitHeaders) {
  Variant variant;
  variant.rate_limit_headers = true;
  simulator_.set_variant(variant);
  const Reply reply = get_reps(mint_token());
  EXPECT_EQ(reply.header("X-RateLimit-Limit"), "20");
  EXPECT_FALSE(reply.header("X-RateLimit-Remaining").empty());
}

TEST_F(SimulatorTest, HealthCheck) {
  EXPECT_EQ(send(make_request(http::verb::get, "/check_health")).status, 200u);
  Variant variant;
  variant.healthy = false;
  simulator_.set_variant(variant);
  EXPECT_EQ(send(make_request(http::verb::get, "/check_health")).status, 500u);
}

TEST_F(SimulatorTest, UnknownPathNotFound) {
  EXPECT_EQ(send(make_request(http::verb::get, "/api/other")).status, 404u);
}

// ---- counters

TEST_F(SimulatorTest, StatsCountExactly) {
  const std::string token = mint_token();
  get_reps(token);
  get_reps(token);
  get_reps("");
  send(make_request(http::verb::get, "/_sim/stats"));

  const Stats stats = simulator_.stats();
  EXPECT_EQ(stats.connections, 5u);
  EXPECT_EQ(stats.token_requests, 1u);
  EXPECT_EQ(stats.tokens_issued, 1u);
  EXPECT_EQ(stats.command_requests, 3u);
  EXPECT_EQ(stats.unauthorized_commands, 1u);
  EXPECT_EQ(stats.control_requests, 1u);
  EXPECT_EQ(stats.live_tokens, 1u);
  EXPECT_EQ(stats.requests_by_path.at("/api/command"), 3u);
  EXPECT_EQ(stats.requests_by_path.at("/oauth2/token"), 1u);
  EXPECT_EQ(stats.requests_by_path.size(), 2u);
  EXPECT_EQ(stats.responses_by_status.at(200), 3u);
  EXPECT_EQ(stats.responses_by_status.at(401), 1u);
}

TEST_F(SimulatorTest, StatsReset) {
  mint_token();
  simulator_.reset_stats();
  EXPECT_EQ(simulator_.stats(), Stats{.live_tokens = 1});
}

// ---- faults

TEST_F(SimulatorTest, FaultStatus500) {
  simulator_.set_fault({.kind = FaultKind::status_500});
  EXPECT_EQ(get_reps(mint_token()).status, 500u);
}

TEST_F(SimulatorTest, Fault503RetryAfter) {
  simulator_.set_fault({.kind = FaultKind::status_503, .retry_after = "7"});
  const Reply reply = get_reps(mint_token());
  EXPECT_EQ(reply.status, 503u);
  EXPECT_EQ(reply.header("Retry-After"), "7");
}

TEST_F(SimulatorTest, Fault429RetryAfter) {
  simulator_.set_fault({.kind = FaultKind::status_429, .retry_after = "2"});
  const Reply reply = get_reps(mint_token());
  EXPECT_EQ(reply.status, 429u);
  EXPECT_EQ(reply.header("Retry-After"), "2");
}

TEST_F(SimulatorTest, Fault429WithoutRetryAfter) {
  simulator_.set_fault({.kind = FaultKind::status_429});
  const Reply reply = get_reps(mint_token());
  EXPECT_EQ(reply.status, 429u);
  EXPECT_EQ(reply.headers.count(http::field::retry_after), 0u);
}

TEST_F(SimulatorTest, FaultCountLimits) {
  const std::string token = mint_token();
  simulator_.set_fault({.kind = FaultKind::status_500, .count = 2});
  EXPECT_EQ(get_reps(token).status, 500u);
  EXPECT_EQ(get_reps(token).status, 500u);
  EXPECT_EQ(get_reps(token).status, 200u);
  EXPECT_EQ(simulator_.fault().kind, FaultKind::none);
  EXPECT_EQ(simulator_.stats().faults_applied, 2u);
}

TEST_F(SimulatorTest, FaultTargetsCommandOnly) {
  simulator_.set_fault({.kind = FaultKind::status_503});
  EXPECT_EQ(request_token().status, 200u);
}

TEST_F(SimulatorTest, FaultTargetsToken) {
  simulator_.set_fault(
      {.kind = FaultKind::status_503, .target = FaultTarget::token});
  EXPECT_EQ(request_token().status, 503u);
}

TEST_F(SimulatorTest, FaultTargetsBoth) {
  const std::string token = mint_token();
  simulator_.set_fault(
      {.kind = FaultKind::status_500, .target = FaultTarget::both});
  EXPECT_EQ(request_token().status, 500u);
  EXPECT_EQ(get_reps(token).status, 500u);
}

TEST_F(SimulatorTest, FaultDelay) {
  const std::string token = mint_token();
  simulator_.set_fault({.kind = FaultKind::delay, .delay = 300ms});
  const Reply reply = get_reps(token);
  EXPECT_EQ(reply.status, 200u);
  EXPECT_GE(reply.elapsed, 300ms);
}

TEST_F(SimulatorTest, FaultCloseWithoutAnswer) {
  const std::string token = mint_token();
  simulator_.set_fault({.kind = FaultKind::close_without_answer});
  const Reply reply = get_reps(token);
  EXPECT_TRUE(reply.error);
  EXPECT_FALSE(reply.header_received);
}

TEST_F(SimulatorTest, FaultTruncatedBody) {
  const std::string token = mint_token();
  const std::string full =
      render_logged_in_reps(simulator_.reps(), simulator_.variant(), 1);
  simulator_.set_fault({.kind = FaultKind::truncated_body});
  const Reply reply = get_reps(token);
  EXPECT_TRUE(reply.error);
  EXPECT_EQ(reply.status, 200u);
  EXPECT_EQ(reply.header("Content-Length"), std::to_string(full.size()));
  EXPECT_EQ(reply.body, full.substr(0, full.size() / 2));
}

TEST_F(SimulatorTest, FaultHangMidBody) {
  const std::string token = mint_token();
  simulator_.set_fault({.kind = FaultKind::hang_mid_body, .delay = 10s});
  ClientOptions options = client();
  options.timeout = 700ms;
  const Reply reply = exchange(
      simulator_.port(),
      make_request(http::verb::get, "/api/command?action=get_logged_in_reps",
                   "Bearer " + token),
      options);
  EXPECT_EQ(reply.error, beast::error::timeout);
  EXPECT_EQ(reply.status, 200u);
  EXPECT_GT(reply.body.size(), 0u);
  EXPECT_LT(reply.body.size(), std::stoul(reply.header("Content-Length")));
}

TEST_F(SimulatorTest, FaultHangEndsAtCap) {
  const std::string token = mint_token();
  simulator_.set_fault({.kind = FaultKind::hang_mid_body, .delay = 300ms});
  const Reply reply = get_reps(token);
  EXPECT_TRUE(reply.error);
  EXPECT_NE(reply.error, beast::error::timeout);
  EXPECT_GE(reply.elapsed, 300ms);
}

TEST_F(SimulatorTest, FaultOversizedBody) {
  const std::string token = mint_token();
  const std::size_t size = std::size_t{8} << 20;
  simulator_.set_fault({.kind = FaultKind::oversized_body, .body_bytes = size});
  const Reply reply = get_reps(token);
  ASSERT_FALSE(reply.error) << reply.error.message();
  EXPECT_EQ(reply.header("Content-Length"), std::to_string(size));
  EXPECT_EQ(reply.body.size(), size);
  EXPECT_TRUE(reply.body.starts_with("<?xml"));
  EXPECT_TRUE(reply.body.ends_with("</logged_in_reps>\n"));
  EXPECT_GT(count_of(reply.body, "<rep id="), 10000u);
}

TEST_F(SimulatorTest, FaultOversizedTokenBody) {
  const std::size_t size = 100000;
  simulator_.set_fault({.kind = FaultKind::oversized_body,
                        .target = FaultTarget::token,
                        .body_bytes = size});
  const Reply reply = request_token();
  ASSERT_FALSE(reply.error) << reply.error.message();
  EXPECT_EQ(reply.body.size(), size);
  EXPECT_TRUE(json::parse(reply.body).is_object());
}

TEST_F(SimulatorTest, FaultMalformedXml) {
  const std::string token = mint_token();
  simulator_.set_fault({.kind = FaultKind::malformed_xml});
  const Reply reply = get_reps(token);
  EXPECT_EQ(reply.status, 200u);
  EXPECT_TRUE(reply.body.ends_with("<type>Normal</typ"));
  EXPECT_EQ(reply.body.find("</logged_in_reps>"), std::string::npos);
}

TEST_F(SimulatorTest, FaultMalformedJson) {
  simulator_.set_fault(
      {.kind = FaultKind::malformed_xml, .target = FaultTarget::token});
  const Reply reply = request_token();
  EXPECT_EQ(reply.status, 200u);
  boost::system::error_code error;
  json::parse(reply.body, error);
  EXPECT_TRUE(error);
}

TEST_F(SimulatorTest, FaultRevokeTokens) {
  const std::string token = mint_token();
  simulator_.set_fault({.kind = FaultKind::revoke_tokens, .count = 1});
  EXPECT_EQ(get_reps(token).status, 401u);
  EXPECT_EQ(get_reps(mint_token()).status, 200u);
}

TEST_F(SimulatorTest, FaultEarlyExpiry) {
  simulator_.set_fault(
      {.kind = FaultKind::early_expiry, .token_lifetime = 300ms});
  const Reply minted = request_token();
  EXPECT_EQ(json::parse(minted.body).at("expires_in").as_int64(), 3600);
  const std::string token(
      json::parse(minted.body).at("access_token").as_string());
  EXPECT_EQ(get_reps(token).status, 200u);
  std::this_thread::sleep_for(400ms);
  EXPECT_EQ(get_reps(token).status, 401u);
}

TEST_F(SimulatorTest, FaultRejectCredentials) {
  simulator_.set_fault({.kind = FaultKind::reject_credentials});
  const Reply reply = request_token();
  EXPECT_EQ(reply.status, 401u);
  EXPECT_EQ(reply.body, R"({"message":"Invalid client credentials"})");
}

TEST_F(SimulatorTest, FaultClearRestores) {
  const std::string token = mint_token();
  simulator_.set_fault({.kind = FaultKind::status_500});
  simulator_.clear_fault();
  EXPECT_EQ(get_reps(token).status, 200u);
}

// ---- control over HTTP

TEST_F(SimulatorTest, ControlSetsVariant) {
  auto request = make_request(http::verb::post, "/_sim/variant");
  request.body() = R"({"namespace": "none", "login_time": "unix_seconds"})";
  const Reply control = send(std::move(request));
  EXPECT_EQ(control.status, 200u);
  EXPECT_EQ(simulator_.variant().xml_namespace, XmlNamespace::none);
  EXPECT_EQ(simulator_.variant().login_time, LoginTimeForm::unix_seconds);
  EXPECT_NE(get_reps(mint_token()).body.find("<logged_in_reps>\n"),
            std::string::npos);
}

TEST_F(SimulatorTest, ControlSetsFault) {
  auto request = make_request(http::verb::post, "/_sim/fault");
  request.body() = R"({"kind": "status_429", "retry_after": "3", "count": 1})";
  EXPECT_EQ(send(std::move(request)).status, 200u);
  const Fault fault = simulator_.fault();
  EXPECT_EQ(fault.kind, FaultKind::status_429);
  EXPECT_EQ(fault.retry_after, "3");
  EXPECT_EQ(fault.count, 1u);
}

TEST_F(SimulatorTest, ControlRejectsUnknownKey) {
  auto request = make_request(http::verb::post, "/_sim/fault");
  request.body() = R"({"kind": "status_500", "colour": "red"})";
  const Reply reply = send(std::move(request));
  EXPECT_EQ(reply.status, 400u);
  EXPECT_EQ(reply.body, R"({"message":"unknown key \"colour\""})");
  EXPECT_EQ(simulator_.fault().kind, FaultKind::none);
}

TEST_F(SimulatorTest, ControlRejectsBadEnum) {
  auto request = make_request(http::verb::post, "/_sim/variant");
  request.body() = R"({"namespace": "acme"})";
  const Reply reply = send(std::move(request));
  EXPECT_EQ(reply.status, 400u);
  EXPECT_EQ(reply.body,
            R"({"message":"invalid value of \"namespace\": expected one of )"
            R"(beyondtrust, bomgar_https, bomgar_http, none"})");
}

TEST_F(SimulatorTest, ControlClearAndRevoke) {
  const std::string token = mint_token();
  simulator_.set_fault({.kind = FaultKind::status_500});
  EXPECT_EQ(send(make_request(http::verb::post, "/_sim/clear")).status, 200u);
  EXPECT_EQ(simulator_.fault().kind, FaultKind::none);
  EXPECT_EQ(send(make_request(http::verb::post, "/_sim/revoke")).status, 200u);
  EXPECT_EQ(get_reps(token).status, 401u);
}

TEST_F(SimulatorTest, ControlSetsReps) {
  auto request = make_request(http::verb::post, "/_sim/reps");
  request.body() =
      R"({"reps": [{"id": 42, "public_display_name": "A", "type": "Invited",)"
      R"( "support_session_count": 3}]})";
  EXPECT_EQ(send(std::move(request)).status, 200u);
  const auto reps = simulator_.reps();
  ASSERT_EQ(reps.size(), 1u);
  EXPECT_EQ(reps[0].id, 42u);
  EXPECT_EQ(reps[0].type, "Invited");
  EXPECT_EQ(reps[0].support_session_count, 3u);
}

TEST_F(SimulatorTest, ControlGeneratesReps) {
  auto request = make_request(http::verb::post, "/_sim/reps");
  request.body() = R"({"count": 250, "seed": 9})";
  EXPECT_EQ(send(std::move(request)).status, 200u);
  EXPECT_EQ(simulator_.reps(), generate_reps(250, 9, fixed_time));
}

TEST_F(SimulatorTest, ControlStatsJson) {
  mint_token();
  const Reply reply = send(make_request(http::verb::get, "/_sim/stats"));
  const json::value stats = json::parse(reply.body);
  EXPECT_EQ(stats.at("token_requests").as_int64(), 1);
  EXPECT_EQ(stats.at("live_tokens").as_int64(), 1);
  EXPECT_EQ(stats.at("responses_by_status").at("200").as_int64(), 1);
}

// ---- population

TEST_F(SimulatorTest, SetRepsExact) {
  simulator_.set_reps({sample_rep()});
  EXPECT_EQ(simulator_.reps(), std::vector<SimRep>{sample_rep()});
  const Reply reply = get_reps(mint_token());
  EXPECT_EQ(count_of(reply.body, "<rep id=\"7\">"), 1u);
}

TEST_F(SimulatorTest, EmptyPopulation) {
  simulator_.set_reps({});
  const Reply reply = get_reps(mint_token());
  EXPECT_EQ(reply.body,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<logged_in_reps xmlns=\"https://www.beyondtrust.com/namespaces/"
            "API/command\">\n</logged_in_reps>\n");
}

TEST(Population, SeedRepeatable) {
  EXPECT_EQ(generate_reps(500, 4, fixed_time),
            generate_reps(500, 4, fixed_time));
  EXPECT_NE(generate_reps(500, 4, fixed_time),
            generate_reps(500, 5, fixed_time));
}

TEST(Population, TenThousandUniqueIds) {
  const auto reps = generate_reps(10000, 1, fixed_time);
  ASSERT_EQ(reps.size(), 10000u);
  std::vector<std::uint64_t> ids;
  for (const auto& rep : reps) ids.push_back(rep.id);
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(std::adjacent_find(ids.begin(), ids.end()), ids.end());
}

TEST(Population, HardNames) {
  const auto reps = generate_reps(100, 1, fixed_time);
  const auto has = [&](auto predicate) {
    return std::any_of(reps.begin(), reps.end(), predicate);
  };
  EXPECT_TRUE(has([](const SimRep& rep) {
    return rep.public_display_name.find('"') != std::string::npos;
  }));
  EXPECT_TRUE(has([](const SimRep& rep) {
    return rep.public_display_name.find('\\') != std::string::npos;
  }));
  EXPECT_TRUE(has(
      [](const SimRep& rep) { return rep.public_display_name.size() > 300; }));
  EXPECT_TRUE(has([](const SimRep& rep) {
    return std::any_of(rep.public_display_name.begin(),
                       rep.public_display_name.end(),
                       [](char c) { return (c & 0x80) != 0; });
  }));
}

TEST(Population, LoginTimesInPast) {
  for (const auto& rep : generate_reps(200, 3, fixed_time)) {
    EXPECT_LE(rep.logged_in_since, fixed_time);
    EXPECT_GT(rep.logged_in_since, fixed_time - 8 * 3600);
  }
}

TEST(Demo, PopulationMoves) {
  Options options;
  options.cert_dir = shared_test_certificates().dir.string();
  options.reps = 20;
  options.demo = true;
  options.demo_interval = 20ms;
  Simulator simulator(options);
  simulator.start();
  const auto initial = simulator.reps();
  bool moved = false;
  for (int i = 0; i < 100 && !moved; ++i) {
    std::this_thread::sleep_for(20ms);
    moved = simulator.reps() != initial;
  }
  EXPECT_TRUE(moved);
  EXPECT_GE(simulator.reps().size(), 10u);
  EXPECT_LE(simulator.reps().size(), 30u);
}

// ---- rendering of each variant

std::string render_one(const Variant& variant) {
  return render_logged_in_reps({sample_rep()}, variant, 1);
}

TEST(Render, DefaultDocument) {
  EXPECT_EQ(render_one({}),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<logged_in_reps "
            "xmlns=\"https://www.beyondtrust.com/namespaces/API/command\">\n"
            "<rep id=\"7\"><display_name>Ana Núñez</display_name>"
            "<public_display_name>Ana Núñez</public_display_name>"
            "<private_display_name>Ana [Tier 1]</private_display_name>"
            "<type>Normal</type>"
            "<direct_link>&lt;a href=&quot;https://support.example.test/api/"
            "client_script?type=rep&amp;amp;id=7&quot;&gt;Ana Núñez&lt;/a&gt;"
            "</direct_link>"
            "<logged_in_since ts=\"1700000000\">2023-11-14T22:13:20+00:00"
            "</logged_in_since>"
            "<presentation_count>1</presentation_count>"
            "<support_session_count>2</support_session_count>"
            "<showing_on_rep_list>1</showing_on_rep_list></rep>\n"
            "</logged_in_reps>\n");
}

TEST(Render, Namespaces) {
  const std::pair<XmlNamespace, std::string> cases[] = {
      {XmlNamespace::beyondtrust,
       "<logged_in_reps "
       "xmlns=\"https://www.beyondtrust.com/namespaces/API/command\">"},
      {XmlNamespace::bomgar_https,
       "<logged_in_reps "
       "xmlns=\"https://www.bomgar.com/namespaces/API/command\">"},
      {XmlNamespace::bomgar_http,
       "<logged_in_reps "
       "xmlns=\"http://www.bomgar.com/namespaces/API/command\">"},
      {XmlNamespace::none, "<logged_in_reps>"},
  };
  for (const auto& [xml_namespace, root] : cases) {
    EXPECT_NE(render_one({.xml_namespace = xml_namespace}).find(root),
              std::string::npos)
        << root;
  }
}

TEST(Render, LoginTimeForms) {
  const std::pair<LoginTimeForm, std::string> cases[] = {
      {LoginTimeForm::ts_attribute,
       "<logged_in_since ts=\"1700000000\">2023-11-14T22:13:20+00:00"
       "</logged_in_since>"},
      {LoginTimeForm::iso_utc,
       "<logged_in_since>2023-11-14T22:13:20Z</logged_in_since>"},
      {LoginTimeForm::iso_offset,
       "<logged_in_since>2023-11-15T00:13:20+02:00</logged_in_since>"},
      {LoginTimeForm::iso_offset_compact,
       "<logged_in_since>2023-11-14T17:13:20-0500</logged_in_since>"},
      {LoginTimeForm::iso_fractional,
       "<logged_in_since>2023-11-14T22:13:20.250Z</logged_in_since>"},
      {LoginTimeForm::unix_seconds,
       "<logged_in_since>1700000000</logged_in_since>"},
  };
  for (const auto& [form, element] : cases) {
    EXPECT_NE(render_one({.login_time = form}).find(element), std::string::npos)
        << element;
  }
}

TEST(Render, DirectLinkForms) {
  const std::string href =
      "https://support.example.test/api/client_script?type=rep&amp;id=7";
  const std::pair<DirectLinkForm, std::string> cases[] = {
      {DirectLinkForm::escaped,
       "<direct_link>&lt;a href=&quot;https://support.example.test/api/"
       "client_script?type=rep&amp;amp;id=7&quot;&gt;Ana Núñez&lt;/a&gt;"
       "</direct_link>"},
      {DirectLinkForm::cdata, "<direct_link><![CDATA[<a href=\"" + href +
                                  "\">Ana Núñez</a>]]></direct_link>"},
      {DirectLinkForm::element,
       "<direct_link><a href=\"" + href + "\">Ana Núñez</a></direct_link>"},
  };
  for (const auto& [form, element] : cases) {
    EXPECT_NE(render_one({.direct_link = form}).find(element),
              std::string::npos)
        << element;
  }
}

TEST(Render, OldSiteDisplayNameOnly) {
  const std::string body = render_one({.names = NameForm::display_name_only});
  EXPECT_EQ(count_of(body, "<display_name>Ana Núñez</display_name>"), 1u);
  EXPECT_EQ(count_of(body, "public_display_name"), 0u);
  EXPECT_EQ(count_of(body, "private_display_name"), 0u);
}

TEST(Render, PraWithoutPrivateName) {
  const std::string body = render_one({.names = NameForm::no_private});
  EXPECT_EQ(count_of(body, "<public_display_name>"), 1u);
  EXPECT_EQ(count_of(body, "private_display_name"), 0u);
}

TEST(Render, PraEmptyPrivateName) {
  const std::string body = render_one({.names = NameForm::empty_private});
  EXPECT_EQ(count_of(body, "<private_display_name></private_display_name>"),
            1u);
}

TEST(Render, DeclarationBlankLines) {
  EXPECT_TRUE(render_one({.declaration = XmlDeclaration::blank_lines})
                  .starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                               "\n\n\n<logged_in_reps"));
  EXPECT_TRUE(render_one({.declaration = XmlDeclaration::none})
                  .starts_with("<logged_in_reps"));
}

TEST(Render, ErrorAsRoot) {
  EXPECT_EQ(render_one({.api_error = ApiErrorForm::root,
                        .api_error_text = "Permission denied"}),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\n"
            "<error xmlns=\"https://www.beyondtrust.com/namespaces/API/"
            "command\">Permission denied</error>\n\n");
}

TEST(Render, ErrorAsChild) {
  const std::string body = render_one(
      {.api_error = ApiErrorForm::child, .api_error_text = "Not allowed"});
  EXPECT_NE(body.find("command\">\n<error>Not allowed</error>\n"
                      "</logged_in_reps>\n"),
            std::string::npos);
  EXPECT_EQ(count_of(body, "<rep "), 0u);
}

TEST(Render, ExtraRepTypes) {
  const auto reps = generate_reps(14, 1, fixed_time);
  const std::string body =
      render_logged_in_reps(reps, {.extra_rep_types = true}, 1);
  EXPECT_EQ(count_of(body, "<type>Trainee</type>"), 2u);  // positions 6, 13
  EXPECT_EQ(count_of(body, "<type>Embassy</type>"), 4u);  // 2, 5, 8, 11
}

TEST(Render, ShuffledKeepsElements) {
  const auto reps = generate_reps(20, 1, fixed_time);
  const std::string plain = render_logged_in_reps(reps, {}, 1);
  const std::string shuffled =
      render_logged_in_reps(reps, {.shuffled_elements = true}, 1);
  EXPECT_NE(plain, shuffled);
  EXPECT_EQ(plain.size(), shuffled.size());
  EXPECT_EQ(count_of(shuffled, "<support_session_count>"), 20u);
  EXPECT_EQ(shuffled,
            render_logged_in_reps(reps, {.shuffled_elements = true}, 1));
}

TEST(Render, EscapesNames) {
  SimRep rep = sample_rep();
  rep.public_display_name = "Seán \"Ace\" O'Brien <R&D> \\x";
  const std::string body = render_logged_in_reps({rep}, {}, 1);
  EXPECT_NE(body.find("<public_display_name>Seán &quot;Ace&quot; O'Brien "
                      "&lt;R&amp;D&gt; \\x</public_display_name>"),
            std::string::npos);
}

// ---- TLS

class TlsTest : public SimulatorTest {
 protected:
  Reply health(const ClientOptions& options) {
    return exchange(simulator_.port(),
                    make_request(http::verb::get, "/check_health"), options);
  }
};

TEST_F(TlsTest, ValidCertificate) {
  ClientOptions options = client();
  EXPECT_EQ(health(options).status, 200u);
  options.host = "127.0.0.1";
  EXPECT_EQ(health(options).status, 200u);
}

TEST_F(TlsTest, ExpiredCertificateFails) {
  simulator_.set_certificate(CertificateProfile::expired);
  const Reply reply = health(client());
  EXPECT_TRUE(reply.error);
  EXPECT_FALSE(reply.header_received);
  EXPECT_TRUE(eventually([&] { return simulator_.stats().tls_failures == 1; }));
}

TEST_F(TlsTest, WrongHostFails) {
  simulator_.set_certificate(CertificateProfile::wrong_host);
  EXPECT_TRUE(health(client()).error);
  ClientOptions options = client();
  options.host = "wrong.example.test";
  EXPECT_EQ(health(options).status, 200u);
}

TEST_F(TlsTest, UnknownCaFails) {
  simulator_.set_certificate(CertificateProfile::unknown_ca);
  EXPECT_TRUE(health(client()).error);
  ClientOptions options = client();
  options.ca_file = shared_test_certificates().unknown_ca_file;
  EXPECT_EQ(health(options).status, 200u);
}

TEST_F(TlsTest, SwitchBackToValid) {
  simulator_.set_certificate(CertificateProfile::expired);
  simulator_.set_certificate(CertificateProfile::valid);
  EXPECT_EQ(health(client()).status, 200u);
}

TEST_F(TlsTest, ControlSwitchesCertificate) {
  auto request = make_request(http::verb::post, "/_sim/certificate");
  request.body() = R"({"profile": "expired"})";
  EXPECT_EQ(send(std::move(request)).status, 200u);
  EXPECT_TRUE(health(client()).error);
}

TEST(ClientCertificate, Required) {
  const TestCertificates& files = shared_test_certificates();
  Options options;
  options.cert_dir = files.dir.string();
  options.client_ca_file = files.ca_file;
  Simulator simulator(options);
  simulator.start();

  ClientOptions client;
  client.ca_file = files.ca_file;
  const auto request = make_request(http::verb::get, "/check_health");
  EXPECT_TRUE(exchange(simulator.port(), request, client).error);
  client.cert_file = files.client_cert;
  client.key_file = files.client_key;
  EXPECT_EQ(exchange(simulator.port(), request, client).status, 200u);
}

TEST(Certificates, ScriptWritesEveryFile) {
  const TestCertificates& files = shared_test_certificates();
  for (const std::string& path :
       {files.ca_file, files.server_cert, files.server_key,
        files.unknown_ca_file, files.unknown_ca_server_cert,
        files.unknown_ca_server_key, files.wrong_host_cert,
        files.wrong_host_key, files.expired_cert, files.expired_key,
        files.client_cert, files.client_key}) {
    EXPECT_TRUE(std::filesystem::is_regular_file(path)) << path;
  }
}

TEST(Listen, Ipv6Loopback) {
  Options options;
  options.cert_dir = shared_test_certificates().dir.string();
  options.listen_address = "::1";
  Simulator simulator(options);
  try {
    simulator.start();
  } catch (const std::runtime_error& error) {
    GTEST_SKIP() << "no IPv6 loopback here: " << error.what();
  }
  EXPECT_EQ(simulator.url(),
            "https://[::1]:" + std::to_string(simulator.port()));
}

TEST(Listen, BadAddressThrows) {
  Options options;
  options.cert_dir = shared_test_certificates().dir.string();
  options.listen_address = "not-an-address";
  Simulator simulator(options);
  EXPECT_THROW(simulator.start(), std::runtime_error);
}

}  // namespace
