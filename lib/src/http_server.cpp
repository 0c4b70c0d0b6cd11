#include "beyondtrust_exporter/http_server.hpp"

#include <algorithm>
#include <array>
#include <boost/algorithm/string/predicate.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <charconv>
#include <cstdint>
#include <exception>
#include <list>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <type_traits>

#include "beyondtrust_exporter/gzip.hpp"
#include "beyondtrust_exporter/logging.hpp"
#include "tls_server_context.hpp"

namespace beyondtrust_exporter {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;
using tcp = asio::ip::tcp;

constexpr std::string_view plain_text = "text/plain; charset=utf-8";
constexpr std::string_view metrics_content_type =
    "text/plain; version=0.0.4; charset=utf-8";

// ---------------------------------------------------------------------------
// Request handling

HttpResponse text_response(unsigned status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.content_type = plain_text;
  response.body = std::move(body);
  return response;
}

HttpResponse method_not_allowed(std::string allow) {
  HttpResponse response = text_response(405, "405 method not allowed\n");
  response.headers.emplace_back("Allow", std::move(allow));
  return response;
}

// The path of an origin-form request target, without query or fragment.
std::string_view request_path(std::string_view target) {
  return target.substr(0, target.find_first_of("?#"));
}

// Decodes standard base64 with padding (RFC 4648, section 4).
std::optional<std::string> decode_base64(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string output;
  output.reserve(text.size() / 4 * 3);
  std::uint32_t bits = 0;
  int bit_count = 0;
  std::size_t padding = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    int value = -1;
    if (c >= 'A' && c <= 'Z') {
      value = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      value = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      value = c - '0' + 52;
    } else if (c == '+') {
      value = 62;
    } else if (c == '/') {
      value = 63;
    } else if (c == '=' && i + 2 >= text.size()) {
      ++padding;
      continue;
    }
    // A data character after padding, or one outside the alphabet.
    if (value < 0 || padding > 0) return std::nullopt;
    bits = (bits << 6) | static_cast<std::uint32_t>(value);
    bit_count += 6;
    if (bit_count >= 8) {
      bit_count -= 8;
      output += static_cast<char>((bits >> bit_count) & 0xFF);
    }
  }
  return output;
}

// Checks the Authorization header of `request` with
// security.check_basic_auth: scheme Basic (case-insensitive) and base64 of
// user:password.
bool is_authorized(const HttpRequest& request,
                   const HttpServerSecurity& security) {
  const auto field = request.find(http::field::authorization);
  if (field == request.end()) return false;
  std::string_view value = field->value();
  constexpr std::string_view scheme = "Basic ";
  if (value.size() < scheme.size() ||
      !boost::iequals(value.substr(0, scheme.size()), scheme)) {
    return false;
  }
  value.remove_prefix(scheme.size());
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);

  const std::optional<std::string> credentials = decode_base64(value);
  if (!credentials.has_value()) return false;
  const std::size_t colon = credentials->find(':');
  if (colon == std::string::npos) return false;
  const std::string_view text = *credentials;
  return security.check_basic_auth(text.substr(0, colon),
                                   text.substr(colon + 1));
}

HttpResponse serve_metrics(const HttpRequest& request,
                           const HttpHandlers& handlers) {
  HttpResponse response;
  response.content_type = metrics_content_type;
  if (handlers.render_metrics) response.body = handlers.render_metrics();
  // Caches must keep the gzip and identity variants apart.
  response.headers.emplace_back("Vary", "Accept-Encoding");

  const auto accept_encoding = request.find(http::field::accept_encoding);
  if (accept_encoding != request.end() &&
      accepts_gzip(accept_encoding->value())) {
    std::optional<std::string> compressed =
        handlers.gzip_metrics ? handlers.gzip_metrics(response.body)
                              : gzip_compress(response.body);
    // Without memory for zlib, the identity encoding still works.
    if (compressed.has_value()) {
      response.body = std::move(*compressed);
      response.headers.emplace_back("Content-Encoding", "gzip");
    }
  }
  return response;
}

HttpResponse serve_reload(const HttpHandlers& handlers) {
  if (!handlers.reload) {
    return text_response(500, "reloading the configuration is not supported\n");
  }
  const std::string rejection = handlers.reload();
  if (!rejection.empty()) {
    return text_response(500, "failed to reload config: " + rejection + "\n");
  }
  return text_response(200, "config reloaded\n");
}

// Routes one request. `authorized` is the result of a basic auth check
// already made, or empty to make it here.
HttpResponse route(const HttpRequest& request, const HttpHandlers& handlers,
                   const HttpServerOptions& options,
                   std::optional<bool> authorized) {
  if (options.security.check_basic_auth && !authorized.has_value()) {
    authorized = is_authorized(request, options.security);
  }
  if (options.security.check_basic_auth && !*authorized) {
    HttpResponse response = text_response(401, "401 unauthorized\n");
    response.headers.emplace_back("WWW-Authenticate",
                                  "Basic realm=\"beyondtrust_exporter\"");
    return response;
  }

  const std::string_view path = request_path(request.target());
  const http::verb method = request.method();
  const bool read_method =
      method == http::verb::get || method == http::verb::head;

  if (path == options.telemetry_path) {
    if (!read_method) return method_not_allowed("GET, HEAD");
    return serve_metrics(request, handlers);
  }
  if (path == "/") {
    if (!read_method) return method_not_allowed("GET, HEAD");
    HttpResponse response;
    response.content_type = "text/html; charset=utf-8";
    if (handlers.render_landing_page) {
      response.body = handlers.render_landing_page();
    }
    return response;
  }
  if (path == "/-/healthy" || path == "/-/ready") {
    if (!read_method) return method_not_allowed("GET, HEAD");
    return text_response(200, path == "/-/healthy"
                                  ? "beyondtrust_exporter is healthy.\n"
                                  : "beyondtrust_exporter is ready.\n");
  }
  if (path == "/-/reload") {
    if (method != http::verb::post && method != http::verb::put) {
      return method_not_allowed("POST, PUT");
    }
    return serve_reload(handlers);
  }
  return text_response(404, "404 page not found\n");
}

}  // namespace

HttpResponse handle_request(const HttpRequest& request,
                            const HttpHandlers& handlers,
                            const HttpServerOptions& options) {
  return handle_checked_request(request, handlers, options, std::nullopt);
}

HttpResponse handle_checked_request(const HttpRequest& request,
                                    const HttpHandlers& handlers,
                                    const HttpServerOptions& options,
                                    std::optional<bool> authorized) {
  HttpResponse response;
  try {
    response = route(request, handlers, options, authorized);
  } catch (const std::exception& e) {
    logging::error(
        "failed to handle an HTTP request",
        {{"path", request_path(request.target())}, {"error", e.what()}});
    response = text_response(500, "500 internal server error\n");
  } catch (...) {
    logging::error("failed to handle an HTTP request",
                   {{"path", request_path(request.target())},
                    {"error", "unknown exception"}});
    response = text_response(500, "500 internal server error\n");
  }
  for (const auto& header : options.security.headers) {
    response.headers.push_back(header);
  }
  return response;
}

// ---------------------------------------------------------------------------
// Listening

namespace {

// Splits host:port, [ipv6]:port or :port. Throws std::system_error.
std::pair<std::string, std::uint16_t> split_listen_address(
    const std::string& address) {
  const auto invalid = [&](std::string_view problem) {
    return std::system_error(
        std::make_error_code(std::errc::invalid_argument),
        "invalid listen address \"" + address + "\": " + std::string(problem));
  };

  std::string host;
  std::string_view port_text;
  if (!address.empty() && address.front() == '[') {
    const std::size_t close = address.find(']');
    if (close == std::string::npos || close + 1 >= address.size() ||
        address[close + 1] != ':') {
      throw invalid("expected [ipv6]:port");
    }
    host = address.substr(1, close - 1);
    port_text = std::string_view(address).substr(close + 2);
  } else {
    const std::size_t colon = address.rfind(':');
    if (colon == std::string::npos)
      throw invalid("expected host:port or :port");
    host = address.substr(0, colon);
    if (host.find(':') != std::string::npos) {
      throw invalid("an IPv6 address needs brackets, as in [::1]:9879");
    }
    port_text = std::string_view(address).substr(colon + 1);
  }

  unsigned port = 0;
  const auto [end, error] = std::from_chars(
      port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || error != std::errc() ||
      end != port_text.data() + port_text.size() || port > 65535) {
    throw invalid("the port must be a number from 0 to 65535");
  }
  return {host, static_cast<std::uint16_t>(port)};
}

// Resolves the endpoint to bind for one listen address. An empty host means
// every address, IPv6 and IPv4. Throws std::system_error.
tcp::endpoint resolve_listen_address(asio::any_io_executor executor,
                                     const std::string& address) {
  const auto [host, port] = split_listen_address(address);
  if (host.empty()) return {tcp::v6(), port};

  error_code error;
  const asio::ip::address ip = asio::ip::make_address(host, error);
  if (!error) return {ip, port};

  // A host name, resolved once at start-up to its first address.
  tcp::resolver resolver(executor);
  const auto results = resolver.resolve(
      host, std::to_string(port),
      tcp::resolver::passive | tcp::resolver::numeric_service, error);
  if (error || results.empty()) {
    throw std::system_error(
        error ? error : asio::error::host_not_found,
        "failed to resolve listen address \"" + address + "\"");
  }
  return results.begin()->endpoint();
}

// Whether a read error is the client going away or the server closing the
// connection, rather than something worth a response.
bool is_disconnect(const error_code& error) {
  return error == http::error::end_of_stream || error == asio::error::eof ||
         error == asio::error::operation_aborted ||
         error == asio::error::connection_reset ||
         error == asio::error::broken_pipe ||
         error == asio::error::bad_descriptor ||
         // A TLS client that closes without close_notify.
         error == asio::ssl::error::stream_truncated;
}

}  // namespace

// ---------------------------------------------------------------------------
// The server

class HttpServer::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(asio::any_io_executor executor, HttpServerOptions options,
       HttpHandlers handlers)
      : executor_(std::move(executor)),
        options_(std::move(options)),
        handlers_(std::move(handlers)),
        shutdown_timer_(executor_) {
    if (options_.security.tls.enabled()) {
      tls_.emplace(options_.security.tls, options_.certificate_check_interval);
    }
  }

  void listen();
  std::vector<tcp::endpoint> local_endpoints() const;
  void stop(std::function<void()> done);
  void close_now();

 private:
  struct Listener {
    Listener(asio::any_io_executor executor, std::string address_text)
        : address(std::move(address_text)),
          acceptor(executor),
          wait_timer(executor) {}
    std::string address;
    tcp::acceptor acceptor;
    // Wakes the accept loop when a connection slot frees up, and spaces
    // out retries after accept errors.
    asio::steady_timer wait_timer;
  };

  struct Connection {
    beast::tcp_stream* stream = nullptr;  // set while the connection runs
    bool idle = true;  // waiting for the first byte of a request
  };

  // Counts a request in flight while it lives.
  class InFlight {
   public:
    explicit InFlight(Impl& server) : server_(server) { ++server_.in_flight_; }
    ~InFlight() { --server_.in_flight_; }
    InFlight(const InFlight&) = delete;
    InFlight& operator=(const InFlight&) = delete;

   private:
    Impl& server_;
  };

  // Unregisters a connection when its coroutine ends, however it ends.
  class ConnectionSlot {
   public:
    ConnectionSlot(std::shared_ptr<Impl> server,
                   std::list<Connection>::iterator connection)
        : server_(std::move(server)), connection_(connection) {}
    ~ConnectionSlot() { server_->release_connection(connection_); }
    ConnectionSlot(const ConnectionSlot&) = delete;
    ConnectionSlot& operator=(const ConnectionSlot&) = delete;
    Connection& operator*() const { return *connection_; }
    Connection* operator->() const { return &*connection_; }

   private:
    std::shared_ptr<Impl> server_;
    std::list<Connection>::iterator connection_;
  };

  static asio::awaitable<void> accept_loop(std::shared_ptr<Impl> self,
                                           Listener& listener);
  static asio::awaitable<void> run_connection(std::shared_ptr<Impl> self,
                                              tcp::socket socket);
  template <class Stream>
  static asio::awaitable<void> serve_requests(std::shared_ptr<Impl> self,
                                              Stream& stream,
                                              Connection& connection,
                                              std::string remote);
  template <class Stream>
  asio::awaitable<error_code> write_response(Stream& stream,
                                             HttpResponse response,
                                             unsigned version, bool head,
                                             bool keep_alive);
  template <class Stream>
  asio::awaitable<void> reject_request(Stream& stream, unsigned status,
                                       std::string body);
  static asio::awaitable<void> wait_for_shutdown(std::shared_ptr<Impl> self);

  void release_connection(std::list<Connection>::iterator connection);
  void wake_accept_loops();
  void finish_if_stopped();

  asio::any_io_executor executor_;
  HttpServerOptions options_;
  HttpHandlers handlers_;
  std::optional<TlsServerContextSource> tls_;
  std::list<Listener> listeners_;
  std::list<Connection> connections_;
  int running_accept_loops_ = 0;
  int in_flight_ = 0;
  bool stopping_ = false;
  asio::steady_timer shutdown_timer_;
  std::vector<std::function<void()>> done_callbacks_;
  // Runs bcrypt checks off the event loop; one thread leaves the other core
  // to the loop.
  asio::thread_pool password_checks_{1};
};

void HttpServer::Impl::listen() {
  for (const std::string& address : options_.listen_addresses) {
    tcp::endpoint endpoint = resolve_listen_address(executor_, address);
    Listener& listener = listeners_.emplace_back(executor_, address);
    tcp::acceptor& acceptor = listener.acceptor;

    const auto fail = [&](error_code error) {
      listeners_.pop_back();
      return std::system_error(error,
                               "failed to listen on \"" + address + "\"");
    };

    error_code error;
    acceptor.open(endpoint.protocol(), error);
    if (error == asio::error::address_family_not_supported &&
        endpoint.address() == asio::ip::address_v6::any()) {
      // No IPv6 on this host: every address means every IPv4 address.
      endpoint = tcp::endpoint(tcp::v4(), endpoint.port());
      acceptor.open(endpoint.protocol(), error);
    }
    if (error) throw fail(error);
    if (endpoint.address() == asio::ip::address_v6::any()) {
      acceptor.set_option(asio::ip::v6_only(false), error);
    }
    acceptor.set_option(asio::socket_base::reuse_address(true), error);
    acceptor.bind(endpoint, error);
    if (error) throw fail(error);
    acceptor.listen(asio::socket_base::max_listen_connections, error);
    if (error) throw fail(error);

    const tcp::endpoint bound = acceptor.local_endpoint(error);
    logging::info("listening", {{"address", address},
                                {"endpoint", bound.address().to_string()},
                                {"port", bound.port()},
                                {"tls", tls_.has_value()}});
    ++running_accept_loops_;
    asio::co_spawn(executor_, accept_loop(shared_from_this(), listener),
                   asio::detached);
  }
}

std::vector<tcp::endpoint> HttpServer::Impl::local_endpoints() const {
  std::vector<tcp::endpoint> endpoints;
  for (const Listener& listener : listeners_) {
    error_code error;
    const tcp::endpoint endpoint = listener.acceptor.local_endpoint(error);
    if (!error) endpoints.push_back(endpoint);
  }
  return endpoints;
}

void HttpServer::Impl::stop(std::function<void()> done) {
  if (done) done_callbacks_.push_back(std::move(done));
  if (!stopping_) {
    stopping_ = true;
    logging::info("stopping the HTTP server",
                  {{"open_connections", connections_.size()},
                   {"requests_in_flight", in_flight_}});

    // Stop accepting; the accept loops end with operation_aborted.
    for (Listener& listener : listeners_) {
      error_code ignored;
      listener.acceptor.close(ignored);
      listener.wait_timer.cancel();
    }
    // Idle keep-alive connections have nothing to finish.
    for (Connection& connection : connections_) {
      if (connection.idle && connection.stream != nullptr) {
        connection.stream->close();
      }
    }
    asio::co_spawn(executor_, wait_for_shutdown(shared_from_this()),
                   asio::detached);
  }
  finish_if_stopped();
}

void HttpServer::Impl::close_now() {
  stopping_ = true;
  for (Listener& listener : listeners_) {
    error_code ignored;
    listener.acceptor.close(ignored);
    listener.wait_timer.cancel();
  }
  for (Connection& connection : connections_) {
    if (connection.stream != nullptr) connection.stream->close();
  }
  shutdown_timer_.cancel();
}

asio::awaitable<void> HttpServer::Impl::wait_for_shutdown(
    std::shared_ptr<Impl> self) {
  error_code error;
  self->shutdown_timer_.expires_after(self->options_.shutdown_timeout);
  co_await self->shutdown_timer_.async_wait(
      asio::redirect_error(asio::use_awaitable, error));
  // Cancelled: everything closed in time.
  if (error) co_return;

  if (!self->connections_.empty()) {
    logging::warn("closing connections that did not finish before shutdown",
                  {{"open_connections", self->connections_.size()}});
  }
  for (Connection& connection : self->connections_) {
    if (connection.stream != nullptr) connection.stream->close();
  }
}

void HttpServer::Impl::release_connection(
    std::list<Connection>::iterator connection) {
  connections_.erase(connection);
  wake_accept_loops();
  finish_if_stopped();
}

void HttpServer::Impl::wake_accept_loops() {
  for (Listener& listener : listeners_) listener.wait_timer.cancel();
}

void HttpServer::Impl::finish_if_stopped() {
  if (!stopping_ || !connections_.empty() || running_accept_loops_ > 0) {
    return;
  }
  shutdown_timer_.cancel();
  for (auto& done : std::exchange(done_callbacks_, {})) {
    asio::post(executor_, std::move(done));
  }
}

asio::awaitable<void> HttpServer::Impl::accept_loop(std::shared_ptr<Impl> self,
                                                    Listener& listener) {
  while (!self->stopping_) {
    // At the connection cap, wait until a connection closes.
    if (self->connections_.size() >= self->options_.max_connections) {
      error_code ignored;
      listener.wait_timer.expires_at(asio::steady_timer::time_point::max());
      co_await listener.wait_timer.async_wait(
          asio::redirect_error(asio::use_awaitable, ignored));
      continue;
    }

    error_code error;
    tcp::socket socket = co_await listener.acceptor.async_accept(
        asio::redirect_error(asio::use_awaitable, error));
    if (error == asio::error::operation_aborted || self->stopping_) break;
    if (error) {
      // Out of file descriptors, or a connection reset before accept:
      // wait briefly instead of spinning, then go on accepting.
      logging::warn(
          "failed to accept a connection",
          {{"address", listener.address}, {"error", error.message()}});
      error_code ignored;
      listener.wait_timer.expires_after(std::chrono::milliseconds(100));
      co_await listener.wait_timer.async_wait(
          asio::redirect_error(asio::use_awaitable, ignored));
      continue;
    }

    asio::co_spawn(self->executor_, run_connection(self, std::move(socket)),
                   asio::detached);
  }

  --self->running_accept_loops_;
  self->finish_if_stopped();
}

asio::awaitable<void> HttpServer::Impl::run_connection(
    std::shared_ptr<Impl> self, tcp::socket socket) {
  ConnectionSlot connection(
      self, self->connections_.emplace(self->connections_.end()));
  error_code error;
  std::string remote;
  {
    const tcp::endpoint endpoint = socket.remote_endpoint(error);
    if (!error) {
      remote = endpoint.address().to_string() + ":" +
               std::to_string(endpoint.port());
    }
  }
  beast::tcp_stream stream(std::move(socket));

  if (!self->tls_.has_value()) {
    connection->stream = &stream;
    co_await serve_requests(self, stream, *connection, remote);
    stream.socket().shutdown(tcp::socket::shutdown_send, error);
    connection->stream = nullptr;
    co_return;
  }

  // The context stays alive with the stream, even when a reload replaces it.
  const std::shared_ptr<asio::ssl::context> context = self->tls_->current();
  beast::ssl_stream<beast::tcp_stream> tls_stream(std::move(stream), *context);
  beast::tcp_stream& lowest = beast::get_lowest_layer(tls_stream);
  connection->stream = &lowest;

  // Handshake, under the read timeout.
  lowest.expires_after(self->options_.read_timeout);
  co_await tls_stream.async_handshake(
      asio::ssl::stream_base::server,
      asio::redirect_error(asio::use_awaitable, error));
  if (error) {
    logging::debug("TLS handshake failed",
                   {{"remote", remote}, {"error", error.message()}});
    connection->stream = nullptr;
    co_return;
  }

  co_await serve_requests(self, tls_stream, *connection, remote);

  // Send close_notify without waiting for the client's, as Go's
  // tls.Conn.Close does; a client that already left makes this fail,
  // which is fine.
  if (lowest.socket().is_open()) {
    SSL_set_shutdown(tls_stream.native_handle(), SSL_RECEIVED_SHUTDOWN);
    lowest.expires_after(self->options_.write_timeout);
    co_await tls_stream.async_shutdown(
        asio::redirect_error(asio::use_awaitable, error));
  }
  connection->stream = nullptr;
}

template <class Stream>
asio::awaitable<void> HttpServer::Impl::serve_requests(
    std::shared_ptr<Impl> self, Stream& stream, Connection& connection,
    std::string remote) {
  const HttpServerOptions& options = self->options_;
  beast::tcp_stream& lowest = beast::get_lowest_layer(stream);
  beast::flat_buffer buffer;
  bool first_request = true;

  for (;;) {
    error_code error;

    // Wait for the first bytes of the next request. A new connection gets
    // the read timeout, an idle keep-alive connection the idle timeout.
    if (buffer.size() == 0) {
      connection.idle = true;
      if (self->stopping_) co_return;
      lowest.expires_after(first_request ? options.read_timeout
                                         : options.idle_timeout);
      const std::size_t received = co_await stream.async_read_some(
          buffer.prepare(4096),
          asio::redirect_error(asio::use_awaitable, error));
      buffer.commit(received);
      if (error) {
        if (!is_disconnect(error) && error != beast::error::timeout) {
          logging::debug("failed to read from an HTTP connection",
                         {{"remote", remote}, {"error", error.message()}});
        }
        co_return;
      }
    }
    connection.idle = false;
    first_request = false;
    const auto started = std::chrono::steady_clock::now();

    // Read the head; one deadline covers the head and the body.
    lowest.expires_after(options.read_timeout);
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(options.header_limit));
    parser.body_limit(options.body_limit);
    co_await http::async_read_header(
        stream, buffer, parser,
        asio::redirect_error(asio::use_awaitable, error));

    std::optional<InFlight> in_flight;
    if (!error) {
      in_flight.emplace(*self);
      if (options.max_requests > 0 && self->in_flight_ > options.max_requests) {
        logging::debug(
            "rejected an HTTP request over the request limit",
            {{"remote", remote}, {"max_requests", options.max_requests}});
        co_await self->reject_request(stream, 503,
                                      "503 too many requests in flight\n");
        co_return;
      }

      // curl and others wait for 100 Continue before sending a large body.
      const auto expect = parser.get().find(http::field::expect);
      if (expect != parser.get().end() &&
          boost::iequals(expect->value(), "100-continue") &&
          !parser.is_done()) {
        http::response<http::empty_body> proceed{http::status::continue_,
                                                 parser.get().version()};
        co_await http::async_write(
            stream, proceed, asio::redirect_error(asio::use_awaitable, error));
      }
    }
    if (!error && !parser.is_done()) {
      co_await http::async_read(
          stream, buffer, parser,
          asio::redirect_error(asio::use_awaitable, error));
    }

    if (error) {
      if (error == http::error::header_limit) {
        co_await self->reject_request(stream, 431,
                                      "431 request header fields too large\n");
      } else if (error == http::error::body_limit) {
        co_await self->reject_request(stream, 413,
                                      "413 request body too large\n");
      } else if (error == beast::error::timeout) {
        // tcp_stream closed the socket when the deadline passed, so no 408
        // can be sent.
        logging::debug("timed out reading an HTTP request",
                       {{"remote", remote}});
      } else if (is_disconnect(error)) {
        // The client left mid-request, or the server is closing.
      } else if (error.category() ==
                 http::make_error_code(http::error::bad_target).category()) {
        // A malformed request line, header or chunk.
        co_await self->reject_request(stream, 400, "400 bad request\n");
      } else {
        logging::debug("failed to read an HTTP request",
                       {{"remote", remote}, {"error", error.message()}});
      }
      co_return;
    }

    // Handle and respond.
    HttpRequest request = parser.release();
    const bool head = request.method() == http::verb::head;
    // Check basic auth on the worker thread, because bcrypt costs tens of
    // milliseconds and a flood of wrong passwords must not stall the event
    // loop that runs the polls.
    std::optional<bool> authorized;
    if (options.security.check_basic_auth) {
      authorized = co_await asio::co_spawn(
          self->password_checks_,
          [&request, &options]() -> asio::awaitable<bool> {
            try {
              co_return is_authorized(request, options.security);
            } catch (const std::exception& e) {
              logging::error("failed to check basic auth credentials",
                             {{"error", e.what()}});
              co_return false;
            }
          },
          asio::use_awaitable);
    }
    HttpResponse response =
        handle_checked_request(request, self->handlers_, options, authorized);
    const unsigned status = response.status;
    const bool keep_alive = request.keep_alive() && !self->stopping_;
    lowest.expires_after(options.write_timeout);
    error = co_await self->write_response(stream, std::move(response),
                                          request.version(), head, keep_alive);
    in_flight.reset();

    if (logging::enabled(LogLevel::debug)) {
      const std::string error_text = error ? error.message() : "";
      const std::string_view method = request.method_string();
      const std::chrono::duration<double> duration =
          std::chrono::steady_clock::now() - started;
      logging::debug("served an HTTP request",
                     {{"remote", remote},
                      {"method", method},
                      {"path", request_path(request.target())},
                      {"status", status},
                      {"duration_seconds", duration.count()},
                      {"error", error_text}});
    }
    if (error || !keep_alive) co_return;
  }
}

template <class Stream>
asio::awaitable<error_code> HttpServer::Impl::write_response(
    Stream& stream, HttpResponse response, unsigned version, bool head,
    bool keep_alive) {
  const auto set_fields = [&](auto& message) {
    message.result(response.status);
    if (!response.content_type.empty()) {
      message.set(http::field::content_type, response.content_type);
    }
    for (const auto& [name, value] : response.headers) {
      message.insert(name, value);
    }
    message.keep_alive(keep_alive);
  };

  error_code error;
  if (head) {
    // The headers of the GET response, Content-Length included, and no body.
    http::response<http::empty_body> message;
    message.version(version);
    set_fields(message);
    message.content_length(response.body.size());
    co_await http::async_write(
        stream, message, asio::redirect_error(asio::use_awaitable, error));
  } else {
    http::response<http::string_body> message;
    message.version(version);
    set_fields(message);
    message.body() = std::move(response.body);
    message.prepare_payload();
    co_await http::async_write(
        stream, message, asio::redirect_error(asio::use_awaitable, error));
  }
  co_return error;
}

template <class Stream>
asio::awaitable<void> HttpServer::Impl::reject_request(Stream& stream,
                                                       unsigned status,
                                                       std::string body) {
  beast::tcp_stream& lowest = beast::get_lowest_layer(stream);
  HttpResponse response = text_response(status, std::move(body));
  for (const auto& header : options_.security.headers) {
    response.headers.push_back(header);
  }
  lowest.expires_after(options_.write_timeout);
  const error_code error =
      co_await write_response(stream, std::move(response), 11, false, false);
  if (error) co_return;

  // Signal the end of the response, then read and drop what the client
  // still sends, for a moment, so that closing with unread data does not
  // reset the connection before the client has read the response.
  if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
    error_code ignored;
    lowest.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }
  constexpr std::size_t max_drained_bytes = 256 * 1024;
  lowest.expires_after(std::chrono::seconds(1));
  std::array<char, 4096> discard;
  std::size_t drained = 0;
  while (drained < max_drained_bytes) {
    error_code read_error;
    drained += co_await stream.async_read_some(
        asio::buffer(discard),
        asio::redirect_error(asio::use_awaitable, read_error));
    if (read_error) break;
  }
}

HttpServer::HttpServer(asio::any_io_executor executor,
                       HttpServerOptions options, HttpHandlers handlers)
    : impl_(std::make_shared<Impl>(std::move(executor), std::move(options),
                                   std::move(handlers))) {}

HttpServer::~HttpServer() { impl_->close_now(); }

void HttpServer::listen() { impl_->listen(); }

std::vector<tcp::endpoint> HttpServer::local_endpoints() const {
  return impl_->local_endpoints();
}

void HttpServer::stop(std::function<void()> done) {
  impl_->stop(std::move(done));
}

}  // namespace beyondtrust_exporter
