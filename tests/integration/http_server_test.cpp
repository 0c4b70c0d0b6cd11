#include "beyondtrust_exporter/http_server.hpp"

#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <utility>

namespace beyondtrust_exporter {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

using Response = http::response<http::string_body>;

// Every client step of these tests finishes within this time, or fails.
constexpr auto client_timeout = 10s;

const std::string metrics_text =
    "# HELP beyondtrust_up 1 when the latest poll succeeded.\n"
    "# TYPE beyondtrust_up gauge\n"
    "beyondtrust_up{appliance=\"support\"} 1\n";

std::string inflate_gzip(std::string_view compressed) {
  z_stream stream{};
  if (inflateInit2(&stream, 15 + 16) != Z_OK) return "<inflateInit2 failed>";
  std::string output;
  std::string chunk(64 * 1024, '\0');
  stream.next_in =
      reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = static_cast<uInt>(compressed.size());
  int result = Z_OK;
  for (int round = 0; round < 1000 && result == Z_OK; ++round) {
    stream.next_out = reinterpret_cast<Bytef*>(chunk.data());
    stream.avail_out = static_cast<uInt>(chunk.size());
    result = inflate(&stream, Z_NO_FLUSH);
    output.append(chunk.data(), chunk.size() - stream.avail_out);
  }
  inflateEnd(&stream);
  return result == Z_STREAM_END ? output : "<invalid gzip>";
}

// Runs one client coroutine on its own io_context, at most client_timeout.
// Throws what the coroutine throws, or std::runtime_error on a timeout.
template <class T>
T run_client(asio::io_context& io, asio::awaitable<T> operation) {
  std::optional<T> result;
  std::exception_ptr failure;
  asio::co_spawn(io, std::move(operation),
                 [&](std::exception_ptr error, T value) {
                   failure = error;
                   if (!error) result = std::move(value);
                 });
  io.restart();
  io.run_for(client_timeout);
  if (failure) std::rethrow_exception(failure);
  if (!result.has_value()) throw std::runtime_error("client step timed out");
  return std::move(*result);
}

// A plain HTTP client on one connection, driven step by step from the test.
class Client {
 public:
  explicit Client(const tcp::endpoint& endpoint) : stream_(io_) {
    run_client(io_, connect(endpoint));
  }

  // Sends `request` and reads its response.
  Response exchange(http::request<http::string_body> request) {
    request.prepare_payload();
    const bool head = request.method() == http::verb::head;
    write_request(std::move(request));
    return read_response(head);
  }

  void write_request(http::request<http::string_body> request) {
    run_client(io_, write_message(std::move(request)));
  }

  void write_raw(std::string bytes) {
    run_client(io_, write_bytes(std::move(bytes)));
  }

  Response read_response(bool head = false) {
    return run_client(io_, read_message(head));
  }

  // Reads until the server closes the connection or `limit` passes. Returns
  // what arrived and the error that ended reading, which is timeout when the
  // server kept the connection open.
  std::pair<std::string, error_code> read_until_closed(
      std::chrono::milliseconds limit) {
    return run_client(io_, read_all(limit));
  }

 private:
  asio::awaitable<bool> connect(tcp::endpoint endpoint) {
    stream_.expires_after(client_timeout);
    co_await stream_.async_connect(endpoint, asio::use_awaitable);
    co_return true;
  }

  asio::awaitable<bool> write_message(
      http::request<http::string_body> request) {
    stream_.expires_after(client_timeout);
    co_await http::async_write(stream_, request, asio::use_awaitable);
    co_return true;
  }

  asio::awaitable<bool> write_bytes(std::string bytes) {
    stream_.expires_after(client_timeout);
    co_await asio::async_write(stream_, asio::buffer(bytes),
                               asio::use_awaitable);
    co_return true;
  }

  asio::awaitable<Response> read_message(bool head) {
    stream_.expires_after(client_timeout);
    http::response_parser<http::string_body> parser;
    parser.skip(head);
    co_await http::async_read(stream_, buffer_, parser, asio::use_awaitable);
    co_return parser.release();
  }

  asio::awaitable<std::pair<std::string, error_code>> read_all(
      std::chrono::milliseconds limit) {
    stream_.expires_after(limit);
    std::string received(static_cast<const char*>(buffer_.data().data()),
                         buffer_.size());
    buffer_.consume(buffer_.size());
    std::array<char, 4096> chunk;
    error_code error;
    for (int round = 0; round < 10000 && !error; ++round) {
      const std::size_t size = co_await stream_.async_read_some(
          asio::buffer(chunk),
          asio::redirect_error(asio::use_awaitable, error));
      received.append(chunk.data(), size);
    }
    co_return std::pair{received, error};
  }

  asio::io_context io_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
};

http::request<http::string_body> make_request(http::verb method,
                                              std::string target) {
  http::request<http::string_body> request{method, target, 11};
  request.set(http::field::host, "127.0.0.1");
  return request;
}

// A self-signed certificate and its key, made with the openssl command.
struct Certificate {
  std::string cert_file;
  std::string key_file;
};

Certificate make_certificate(const std::filesystem::path& directory,
                             const std::string& name) {
  Certificate certificate{(directory / (name + ".crt")).string(),
                          (directory / (name + ".key")).string()};
  const std::string command =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
      "-nodes -days 2 -subj /CN=" +
      name + " -addext subjectAltName=IP:127.0.0.1,DNS:" + name + " -keyout " +
      certificate.key_file + " -out " + certificate.cert_file + " 2>/dev/null";
  if (std::system(command.c_str()) != 0) {
    throw std::runtime_error("openssl req failed: " + command);
  }
  return certificate;
}

class HttpServerTest : public ::testing::Test {
 protected:
  HttpServerTest() {
    handlers_.render_metrics = [] { return metrics_text; };
    handlers_.render_landing_page = [] {
      return std::string("<html>landing</html>");
    };
    handlers_.reload = [this] {
      ++reload_calls_;
      return reload_rejection_;
    };
    options_.listen_addresses = {"127.0.0.1:0"};
  }

  ~HttpServerTest() override {
    if (server_ != nullptr) stop_server();
    if (!temp_dir_.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(temp_dir_, ignored);
    }
  }

  // Starts the server with options_ and handlers_ on its own thread.
  void start_server() {
    server_ =
        std::make_unique<HttpServer>(io_.get_executor(), options_, handlers_);
    server_->listen();
    endpoint_ = server_->local_endpoints().at(0);
    thread_ = std::thread([this] { io_.run_for(60s); });
  }

  // Stops the server and returns whether `done` was called in time.
  bool stop_server() {
    std::promise<void> stopped;
    asio::post(io_, [&] { server_->stop([&] { stopped.set_value(); }); });
    const bool finished = stopped.get_future().wait_for(client_timeout) ==
                          std::future_status::ready;
    io_.stop();
    thread_.join();
    server_.reset();
    return finished;
  }

  const std::filesystem::path& temp_dir() {
    if (temp_dir_.empty()) {
      temp_dir_ =
          std::filesystem::temp_directory_path() /
          ("http_server_test_" + std::to_string(::getpid()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
      std::filesystem::create_directories(temp_dir_);
    }
    return temp_dir_;
  }

  Response get(std::string target) {
    Client client(endpoint_);
    return client.exchange(make_request(http::verb::get, std::move(target)));
  }

  asio::io_context io_;
  HttpServerOptions options_;
  HttpHandlers handlers_;
  std::atomic<int> reload_calls_{0};
  std::string reload_rejection_;
  std::unique_ptr<HttpServer> server_;
  tcp::endpoint endpoint_;
  std::thread thread_;
  std::filesystem::path temp_dir_;
};

TEST_F(HttpServerTest, MetricsContentType) {
  start_server();
  const Response response = get("/metrics");
  EXPECT_EQ(response.result_int(), 200u);
  EXPECT_EQ(response[http::field::content_type],
            "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(response.body(), metrics_text);
  EXPECT_EQ(response.count(http::field::content_encoding), 0u);
}

TEST_F(HttpServerTest, MetricsQueryIgnored) {
  start_server();
  const Response response = get("/metrics?name[]=up");
  EXPECT_EQ(response.result_int(), 200u);
  EXPECT_EQ(response.body(), metrics_text);
}

TEST_F(HttpServerTest, CustomTelemetryPath) {
  options_.telemetry_path = "/custom";
  start_server();
  EXPECT_EQ(get("/custom").body(), metrics_text);
  EXPECT_EQ(get("/metrics").result_int(), 404u);
}

TEST_F(HttpServerTest, GzipRoundTrip) {
  start_server();
  Client client(endpoint_);
  auto request = make_request(http::verb::get, "/metrics");
  request.set(http::field::accept_encoding, "gzip, deflate");
  const Response response = client.exchange(request);
  EXPECT_EQ(response.result_int(), 200u);
  EXPECT_EQ(response[http::field::content_encoding], "gzip");
  EXPECT_EQ(response[http::field::vary], "Accept-Encoding");
  EXPECT_EQ(inflate_gzip(response.body()), metrics_text);
}

TEST_F(HttpServerTest, NoGzipWithQZero) {
  start_server();
  Client client(endpoint_);
  auto request = make_request(http::verb::get, "/metrics");
  request.set(http::field::accept_encoding, "gzip;q=0, identity");
  const Response response = client.exchange(request);
  EXPECT_EQ(response.count(http::field::content_encoding), 0u);
  EXPECT_EQ(response[http::field::vary], "Accept-Encoding");
  EXPECT_EQ(response.body(), metrics_text);
}

TEST_F(HttpServerTest, HeadHasLengthNoBody) {
  start_server();
  Client client(endpoint_);
  const Response head =
      client.exchange(make_request(http::verb::head, "/metrics"));
  EXPECT_EQ(head.result_int(), 200u);
  EXPECT_EQ(head[http::field::content_length],
            std::to_string(metrics_text.size()));
  EXPECT_EQ(head[http::field::content_type],
            "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(head.body(), "");
  // The connection is still in step: a GET after the HEAD reads its body.
  const Response next =
      client.exchange(make_request(http::verb::get, "/metrics"));
  EXPECT_EQ(next.body(), metrics_text);
}

TEST_F(HttpServerTest, HeadGzipLength) {
  start_server();
  Client client(endpoint_);
  auto request = make_request(http::verb::head, "/metrics");
  request.set(http::field::accept_encoding, "gzip");
  const Response head = client.exchange(request);
  auto get_request = make_request(http::verb::get, "/metrics");
  get_request.set(http::field::accept_encoding, "gzip");
  const Response body = client.exchange(get_request);
  EXPECT_EQ(head[http::field::content_encoding], "gzip");
  EXPECT_EQ(head[http::field::content_length],
            std::to_string(body.body().size()));
}

TEST_F(HttpServerTest, LandingPage) {
  start_server();
  const Response response = get("/");
  EXPECT_EQ(response.result_int(), 200u);
  EXPECT_EQ(response[http::field::content_type], "text/html; charset=utf-8");
  EXPECT_EQ(response.body(), "<html>landing</html>");
}

TEST_F(HttpServerTest, HealthyAndReady) {
  start_server();
  const Response healthy = get("/-/healthy");
  const Response ready = get("/-/ready");
  EXPECT_EQ(healthy.result_int(), 200u);
  EXPECT_EQ(healthy.body(), "beyondtrust_exporter is healthy.\n");
  EXPECT_EQ(ready.result_int(), 200u);
  EXPECT_EQ(ready.body(), "beyondtrust_exporter is ready.\n");
}

TEST_F(HttpServerTest, UnknownPath404) {
  start_server();
  const Response response = get("/nothing-here");
  EXPECT_EQ(response.result_int(), 404u);
  EXPECT_EQ(response.body(), "404 page not found\n");
}

TEST_F(HttpServerTest, WrongMethod405) {
  start_server();
  Client client(endpoint_);
  const Response metrics =
      client.exchange(make_request(http::verb::post, "/metrics"));
  const Response reload =
      client.exchange(make_request(http::verb::get, "/-/reload"));
  const Response healthy =
      client.exchange(make_request(http::verb::delete_, "/-/healthy"));
  EXPECT_EQ(metrics.result_int(), 405u);
  EXPECT_EQ(metrics[http::field::allow], "GET, HEAD");
  EXPECT_EQ(reload.result_int(), 405u);
  EXPECT_EQ(reload[http::field::allow], "POST, PUT");
  EXPECT_EQ(healthy.result_int(), 405u);
  EXPECT_EQ(healthy[http::field::allow], "GET, HEAD");
  EXPECT_EQ(reload_calls_, 0);
}

TEST_F(HttpServerTest, ReloadSuccess) {
  start_server();
  Client client(endpoint_);
  const Response post =
      client.exchange(make_request(http::verb::post, "/-/reload"));
  const Response put =
      client.exchange(make_request(http::verb::put, "/-/reload"));
  EXPECT_EQ(post.result_int(), 200u);
  EXPECT_EQ(post.body(), "config reloaded\n");
  EXPECT_EQ(put.result_int(), 200u);
  EXPECT_EQ(reload_calls_, 2);
}

TEST_F(HttpServerTest, ReloadRejection) {
  reload_rejection_ = "appliances[0].url \"ftp://x\": expected an https:// URL";
  start_server();
  Client client(endpoint_);
  const Response response =
      client.exchange(make_request(http::verb::post, "/-/reload"));
  EXPECT_EQ(response.result_int(), 500u);
  EXPECT_EQ(response.body(),
            "failed to reload config: appliances[0].url \"ftp://x\": "
            "expected an https:// URL\n");
  EXPECT_EQ(reload_calls_, 1);
}

TEST_F(HttpServerTest, ThrowingHandler500) {
  handlers_.render_metrics = []() -> std::string {
    throw std::runtime_error("renderer failed");
  };
  start_server();
  const Response response = get("/metrics");
  EXPECT_EQ(response.result_int(), 500u);
  EXPECT_EQ(response.body(), "500 internal server error\n");
}

TEST_F(HttpServerTest, KeepAliveTwoRequests) {
  start_server();
  Client client(endpoint_);
  const Response first =
      client.exchange(make_request(http::verb::get, "/metrics"));
  const Response second =
      client.exchange(make_request(http::verb::get, "/-/healthy"));
  EXPECT_EQ(first.result_int(), 200u);
  EXPECT_TRUE(first.keep_alive());
  EXPECT_EQ(second.result_int(), 200u);
  EXPECT_EQ(second.body(), "beyondtrust_exporter is healthy.\n");
}

TEST_F(HttpServerTest, PipelinedRequests) {
  start_server();
  Client client(endpoint_);
  client.write_raw(
      "GET /-/healthy HTTP/1.1\r\nHost: a\r\n\r\n"
      "GET /-/ready HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(client.read_response().body(),
            "beyondtrust_exporter is healthy.\n");
  EXPECT_EQ(client.read_response().body(), "beyondtrust_exporter is ready.\n");
}

TEST_F(HttpServerTest, ConnectionCloseHonoured) {
  start_server();
  Client client(endpoint_);
  auto request = make_request(http::verb::get, "/-/healthy");
  request.keep_alive(false);
  const Response response = client.exchange(request);
  EXPECT_FALSE(response.keep_alive());
  const auto [rest, error] = client.read_until_closed(2s);
  EXPECT_EQ(rest, "");
  EXPECT_EQ(error, asio::error::eof);
}

TEST_F(HttpServerTest, IdleConnectionClosed) {
  options_.idle_timeout = 200ms;
  start_server();
  Client client(endpoint_);
  EXPECT_EQ(
      client.exchange(make_request(http::verb::get, "/-/ready")).result_int(),
      200u);
  const auto started = std::chrono::steady_clock::now();
  const auto [rest, error] = client.read_until_closed(5s);
  EXPECT_EQ(rest, "");
  EXPECT_NE(error, beast::error::timeout);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
}

TEST_F(HttpServerTest, MaxRequests503) {
  options_.max_requests = 2;
  start_server();

  // Two reloads whose bodies are held back stay in flight; 100 Continue
  // shows that the server has counted each of them.
  const std::string held =
      "POST /-/reload HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n"
      "Expect: 100-continue\r\n\r\n";
  Client first(endpoint_);
  Client second(endpoint_);
  first.write_raw(held);
  second.write_raw(held);
  EXPECT_EQ(first.read_response().result_int(), 100u);
  EXPECT_EQ(second.read_response().result_int(), 100u);

  const Response rejected = get("/metrics");
  EXPECT_EQ(rejected.result_int(), 503u);
  EXPECT_EQ(rejected.body(), "503 too many requests in flight\n");

  // Finishing one frees its slot.
  first.write_raw("{}");
  EXPECT_EQ(first.read_response().result_int(), 200u);
  EXPECT_EQ(get("/metrics").result_int(), 200u);
  second.write_raw("{}");
  EXPECT_EQ(second.read_response().result_int(), 200u);
  EXPECT_EQ(reload_calls_, 2);
}

TEST_F(HttpServerTest, HeaderTooLarge431) {
  options_.header_limit = 1024;
  start_server();
  Client client(endpoint_);
  client.write_raw("GET /metrics HTTP/1.1\r\nHost: a\r\nX-Filler: " +
                   std::string(4000, 'x') + "\r\n\r\n");
  const Response response = client.read_response();
  EXPECT_EQ(response.result_int(), 431u);
  EXPECT_FALSE(response.keep_alive());
}

TEST_F(HttpServerTest, BodyTooLarge413) {
  options_.body_limit = 16;
  start_server();
  Client client(endpoint_);
  auto request = make_request(http::verb::post, "/-/reload");
  request.body() = std::string(100, 'x');
  const Response response = client.exchange(request);
  EXPECT_EQ(response.result_int(), 413u);
  EXPECT_EQ(reload_calls_, 0);
}

TEST_F(HttpServerTest, MalformedRequest400) {
  start_server();
  Client client(endpoint_);
  client.write_raw("NOT AN HTTP REQUEST\r\n\r\n");
  const Response response = client.read_response();
  EXPECT_EQ(response.result_int(), 400u);
}

TEST_F(HttpServerTest, SlowHeaderCutOff) {
  options_.read_timeout = 300ms;
  start_server();
  Client client(endpoint_);
  client.write_raw("GET /metrics HTTP/1.1\r\n");
  const auto started = std::chrono::steady_clock::now();
  const auto [received, error] = client.read_until_closed(5s);
  EXPECT_EQ(received, "");
  EXPECT_NE(error, beast::error::timeout);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
}

TEST_F(HttpServerTest, DribblingClientCutOff) {
  options_.read_timeout = 300ms;
  start_server();
  Client client(endpoint_);

  // One byte every 50 ms never completes a request within 300 ms, although
  // each byte arrives well within it.
  const std::string request = "GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n";
  const auto started = std::chrono::steady_clock::now();
  bool cut_off = false;
  for (std::size_t i = 0; i < request.size() && !cut_off; ++i) {
    try {
      client.write_raw(std::string(1, request[i]));
    } catch (const std::exception&) {
      cut_off = true;
    }
    std::this_thread::sleep_for(50ms);
  }
  if (!cut_off) {
    const auto [received, error] = client.read_until_closed(5s);
    EXPECT_EQ(received, "");
    EXPECT_NE(error, beast::error::timeout);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, 4s);
}

TEST_F(HttpServerTest, SilentConnectionCutOff) {
  options_.read_timeout = 300ms;
  start_server();
  Client client(endpoint_);
  const auto [received, error] = client.read_until_closed(5s);
  EXPECT_EQ(received, "");
  EXPECT_NE(error, beast::error::timeout);
}

TEST_F(HttpServerTest, ConnectionCapWaits) {
  options_.max_connections = 1;
  start_server();
  auto first = std::make_unique<Client>(endpoint_);
  EXPECT_EQ(
      first->exchange(make_request(http::verb::get, "/-/ready")).result_int(),
      200u);

  // The kernel completes the second connect, but the server leaves it
  // unaccepted while the first one is open.
  Client second(endpoint_);
  second.write_request(make_request(http::verb::get, "/-/healthy"));
  const auto [early, early_error] = second.read_until_closed(300ms);
  EXPECT_EQ(early, "");
  EXPECT_EQ(early_error, beast::error::timeout);

  first.reset();
  // The timed-out read closed the second client, so a fresh connection
  // shows that the freed slot is used.
  EXPECT_EQ(get("/-/healthy").result_int(), 200u);
}

TEST_F(HttpServerTest, BasicAuth) {
  options_.security.check_basic_auth = [](std::string_view user,
                                          std::string_view password) {
    return user == "prometheus" && password == "s3cret:with colon";
  };
  start_server();
  Client client(endpoint_);

  const Response missing =
      client.exchange(make_request(http::verb::get, "/metrics"));
  EXPECT_EQ(missing.result_int(), 401u);
  EXPECT_EQ(missing[http::field::www_authenticate],
            "Basic realm=\"beyondtrust_exporter\"");

  // prometheus:wrong
  auto wrong = make_request(http::verb::get, "/metrics");
  wrong.set(http::field::authorization, "Basic cHJvbWV0aGV1czp3cm9uZw==");
  EXPECT_EQ(client.exchange(wrong).result_int(), 401u);

  auto malformed = make_request(http::verb::get, "/metrics");
  malformed.set(http::field::authorization, "Basic %%%");
  EXPECT_EQ(client.exchange(malformed).result_int(), 401u);

  auto bearer = make_request(http::verb::get, "/metrics");
  bearer.set(http::field::authorization, "Bearer cHJvbWV0aGV1czp3cm9uZw==");
  EXPECT_EQ(client.exchange(bearer).result_int(), 401u);

  // prometheus:s3cret:with colon
  auto right = make_request(http::verb::get, "/metrics");
  right.set(http::field::authorization,
            "basic cHJvbWV0aGV1czpzM2NyZXQ6d2l0aCBjb2xvbg==");
  const Response allowed = client.exchange(right);
  EXPECT_EQ(allowed.result_int(), 200u);
  EXPECT_EQ(allowed.body(), metrics_text);

  // Every path needs credentials, unknown ones included.
  EXPECT_EQ(client.exchange(make_request(http::verb::get, "/nothing-here"))
                .result_int(),
            401u);
  EXPECT_EQ(
      client.exchange(make_request(http::verb::post, "/-/reload")).result_int(),
      401u);
  EXPECT_EQ(reload_calls_, 0);
}

TEST_F(HttpServerTest, CustomHeadersPresent) {
  options_.security.headers = {
      {"X-Frame-Options", "deny"},
      {"Strict-Transport-Security", "max-age=31536000"}};
  options_.header_limit = 1024;
  start_server();
  const Response ok = get("/metrics");
  const Response missing = get("/nothing-here");
  EXPECT_EQ(ok["X-Frame-Options"], "deny");
  EXPECT_EQ(ok["Strict-Transport-Security"], "max-age=31536000");
  EXPECT_EQ(missing["X-Frame-Options"], "deny");

  Client client(endpoint_);
  client.write_raw("GET / HTTP/1.1\r\nX-Filler: " + std::string(4000, 'x') +
                   "\r\n\r\n");
  const Response rejected = client.read_response();
  EXPECT_EQ(rejected.result_int(), 431u);
  EXPECT_EQ(rejected["X-Frame-Options"], "deny");
}

TEST_F(HttpServerTest, Ipv6Loopback) {
  options_.listen_addresses = {"[::1]:0"};
  try {
    start_server();
  } catch (const std::system_error& error) {
    GTEST_SKIP() << "no IPv6 loopback: " << error.what();
  }
  EXPECT_TRUE(endpoint_.address().is_v6());
  EXPECT_EQ(get("/metrics").body(), metrics_text);
}

TEST_F(HttpServerTest, TwoListenAddresses) {
  options_.listen_addresses = {"127.0.0.1:0", "127.0.0.1:0"};
  start_server();
  const auto endpoints = server_->local_endpoints();
  ASSERT_EQ(endpoints.size(), 2u);
  EXPECT_NE(endpoints[0].port(), endpoints[1].port());
  Client client(endpoints[1]);
  EXPECT_EQ(client.exchange(make_request(http::verb::get, "/metrics")).body(),
            metrics_text);
}

TEST_F(HttpServerTest, InvalidListenAddress) {
  const std::string addresses[] = {
      "9879",      "127.0.0.1:http",  "::1:9879",
      "[::1]9879", "127.0.0.1:65536", "127.0.0.1:"};
  for (const std::string& address : addresses) {
    HttpServerOptions options;
    options.listen_addresses = {address};
    HttpServer server(io_.get_executor(), options, handlers_);
    EXPECT_THROW(server.listen(), std::system_error) << address;
  }
}

TEST_F(HttpServerTest, PortInUseNamesAddress) {
  start_server();
  HttpServerOptions options;
  const std::string address = "127.0.0.1:" + std::to_string(endpoint_.port());
  options.listen_addresses = {address};
  asio::io_context other_io;
  HttpServer other(other_io.get_executor(), options, handlers_);
  try {
    other.listen();
    ADD_FAILURE() << "listen() did not throw";
  } catch (const std::system_error& error) {
    EXPECT_EQ(error.code(), std::errc::address_in_use);
    EXPECT_NE(std::string(error.what()).find(address), std::string::npos);
  }
}

TEST_F(HttpServerTest, StopClosesIdleConnections) {
  start_server();
  Client idle(endpoint_);
  EXPECT_EQ(
      idle.exchange(make_request(http::verb::get, "/-/ready")).result_int(),
      200u);
  EXPECT_TRUE(stop_server());
  const auto [rest, error] = idle.read_until_closed(2s);
  EXPECT_EQ(rest, "");
  EXPECT_NE(error, beast::error::timeout);
}

TEST_F(HttpServerTest, StopFinishesInFlight) {
  start_server();
  Client client(endpoint_);
  client.write_raw(
      "POST /-/reload HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n"
      "Expect: 100-continue\r\n\r\n");
  EXPECT_EQ(client.read_response().result_int(), 100u);

  std::promise<void> stopped;
  asio::post(io_, [&] { server_->stop([&] { stopped.set_value(); }); });
  auto stopped_future = stopped.get_future();
  EXPECT_EQ(stopped_future.wait_for(200ms), std::future_status::timeout);

  // New connections are refused once the listener is closed.
  EXPECT_THROW(Client{endpoint_}, std::exception);

  client.write_raw("{}");
  const Response response = client.read_response();
  EXPECT_EQ(response.result_int(), 200u);
  EXPECT_FALSE(response.keep_alive());
  EXPECT_EQ(stopped_future.wait_for(client_timeout), std::future_status::ready);
  io_.stop();
  thread_.join();
  server_.reset();
}

TEST_F(HttpServerTest, StopTimeoutClosesStuck) {
  options_.shutdown_timeout = 200ms;
  start_server();
  Client client(endpoint_);
  // A request head that never ends keeps its connection busy.
  client.write_raw("GET /metrics HTTP/1.1\r\nHost: a\r\n");
  std::this_thread::sleep_for(100ms);
  const auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(stop_server());
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
}

// ---------------------------------------------------------------------------
// TLS

struct TlsResult {
  error_code handshake_error;
  Response response;
  std::string peer_common_name;
};

asio::awaitable<TlsResult> tls_exchange(
    tcp::endpoint endpoint, asio::ssl::context& context,
    http::request<http::string_body> request) {
  TlsResult result;
  beast::ssl_stream<beast::tcp_stream> stream(
      co_await asio::this_coro::executor, context);
  beast::get_lowest_layer(stream).expires_after(client_timeout);
  co_await beast::get_lowest_layer(stream).async_connect(endpoint,
                                                         asio::use_awaitable);
  co_await stream.async_handshake(
      asio::ssl::stream_base::client,
      asio::redirect_error(asio::use_awaitable, result.handshake_error));
  if (result.handshake_error) co_return result;

  X509* peer = SSL_get1_peer_certificate(stream.native_handle());
  if (peer != nullptr) {
    std::array<char, 256> name{};
    X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName,
                              name.data(), static_cast<int>(name.size()));
    result.peer_common_name = name.data();
    X509_free(peer);
  }

  request.prepare_payload();
  co_await http::async_write(stream, request, asio::use_awaitable);
  beast::flat_buffer buffer;
  error_code read_error;
  co_await http::async_read(
      stream, buffer, result.response,
      asio::redirect_error(asio::use_awaitable, read_error));
  // A client certificate rejected in TLS 1.3 shows up on the first read.
  if (read_error) result.handshake_error = read_error;
  co_return result;
}

class HttpServerTlsTest : public HttpServerTest {
 protected:
  void SetUp() override {
    server_certificate_ = make_certificate(temp_dir(), "server");
    options_.security.tls.cert_file = server_certificate_.cert_file;
    options_.security.tls.key_file = server_certificate_.key_file;
  }

  // A client context that trusts the server certificate.
  asio::ssl::context client_context(int max_version = 0) {
    asio::ssl::context context(asio::ssl::context::tls_client);
    context.load_verify_file(server_certificate_.cert_file);
    context.set_verify_mode(asio::ssl::verify_peer);
    if (max_version != 0) {
      SSL_CTX_set_max_proto_version(context.native_handle(), max_version);
    }
    return context;
  }

  TlsResult tls_get(asio::ssl::context& context, std::string target) {
    asio::io_context io;
    return run_client(io, tls_exchange(endpoint_, context,
                                       make_request(http::verb::get, target)));
  }

  Certificate server_certificate_;
};

TEST_F(HttpServerTlsTest, ServesMetrics) {
  start_server();
  auto context = client_context();
  const TlsResult result = tls_get(context, "/metrics");
  ASSERT_FALSE(result.handshake_error) << result.handshake_error.message();
  EXPECT_EQ(result.response.result_int(), 200u);
  EXPECT_EQ(result.response.body(), metrics_text);
  EXPECT_EQ(result.peer_common_name, "server");
}

TEST_F(HttpServerTlsTest, PlainHttpRejected) {
  start_server();
  Client client(endpoint_);
  client.write_raw("GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n");
  const auto [received, error] = client.read_until_closed(5s);
  EXPECT_EQ(received.find("HTTP/1.1 200"), std::string::npos);
  EXPECT_NE(error, beast::error::timeout);
}

TEST_F(HttpServerTlsTest, MinVersionEnforced) {
  options_.security.tls.min_version = "TLS13";
  start_server();
  auto old_client = client_context(TLS1_2_VERSION);
  EXPECT_TRUE(tls_get(old_client, "/metrics").handshake_error);
  auto new_client = client_context();
  EXPECT_FALSE(tls_get(new_client, "/metrics").handshake_error);
}

TEST_F(HttpServerTlsTest, ClientCertificateRequired) {
  const Certificate client_certificate = make_certificate(temp_dir(), "client");
  options_.security.tls.client_auth_type = "RequireAndVerifyClientCert";
  options_.security.tls.client_ca_file = client_certificate.cert_file;
  start_server();

  auto anonymous = client_context();
  EXPECT_TRUE(tls_get(anonymous, "/metrics").handshake_error);

  auto authenticated = client_context();
  authenticated.use_certificate_chain_file(client_certificate.cert_file);
  authenticated.use_private_key_file(client_certificate.key_file,
                                     asio::ssl::context::pem);
  const TlsResult result = tls_get(authenticated, "/metrics");
  ASSERT_FALSE(result.handshake_error) << result.handshake_error.message();
  EXPECT_EQ(result.response.result_int(), 200u);
}

TEST_F(HttpServerTlsTest, ClientAllowedSans) {
  const Certificate client_certificate = make_certificate(temp_dir(), "client");
  options_.security.tls.client_auth_type = "RequireAndVerifyClientCert";
  options_.security.tls.client_ca_file = client_certificate.cert_file;
  options_.security.tls.client_allowed_sans = {"someone-else"};
  start_server();

  auto authenticated = client_context();
  authenticated.use_certificate_chain_file(client_certificate.cert_file);
  authenticated.use_private_key_file(client_certificate.key_file,
                                     asio::ssl::context::pem);
  EXPECT_TRUE(tls_get(authenticated, "/metrics").handshake_error);
}

TEST_F(HttpServerTlsTest, CertificateReloaded) {
  options_.certificate_check_interval = 0ms;
  start_server();
  auto context = client_context();
  EXPECT_EQ(tls_get(context, "/metrics").peer_common_name, "server");

  // Replace the files; the next connection gets the new certificate.
  const Certificate renewed = make_certificate(temp_dir(), "renewed");
  std::filesystem::copy_file(renewed.cert_file, server_certificate_.cert_file,
                             std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(renewed.key_file, server_certificate_.key_file,
                             std::filesystem::copy_options::overwrite_existing);
  asio::ssl::context renewed_context(asio::ssl::context::tls_client);
  renewed_context.load_verify_file(renewed.cert_file);
  renewed_context.set_verify_mode(asio::ssl::verify_peer);
  const TlsResult result = tls_get(renewed_context, "/metrics");
  ASSERT_FALSE(result.handshake_error) << result.handshake_error.message();
  EXPECT_EQ(result.peer_common_name, "renewed");
}

TEST_F(HttpServerTlsTest, BrokenReloadKeepsOld) {
  options_.certificate_check_interval = 0ms;
  start_server();
  auto context = client_context();
  { std::ofstream(server_certificate_.cert_file) << "not a certificate\n"; }
  const TlsResult result = tls_get(context, "/metrics");
  ASSERT_FALSE(result.handshake_error) << result.handshake_error.message();
  EXPECT_EQ(result.peer_common_name, "server");
}

TEST_F(HttpServerTlsTest, InvalidSettingsThrow) {
  const auto construct = [this](HttpServerTlsConfig tls) {
    HttpServerOptions options = options_;
    options.security.tls = std::move(tls);
    HttpServer server(io_.get_executor(), options, handlers_);
  };
  HttpServerTlsConfig valid = options_.security.tls;

  HttpServerTlsConfig version = valid;
  version.min_version = "TLS14";
  EXPECT_THROW(construct(version), std::runtime_error);

  HttpServerTlsConfig client_auth = valid;
  client_auth.client_auth_type = "Sometimes";
  EXPECT_THROW(construct(client_auth), std::runtime_error);

  HttpServerTlsConfig ca_without_auth = valid;
  ca_without_auth.client_ca_file = valid.cert_file;
  EXPECT_THROW(construct(ca_without_auth), std::runtime_error);

  HttpServerTlsConfig cipher = valid;
  cipher.cipher_suites = {"TLS_NOT_A_SUITE"};
  EXPECT_THROW(construct(cipher), std::runtime_error);

  HttpServerTlsConfig missing_key = valid;
  missing_key.key_file = (temp_dir() / "missing.key").string();
  try {
    construct(missing_key);
    ADD_FAILURE() << "no exception for a missing key file";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("key_file"), std::string::npos);
  }

  HttpServerTlsConfig suites = valid;
  suites.cipher_suites = {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
                          "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305"};
  suites.curve_preferences = {"X25519", "CurveP256"};
  suites.max_version = "TLS12";
  EXPECT_NO_THROW(construct(suites));
}

TEST_F(HttpServerTlsTest, CipherSuitesApplied) {
  options_.security.tls.max_version = "TLS12";
  options_.security.tls.cipher_suites = {
      "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"};
  start_server();
  auto context = client_context();
  SSL_CTX_set_cipher_list(context.native_handle(),
                          "ECDHE-ECDSA-AES128-GCM-SHA256");
  EXPECT_TRUE(tls_get(context, "/metrics").handshake_error);
  auto matching = client_context();
  EXPECT_FALSE(tls_get(matching, "/metrics").handshake_error);
}

// ---------------------------------------------------------------------------
// handle_request without sockets

TEST(HandleRequest, ExtraHeadersOnEveryResponse) {
  HttpServerOptions options;
  options.security.headers = {{"X-Content-Type-Options", "nosniff"}};
  HttpHandlers handlers;
  const HttpResponse response = handle_request(
      make_request(http::verb::get, "/nothing"), handlers, options);
  EXPECT_EQ(response.status, 404u);
  ASSERT_EQ(response.headers.size(), 1u);
  EXPECT_EQ(response.headers[0].first, "X-Content-Type-Options");
  EXPECT_EQ(response.headers[0].second, "nosniff");
}

TEST(HandleRequest, MissingReloadHandler) {
  const HttpResponse response =
      handle_request(make_request(http::verb::post, "/-/reload"),
                     HttpHandlers{}, HttpServerOptions{});
  EXPECT_EQ(response.status, 500u);
}

TEST(HandleRequest, ThrowingAuthCheck500) {
  HttpServerOptions options;
  options.security.check_basic_auth = [](std::string_view,
                                         std::string_view) -> bool {
    throw std::runtime_error("cache failure");
  };
  auto request = make_request(http::verb::get, "/metrics");
  request.set(http::field::authorization, "Basic YTpi");
  const HttpResponse response =
      handle_request(request, HttpHandlers{}, options);
  EXPECT_EQ(response.status, 500u);
}

}  // namespace
}  // namespace beyondtrust_exporter
