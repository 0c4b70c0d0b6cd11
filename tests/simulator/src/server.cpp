#include <fmt/format.h>
#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cerrno>
#include <chrono>
#include <ctime>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "beyondtrust_exporter/logging.hpp"
#include "beyondtrust_simulator/simulator.hpp"
#include "internal.hpp"

namespace beyondtrust_simulator {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
namespace logging = beyondtrust_exporter::logging;
using tcp = net::ip::tcp;
using Stream = beast::ssl_stream<beast::tcp_stream>;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// Completion token that returns the error code with the results instead of
// throwing.
constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

namespace {

// Limits that keep a misbehaving client from holding the simulator: a TLS
// handshake or a request must arrive within these times, and a request body
// (the largest is a /_sim/reps population) within this size.
constexpr auto handshake_timeout = 10s;
constexpr auto request_timeout = 30s;
constexpr auto write_timeout = 60s;
constexpr std::uint64_t request_body_limit = std::uint64_t{64} << 20;
// Maximum stall of hang_mid_body when the fault sets no delay.
constexpr auto default_hang_cap = 5min;
// Published by rate_limit_headers; one unofficial source gives this figure
// per second and account.
constexpr unsigned rate_limit_per_second = 20;

enum class Endpoint { token, command, health, control, other };

Endpoint classify(std::string_view path) {
  if (path == "/oauth2/token") return Endpoint::token;
  if (path == "/api/command" || path == "/api/command.ns") {
    return Endpoint::command;
  }
  if (path == "/check_health") return Endpoint::health;
  if (path.starts_with("/_sim/")) return Endpoint::control;
  return Endpoint::other;
}

bool fault_applies(const Fault& fault, Endpoint endpoint) {
  switch (fault.kind) {
    case FaultKind::none:
      return false;
    case FaultKind::revoke_tokens:
      return endpoint == Endpoint::command;
    case FaultKind::early_expiry:
    case FaultKind::reject_credentials:
      return endpoint == Endpoint::token;
    default:
      break;
  }
  switch (fault.target) {
    case FaultTarget::command:
      return endpoint == Endpoint::command;
    case FaultTarget::token:
      return endpoint == Endpoint::token;
    case FaultTarget::both:
      break;
  }
  return endpoint == Endpoint::command || endpoint == Endpoint::token;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes application/x-www-form-urlencoded text: '+' is a space and %XX a
// byte. A malformed escape stays as it is.
std::string form_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size() &&
               hex_value(text[i + 1]) >= 0 && hex_value(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(text[i + 1]) * 16 +
                               hex_value(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

// Value of the first `name` in form-encoded text.
std::optional<std::string> form_value(std::string_view form,
                                      std::string_view name) {
  while (!form.empty()) {
    const auto amp = form.find('&');
    const std::string_view pair = form.substr(0, amp);
    form = amp == std::string_view::npos ? std::string_view{}
                                         : form.substr(amp + 1);
    const auto equals = pair.find('=');
    if (form_decode(pair.substr(0, equals)) == name) {
      return equals == std::string_view::npos
                 ? std::string{}
                 : form_decode(pair.substr(equals + 1));
    }
  }
  return std::nullopt;
}

std::optional<std::string> base64_decode(std::string_view text) {
  static constexpr std::string_view alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::uint32_t bits = 0;
  int bit_count = 0;
  std::size_t padding = 0;
  for (char c : text) {
    if (c == '=') {
      ++padding;
      continue;
    }
    const auto value = alphabet.find(c);
    if (value == std::string_view::npos || padding > 0) return std::nullopt;
    bits = (bits << 6) | static_cast<std::uint32_t>(value);
    bit_count += 6;
    if (bit_count >= 8) {
      bit_count -= 8;
      out += static_cast<char>((bits >> bit_count) & 0xFF);
    }
  }
  if (padding > 2) return std::nullopt;
  return out;
}

bool iequals_prefix(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() &&
         beast::iequals(text.substr(0, prefix.size()), prefix);
}

bool is_form(const Request& request) {
  return iequals_prefix(request[http::field::content_type],
                        "application/x-www-form-urlencoded");
}

Response make_response(const Request& request, http::status status,
                       std::string_view content_type, std::string body) {
  Response response{status, request.version()};
  response.set(http::field::server, "beyondtrust_simulator");
  if (!content_type.empty()) {
    response.set(http::field::content_type, content_type);
  }
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

Response text_response(const Request& request, http::status status,
                       std::string body) {
  return make_response(request, status, "text/plain; charset=utf-8",
                       std::move(body) + "\n");
}

Response json_response(const Request& request, http::status status,
                       std::string body) {
  return make_response(request, status, "application/json", std::move(body));
}

// Certificate and key files of a profile in a make-test-certs.sh folder.
std::pair<std::string, std::string> profile_files(const std::string& dir,
                                                  CertificateProfile profile) {
  const auto files = test_certificates_in(dir);
  switch (profile) {
    case CertificateProfile::valid:
      break;
    case CertificateProfile::unknown_ca:
      return {files.unknown_ca_server_cert, files.unknown_ca_server_key};
    case CertificateProfile::wrong_host:
      return {files.wrong_host_cert, files.wrong_host_key};
    case CertificateProfile::expired:
      return {files.expired_cert, files.expired_key};
  }
  return {files.server_cert, files.server_key};
}

}  // namespace

struct Simulator::State {
  explicit State(Options opts)
      : options(std::move(opts)),
        variant(options.variant),
        fault(options.fault),
        tokens(options.seed ^ std::random_device{}()),
        demo_random(options.seed + 1) {
    if (options.population_time == 0) {
      options.population_time = std::time(nullptr);
    }
    reps = generate_reps(options.reps, options.seed, options.population_time);
    next_rep_id = 100 + options.reps;
  }

  // ---- shared state, guarded by `mutex`
  Options options;
  mutable std::mutex mutex;
  Variant variant;
  Fault fault;
  std::size_t fault_uses = 0;  // requests the current fault acted on
  std::vector<SimRep> reps;
  Stats stats;
  detail::TokenStore tokens;
  std::shared_ptr<ssl::context> tls;
  std::string ca_file;
  std::mt19937_64 demo_random;
  std::uint64_t next_rep_id = 0;
  std::int64_t rate_second = 0;
  unsigned rate_used = 0;

  // ---- owned by start() and stop()
  std::unique_ptr<net::io_context> io;
  std::thread thread;
  std::uint16_t port = 0;
  bool started = false;

  // Takes the fault for a request to `endpoint`, counting it as used.
  std::optional<Fault> take_fault(Endpoint endpoint) {
    std::lock_guard lock(mutex);
    if (!fault_applies(fault, endpoint)) return std::nullopt;
    Fault taken = fault;
    ++stats.faults_applied;
    if (fault.count != 0 && ++fault_uses >= fault.count) {
      fault = Fault{};
      fault_uses = 0;
    }
    return taken;
  }

  Variant variant_snapshot() const {
    std::lock_guard lock(mutex);
    return variant;
  }

  void count_status(http::status status) {
    std::lock_guard lock(mutex);
    ++stats.responses_by_status[static_cast<unsigned>(status)];
  }

  std::shared_ptr<ssl::context> load_tls(const std::string& cert_file,
                                         const std::string& key_file) const;

  net::awaitable<void> accept_loop(tcp::acceptor acceptor);
  net::awaitable<void> demo_loop();
  net::awaitable<void> serve(tcp::socket socket);
  // Handles one request. Returns false when the connection must close.
  net::awaitable<bool> handle(Stream& stream, const Request& request);

  Response token_answer(const Request& request,
                        std::optional<Clock::duration> real_lifetime);
  Response command_answer(const Request& request);
  Response control_answer(const Request& request, std::string_view path);

  // Writes a response; closes the connection unless `keep_alive`. Returns
  // whether the connection stays open. Counts the status unless told not
  // to, since control requests stay out of the counters.
  net::awaitable<bool> send(Stream& stream, Response response, bool keep_alive,
                            bool counted = true);
  net::awaitable<void> send_partial(Stream& stream, Response response,
                                    FaultKind kind, Clock::duration cap);
  net::awaitable<void> send_oversized(Stream& stream, const Request& request,
                                      Endpoint endpoint, std::size_t size);
};

std::shared_ptr<ssl::context> Simulator::State::load_tls(
    const std::string& cert_file, const std::string& key_file) const {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  context->set_options(ssl::context::default_workarounds |
                       ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                       ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  boost::system::error_code error;
  context->use_certificate_chain_file(cert_file, error);
  if (error) {
    throw std::runtime_error(fmt::format("failed to load certificate {}: {}",
                                         cert_file, error.message()));
  }
  context->use_private_key_file(key_file, ssl::context::pem, error);
  if (error) {
    throw std::runtime_error(
        fmt::format("failed to load key {}: {}", key_file, error.message()));
  }
  if (!options.client_ca_file.empty()) {
    context->load_verify_file(options.client_ca_file, error);
    if (error) {
      throw std::runtime_error(fmt::format("failed to load client CA {}: {}",
                                           options.client_ca_file,
                                           error.message()));
    }
    context->set_verify_mode(ssl::verify_peer |
                             ssl::verify_fail_if_no_peer_cert);
  }
  return context;
}

net::awaitable<void> Simulator::State::accept_loop(tcp::acceptor acceptor) {
  for (;;) {
    auto [error, socket] = co_await acceptor.async_accept(use_tuple);
    if (error == net::error::operation_aborted) co_return;
    if (error) {
      logging::warn("simulator accept failed", {{"error", error.message()}});
      continue;
    }
    {
      std::lock_guard lock(mutex);
      ++stats.connections;
    }
    net::co_spawn(acceptor.get_executor(), serve(std::move(socket)),
                  net::detached);
  }
}

net::awaitable<void> Simulator::State::demo_loop() {
  net::steady_timer timer(co_await net::this_coro::executor);
  for (;;) {
    timer.expires_after(options.demo_interval);
    co_await timer.async_wait(net::use_awaitable);
    std::lock_guard lock(mutex);
    detail::step_demo_population(reps, options.reps, std::time(nullptr),
                                 next_rep_id, demo_random);
  }
}

net::awaitable<void> Simulator::State::serve(tcp::socket socket) {
  std::shared_ptr<ssl::context> context;
  {
    std::lock_guard lock(mutex);
    context = tls;
  }
  Stream stream(std::move(socket), *context);

  // TLS handshake.
  beast::get_lowest_layer(stream).expires_after(handshake_timeout);
  auto [handshake_error] =
      co_await stream.async_handshake(ssl::stream_base::server, use_tuple);
  if (handshake_error) {
    std::lock_guard lock(mutex);
    ++stats.tls_failures;
    co_return;
  }

  beast::flat_buffer buffer;
  for (;;) {
    // Read one request, within the size and time limits.
    http::request_parser<http::string_body> parser;
    parser.header_limit(16 * 1024);
    parser.body_limit(request_body_limit);
    beast::get_lowest_layer(stream).expires_after(request_timeout);
    auto [read_error, read_bytes] =
        co_await http::async_read(stream, buffer, parser, use_tuple);
    if (read_error) co_return;

    // Respond; most responses end the connection.
    const bool keep_open = co_await handle(stream, parser.get());
    if (!keep_open) co_return;
  }
}

net::awaitable<bool> Simulator::State::handle(Stream& stream,
                                              const Request& request) {
  const std::string_view target = request.target();
  const std::string_view path = target.substr(0, target.find('?'));
  const Endpoint endpoint = classify(path);
  {
    std::lock_guard lock(mutex);
    switch (endpoint) {
      case Endpoint::token:
        ++stats.token_requests;
        break;
      case Endpoint::command:
        ++stats.command_requests;
        break;
      case Endpoint::health:
        ++stats.health_requests;
        break;
      case Endpoint::control:
        ++stats.control_requests;
        break;
      case Endpoint::other:
        ++stats.other_requests;
        break;
    }
    if (endpoint != Endpoint::control) {
      ++stats.requests_by_path[std::string(path)];
    }
  }

  if (endpoint == Endpoint::control) {
    Response response = control_answer(request, path);
    co_return co_await send(stream, std::move(response), request.keep_alive(),
                            false);
  }
  if (endpoint == Endpoint::health) {
    Response response =
        variant_snapshot().healthy
            ? text_response(request, http::status::ok, "OK")
            : text_response(request, http::status::internal_server_error,
                            "The site reported a failed health check");
    co_return co_await send(stream, std::move(response), request.keep_alive());
  }
  if (endpoint == Endpoint::other) {
    Response response =
        text_response(request, http::status::not_found, "Not found");
    co_return co_await send(stream, std::move(response), request.keep_alive());
  }

  const std::optional<Fault> active = take_fault(endpoint);
  const FaultKind kind = active ? active->kind : FaultKind::none;
  const bool is_token = endpoint == Endpoint::token;

  // Faults that replace the response before it is built. Each response is
  // built into a local before co_await: with GCC 12.2, a conditional
  // expression of temporaries inside a co_await argument freed memory twice.
  switch (kind) {
    case FaultKind::delay: {
      net::steady_timer timer(co_await net::this_coro::executor);
      timer.expires_after(active->delay);
      co_await timer.async_wait(use_tuple);
      break;
    }
    case FaultKind::close_without_answer: {
      boost::system::error_code ignored;
      beast::get_lowest_layer(stream).socket().shutdown(
          tcp::socket::shutdown_both, ignored);
      beast::get_lowest_layer(stream).close();
      co_return false;
    }
    case FaultKind::status_500: {
      Response response =
          text_response(request, http::status::internal_server_error,
                        "Internal Server Error");
      co_return co_await send(stream, std::move(response), false);
    }
    case FaultKind::status_503:
    case FaultKind::status_429: {
      const bool busy = kind == FaultKind::status_503;
      Response response =
          text_response(request,
                        busy ? http::status::service_unavailable
                             : http::status::too_many_requests,
                        busy ? "Service Unavailable" : "Too Many Requests");
      if (active->retry_after) {
        response.set(http::field::retry_after, *active->retry_after);
      }
      co_return co_await send(stream, std::move(response), false);
    }
    case FaultKind::revoke_tokens: {
      std::lock_guard lock(mutex);
      tokens.revoke_all();
      break;
    }
    case FaultKind::reject_credentials: {
      Response response =
          json_response(request, http::status::unauthorized,
                        detail::message_json("Invalid client credentials"));
      co_return co_await send(stream, std::move(response), false);
    }
    case FaultKind::oversized_body:
      co_await send_oversized(stream, request, endpoint, active->body_bytes);
      co_return false;
    default:
      break;
  }

  // The normal response, possibly damaged by the fault afterwards.
  std::optional<Clock::duration> real_lifetime;
  if (kind == FaultKind::early_expiry) real_lifetime = active->token_lifetime;
  Response response =
      is_token ? token_answer(request, real_lifetime) : command_answer(request);

  switch (kind) {
    case FaultKind::malformed_xml:
      if (is_token) {
        response.body() = "{\"access_token\": \"0123\", \"token_type\": ";
      } else {
        std::lock_guard lock(mutex);
        response.body() =
            detail::render_malformed_xml(reps, variant, options.seed);
      }
      response.prepare_payload();
      break;
    case FaultKind::hang_mid_body:
    case FaultKind::truncated_body: {
      const Clock::duration cap = active->delay.count() > 0
                                      ? Clock::duration(active->delay)
                                      : Clock::duration(default_hang_cap);
      co_await send_partial(stream, std::move(response), kind, cap);
      co_return false;
    }
    default:
      break;
  }
  const bool keep_alive = is_token && request.keep_alive();
  co_return co_await send(stream, std::move(response), keep_alive);
}

Response Simulator::State::token_answer(
    const Request& request, std::optional<Clock::duration> real_lifetime) {
  if (request.method() != http::verb::post) {
    Response response = json_response(
        request, http::status::method_not_allowed,
        detail::message_json("The token endpoint accepts only POST"));
    response.set(http::field::allow, "POST");
    return response;
  }

  // Client authentication: HTTP Basic with client_id:client_secret.
  const std::string_view authorization = request[http::field::authorization];
  std::optional<std::string> credentials;
  if (iequals_prefix(authorization, "Basic ")) {
    credentials = base64_decode(authorization.substr(6));
  }
  {
    std::lock_guard lock(mutex);
    if (credentials != options.client_id + ":" + options.client_secret) {
      return json_response(request, http::status::unauthorized,
                           detail::message_json("Invalid client credentials"));
    }
  }

  // The grant, as a form field.
  const auto grant_type = is_form(request)
                              ? form_value(request.body(), "grant_type")
                              : std::nullopt;
  if (grant_type != "client_credentials") {
    return json_response(
        request, http::status::bad_request,
        R"({"error": "unsupported_grant_type", "message": )"
        R"("grant_type must be client_credentials in a form body"})");
  }

  std::string token;
  std::int64_t expires_in = 0;
  {
    std::lock_guard lock(mutex);
    const Clock::duration lifetime = options.token_lifetime;
    token = tokens.mint(Clock::now(), real_lifetime.value_or(lifetime));
    ++stats.tokens_issued;
    expires_in = options.token_lifetime.count();
  }
  Response response = json_response(
      request, http::status::ok,
      fmt::format(R"({{"access_token": "{}", "token_type": "Bearer", )"
                  R"("expires_in": {}}})",
                  token, expires_in));
  response.set(http::field::cache_control, "no-store");
  return response;
}

Response Simulator::State::command_answer(const Request& request) {
  if (request.method() != http::verb::get &&
      request.method() != http::verb::post) {
    Response response = text_response(request, http::status::method_not_allowed,
                                      "The command API accepts GET and POST");
    response.set(http::field::allow, "GET, POST");
    return response;
  }

  std::lock_guard lock(mutex);

  // Bearer token: missing, unknown, evicted, revoked and expired tokens all
  // get the same 401.
  const std::string_view authorization = request[http::field::authorization];
  const bool authorized = iequals_prefix(authorization, "Bearer ") &&
                          tokens.valid(authorization.substr(7), Clock::now());
  if (!authorized) {
    ++stats.unauthorized_commands;
    switch (variant.unauthorized_body) {
      case UnauthorizedBody::empty:
        return make_response(request, http::status::unauthorized, {}, {});
      case UnauthorizedBody::json:
        return json_response(
            request, http::status::unauthorized,
            detail::message_json("Invalid or expired access token"));
      case UnauthorizedBody::xml:
        break;
    }
    return make_response(request, http::status::unauthorized,
                         "text/xml; charset=UTF-8",
                         detail::render_unauthorized_xml(variant));
  }

  // The action comes from the query, or from a form body on POST.
  const std::string_view target = request.target();
  const auto question = target.find('?');
  std::optional<std::string> action;
  if (question != std::string_view::npos) {
    action = form_value(target.substr(question + 1), "action");
  }
  if (request.method() == http::verb::post && is_form(request)) {
    if (auto from_body = form_value(request.body(), "action")) {
      action = std::move(from_body);
    }
  }

  std::string body;
  if (!action || action->empty()) {
    body = detail::render_action_error("No action specified", variant);
  } else if (*action != "get_logged_in_reps") {
    body = detail::render_action_error("Invalid action: " + *action, variant);
  } else {
    body = render_logged_in_reps(reps, variant, options.seed);
  }
  Response response = make_response(request, http::status::ok,
                                    "text/xml; charset=UTF-8", std::move(body));

  if (variant.rate_limit_headers) {
    const std::int64_t second = std::time(nullptr);
    if (second != rate_second) {
      rate_second = second;
      rate_used = 0;
    }
    rate_used = std::min(rate_used + 1, rate_limit_per_second);
    response.set("X-RateLimit-Limit", std::to_string(rate_limit_per_second));
    response.set("X-RateLimit-Remaining",
                 std::to_string(rate_limit_per_second - rate_used));
  }
  return response;
}

Response Simulator::State::control_answer(const Request& request,
                                          std::string_view path) {
  const bool is_get = request.method() == http::verb::get;
  const bool is_post = request.method() == http::verb::post;
  const auto bad_request = [&](const std::string& message) {
    return json_response(request, http::status::bad_request,
                         detail::message_json(message));
  };
  const auto ok = [&](std::string body) {
    return json_response(request, http::status::ok, std::move(body));
  };

  if (path == "/_sim/stats" && is_get) {
    std::lock_guard lock(mutex);
    Stats copy = stats;
    copy.live_tokens = tokens.live(Clock::now());
    return ok(detail::stats_to_json(copy));
  }
  if (path == "/_sim/stats/reset" && is_post) {
    std::lock_guard lock(mutex);
    stats = Stats{};
    return ok(detail::message_json("Counters reset"));
  }
  if (path == "/_sim/variant" && (is_get || is_post)) {
    std::lock_guard lock(mutex);
    if (is_post) {
      if (auto error = detail::apply_variant_json(request.body(), variant)) {
        return bad_request(*error);
      }
    }
    return ok(detail::variant_to_json(variant));
  }
  if (path == "/_sim/fault" && (is_get || is_post)) {
    std::lock_guard lock(mutex);
    if (is_post) {
      Fault parsed;
      if (auto error = detail::apply_fault_json(request.body(), parsed)) {
        return bad_request(*error);
      }
      fault = parsed;
      fault_uses = 0;
    }
    return ok(detail::fault_to_json(fault));
  }
  if (path == "/_sim/clear" && is_post) {
    std::lock_guard lock(mutex);
    fault = Fault{};
    fault_uses = 0;
    return ok(detail::fault_to_json(fault));
  }
  if (path == "/_sim/revoke" && is_post) {
    std::lock_guard lock(mutex);
    tokens.revoke_all();
    return ok(detail::message_json("Every token revoked"));
  }
  if (path == "/_sim/reps" && (is_get || is_post)) {
    if (is_post) {
      detail::RepsRequest parsed;
      if (auto error = detail::parse_reps_json(request.body(), parsed)) {
        return bad_request(*error);
      }
      std::vector<SimRep> replacement =
          parsed.reps ? std::move(*parsed.reps)
                      : generate_reps(parsed.count, parsed.seed,
                                      options.population_time);
      std::lock_guard lock(mutex);
      reps = std::move(replacement);
    }
    std::lock_guard lock(mutex);
    return ok(detail::reps_to_json(detail::served_reps(reps, variant)));
  }
  if (path == "/_sim/certificate" && is_post) {
    CertificateProfile profile = CertificateProfile::valid;
    if (auto error = detail::parse_certificate_json(request.body(), profile)) {
      return bad_request(*error);
    }
    if (options.cert_dir.empty()) {
      return bad_request("no certificate folder: start with a cert_dir");
    }
    const auto [cert, key] = profile_files(options.cert_dir, profile);
    try {
      auto context = load_tls(cert, key);
      std::lock_guard lock(mutex);
      tls = std::move(context);
    } catch (const std::runtime_error& error) {
      return bad_request(error.what());
    }
    return ok(detail::message_json("Certificate switched"));
  }
  return json_response(
      request, http::status::not_found,
      detail::message_json("Unknown control request; see the simulator's "
                           "README for /_sim/ paths and methods"));
}

net::awaitable<bool> Simulator::State::send(Stream& stream, Response response,
                                            bool keep_alive, bool counted) {
  response.keep_alive(keep_alive);
  if (counted) count_status(response.result());

  // Write the whole response.
  beast::get_lowest_layer(stream).expires_after(write_timeout);
  auto [write_error, written] =
      co_await http::async_write(stream, response, use_tuple);
  if (write_error) co_return false;
  if (keep_alive) co_return true;

  // Close like the real site: TLS close_notify, then the TCP connection.
  beast::get_lowest_layer(stream).expires_after(handshake_timeout);
  co_await stream.async_shutdown(use_tuple);
  beast::get_lowest_layer(stream).close();
  co_return false;
}

net::awaitable<void> Simulator::State::send_partial(Stream& stream,
                                                    Response response,
                                                    FaultKind kind,
                                                    Clock::duration cap) {
  // The full header, Content-Length included, then half of the body.
  response.keep_alive(false);
  count_status(response.result());
  const std::string body = std::move(response.body());
  http::response<http::empty_body> header(std::move(response.base()));
  header.content_length(body.size());
  http::response_serializer<http::empty_body> serializer{header};
  beast::get_lowest_layer(stream).expires_after(write_timeout);
  auto [header_error, header_bytes] =
      co_await http::async_write_header(stream, serializer, use_tuple);
  if (header_error) co_return;
  auto [body_error, body_bytes] = co_await net::async_write(
      stream, net::buffer(body.data(), body.size() / 2), use_tuple);
  if (body_error) co_return;

  if (kind == FaultKind::hang_mid_body) {
    // Stall until the client goes away or the cap passes. The peer's bytes
    // (a TLS close_notify, say) are drained unread: this connection never
    // reads another request.
    beast::get_lowest_layer(stream).expires_never();
    const int fd = beast::get_lowest_layer(stream).socket().native_handle();
    net::steady_timer timer(co_await net::this_coro::executor);
    const auto deadline = Clock::now() + cap;
    while (Clock::now() < deadline) {
      timer.expires_after(100ms);
      co_await timer.async_wait(use_tuple);
      char drain[512];
      const ssize_t got = ::recv(fd, drain, sizeof drain, MSG_DONTWAIT);
      if (got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
        break;
      }
    }
  }

  // Drop the TCP connection without a TLS close_notify.
  beast::get_lowest_layer(stream).close();
}

net::awaitable<void> Simulator::State::send_oversized(Stream& stream,
                                                      const Request& request,
                                                      Endpoint endpoint,
                                                      std::size_t size) {
  const detail::RepeatedBody parts =
      endpoint == Endpoint::token ? detail::oversized_json()
                                  : detail::oversized_xml(variant_snapshot());
  const std::size_t frame = parts.head.size() + parts.tail.size();
  const std::size_t middle = size > frame ? size - frame : 0;
  const std::size_t blocks = middle / parts.block.size();
  const std::size_t padding = middle % parts.block.size();

  http::response<http::empty_body> header{http::status::ok, request.version()};
  header.set(http::field::server, "beyondtrust_simulator");
  header.set(http::field::content_type, endpoint == Endpoint::token
                                            ? "application/json"
                                            : "text/xml; charset=UTF-8");
  header.content_length(frame + middle);
  header.keep_alive(false);
  count_status(http::status::ok);

  // Header and head.
  beast::get_lowest_layer(stream).expires_after(write_timeout);
  http::response_serializer<http::empty_body> serializer{header};
  auto [header_error, header_bytes] =
      co_await http::async_write_header(stream, serializer, use_tuple);
  if (header_error) co_return;
  auto [head_error, head_bytes] =
      co_await net::async_write(stream, net::buffer(parts.head), use_tuple);
  if (head_error) co_return;

  // Whole blocks, about 64 KiB per write, so memory stays small whatever
  // the size.
  const std::size_t per_chunk =
      std::max<std::size_t>(1, (64 * 1024) / parts.block.size());
  std::string chunk;
  for (std::size_t i = 0; i < per_chunk; ++i) chunk += parts.block;
  for (std::size_t sent = 0; sent < blocks;) {
    const std::size_t count = std::min(per_chunk, blocks - sent);
    beast::get_lowest_layer(stream).expires_after(write_timeout);
    auto [error, bytes] = co_await net::async_write(
        stream, net::buffer(chunk.data(), count * parts.block.size()),
        use_tuple);
    if (error) co_return;
    sent += count;
  }

  // Padding and tail, then a clean close.
  const std::string rest = std::string(padding, ' ') + parts.tail;
  auto [tail_error, tail_bytes] =
      co_await net::async_write(stream, net::buffer(rest), use_tuple);
  if (tail_error) co_return;
  beast::get_lowest_layer(stream).expires_after(handshake_timeout);
  co_await stream.async_shutdown(use_tuple);
  beast::get_lowest_layer(stream).close();
}

// ---- Simulator

Simulator::Simulator(Options options)
    : state_(std::make_unique<State>(std::move(options))) {}

Simulator::~Simulator() { stop(); }

void Simulator::start() {
  State& state = *state_;
  if (state.started) throw std::runtime_error("simulator already started");
  Options& options = state.options;

  // Certificates: given files, a given folder, or a generated folder.
  if (options.cert_file.empty() && options.cert_dir.empty()) {
    options.cert_dir = make_test_certificates().dir.string();
    logging::info(
        "simulator generated test certificates",
        {{"ca_file", test_certificates_in(options.cert_dir).ca_file}});
  }
  if (!options.cert_dir.empty()) {
    const auto files = test_certificates_in(options.cert_dir);
    if (options.cert_file.empty()) options.cert_file = files.server_cert;
    if (options.key_file.empty()) options.key_file = files.server_key;
    state.ca_file = files.ca_file;
  }
  state.tls = state.load_tls(options.cert_file, options.key_file);

  // Listener.
  state.io = std::make_unique<net::io_context>(1);
  boost::system::error_code error;
  const auto address = net::ip::make_address(options.listen_address, error);
  if (error) {
    throw std::runtime_error(fmt::format("invalid listen address \"{}\": {}",
                                         options.listen_address,
                                         error.message()));
  }
  tcp::acceptor acceptor(*state.io);
  const tcp::endpoint endpoint(address, options.port);
  acceptor.open(endpoint.protocol(), error);
  if (!error) acceptor.set_option(net::socket_base::reuse_address(true), error);
  if (!error) acceptor.bind(endpoint, error);
  if (!error) acceptor.listen(net::socket_base::max_listen_connections, error);
  if (error) {
    throw std::runtime_error(fmt::format("failed to listen on {}:{}: {}",
                                         options.listen_address, options.port,
                                         error.message()));
  }
  state.port = acceptor.local_endpoint().port();

  net::co_spawn(*state.io, state.accept_loop(std::move(acceptor)),
                net::detached);
  if (options.demo) net::co_spawn(*state.io, state.demo_loop(), net::detached);
  state.started = true;
  state.thread = std::thread([&state] { state.io->run(); });
  logging::info(
      "simulator listening",
      {{"url", url()}, {"reps", options.reps}, {"demo", options.demo}});
}

void Simulator::stop() {
  State& state = *state_;
  if (!state.io) return;
  state.io->stop();
  if (state.thread.joinable()) state.thread.join();
  // Destroying the context destroys every suspended coroutine, which closes
  // the listener and every connection.
  state.io.reset();
}

std::uint16_t Simulator::port() const { return state_->port; }

std::string Simulator::url() const {
  const std::string& host = state_->options.listen_address;
  if (host.find(':') != std::string::npos) {
    return fmt::format("https://[{}]:{}", host, state_->port);
  }
  return fmt::format("https://{}:{}", host, state_->port);
}

std::string Simulator::ca_file() const { return state_->ca_file; }

void Simulator::set_variant(Variant variant) {
  std::lock_guard lock(state_->mutex);
  state_->variant = std::move(variant);
}

Variant Simulator::variant() const { return state_->variant_snapshot(); }

void Simulator::set_fault(Fault fault) {
  std::lock_guard lock(state_->mutex);
  state_->fault = std::move(fault);
  state_->fault_uses = 0;
}

Fault Simulator::fault() const {
  std::lock_guard lock(state_->mutex);
  return state_->fault;
}

void Simulator::clear_fault() { set_fault(Fault{}); }

void Simulator::revoke_all_tokens() {
  std::lock_guard lock(state_->mutex);
  state_->tokens.revoke_all();
}

void Simulator::set_reps(std::vector<SimRep> reps) {
  std::lock_guard lock(state_->mutex);
  state_->reps = std::move(reps);
}

std::vector<SimRep> Simulator::reps() const {
  std::lock_guard lock(state_->mutex);
  return detail::served_reps(state_->reps, state_->variant);
}

void Simulator::regenerate_reps(std::size_t count, std::uint64_t seed) {
  auto reps = generate_reps(count, seed, state_->options.population_time);
  set_reps(std::move(reps));
}

void Simulator::set_certificate(CertificateProfile profile) {
  const std::string& dir = state_->options.cert_dir;
  if (dir.empty()) {
    throw std::runtime_error(
        "set_certificate(profile) needs Options::cert_dir or generated "
        "certificates");
  }
  const auto [cert, key] = profile_files(dir, profile);
  set_certificate(cert, key);
}

void Simulator::set_certificate(const std::string& cert_file,
                                const std::string& key_file) {
  auto context = state_->load_tls(cert_file, key_file);
  std::lock_guard lock(state_->mutex);
  state_->tls = std::move(context);
}

Stats Simulator::stats() const {
  std::lock_guard lock(state_->mutex);
  Stats copy = state_->stats;
  copy.live_tokens = state_->tokens.live(Clock::now());
  return copy;
}

void Simulator::reset_stats() {
  std::lock_guard lock(state_->mutex);
  state_->stats = Stats{};
}

}  // namespace beyondtrust_simulator
