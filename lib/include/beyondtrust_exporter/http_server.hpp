#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace beyondtrust_exporter {

// TLS settings of the listener. Names and values follow the `tls_server_config`
// block of the Prometheus exporter-toolkit web configuration file.
struct HttpServerTlsConfig {
  std::string cert_file;  // PEM certificate chain; TLS is on when set
  std::string key_file;   // PEM private key of cert_file
  // NoClientCert (or empty), RequestClientCert, RequireAnyClientCert,
  // VerifyClientCertIfGiven or RequireAndVerifyClientCert.
  std::string client_auth_type;
  std::string client_ca_file;  // PEM bundle that client certificates chain to
  std::string min_version;     // TLS10, TLS11, TLS12 or TLS13; empty: TLS12
  std::string max_version;     // as min_version; empty: the highest known
  // IANA names such as TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, for TLS 1.2
  // and below; TLS 1.3 suites are not configurable. Empty: OpenSSL defaults.
  std::vector<std::string> cipher_suites;
  // CurveP256, CurveP384, CurveP521 or X25519. Empty: OpenSSL defaults.
  std::vector<std::string> curve_preferences;
  bool prefer_server_cipher_suites = true;
  // A verified client certificate must carry one of these DNS, email, IP or
  // URI subject alternative names. Empty: any verified certificate will do.
  std::vector<std::string> client_allowed_sans;

  bool enabled() const noexcept {
    return !cert_file.empty() || !key_file.empty();
  }
};

// Access control and response decoration of the server, filled from the web
// configuration file.
struct HttpServerSecurity {
  HttpServerTlsConfig tls;
  // Added to every response, for example Strict-Transport-Security.
  std::vector<std::pair<std::string, std::string>> headers;
  // Checks a basic-auth user and password. When set, every request needs a
  // matching Authorization header; when empty, no request does. Runs on the
  // event loop, so a slow check (bcrypt) should cache its results.
  std::function<bool(std::string_view user, std::string_view password)>
      check_basic_auth;
};

struct HttpServerOptions {
  // host:port, [ipv6]:port or :port (every address, IPv6 and IPv4).
  std::vector<std::string> listen_addresses{":9879"};
  std::string telemetry_path = "/metrics";
  // Requests being read, handled or sent at once; a request beyond it
  // gets 503. Zero or less: no limit.
  int max_requests = 40;
  // Open connections; beyond it the server stops accepting until one closes,
  // so a flood cannot exhaust file descriptors.
  std::size_t max_connections = 512;
  // Limit from the first byte of a request to its last body byte, and for
  // the TLS handshake. A slower client is disconnected without a response.
  std::chrono::milliseconds read_timeout{std::chrono::seconds(30)};
  // Writing one response; a client that reads slower is disconnected.
  std::chrono::milliseconds write_timeout{std::chrono::seconds(30)};
  // An idle keep-alive connection closes after this long. Longer than the
  // common one-minute scrape interval, so Prometheus can reuse it.
  std::chrono::milliseconds idle_timeout{std::chrono::minutes(2)};
  // How long stop() waits for requests in flight before it closes them.
  std::chrono::milliseconds shutdown_timeout{std::chrono::seconds(5)};
  // The TLS certificate, key and client CA files are checked for changes at
  // most this often, when a connection arrives.
  std::chrono::milliseconds certificate_check_interval{std::chrono::seconds(5)};
  std::size_t header_limit = 8 * 1024;  // bytes of request line and headers
  std::size_t body_limit = 64 * 1024;   // bytes; only /-/reload takes a body
  HttpServerSecurity security;
};

// Callbacks that produce the exporter's responses. Each runs on the event
// loop and may throw, in which case the server responds with 500.
struct HttpHandlers {
  std::function<std::string()> render_metrics;       // text format 0.0.4
  std::function<std::string()> render_landing_page;  // HTML
  // Compresses a /metrics body for a client that accepts gzip, returning
  // nothing when it cannot. When unset, the server calls gzip_compress().
  std::function<std::optional<std::string>(std::string_view)> gzip_metrics;
  // Rereads the configuration. Returns "" on success, or the reason the new
  // configuration was rejected (the old one keeps running).
  std::function<std::string()> reload;
};

// A response before it goes on the wire. Content-Length and Connection are
// set when it is written.
struct HttpResponse {
  unsigned status = 200;
  std::string content_type;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

using HttpRequest =
    boost::beast::http::request<boost::beast::http::string_body>;

// Builds the response to one parsed request: basic auth, routing, gzip and the
// extra headers of `options.security`. A HEAD request gets the GET body, which
// the caller must leave out on the wire. Never throws: a throwing handler
// becomes 500.
HttpResponse handle_request(const HttpRequest& request,
                            const HttpHandlers& handlers,
                            const HttpServerOptions& options);

// Builds the response as handle_request() does, but takes the result of a
// basic auth check already made elsewhere (the server makes it on a worker
// thread). An empty `authorized` checks the credentials here.
HttpResponse handle_checked_request(const HttpRequest& request,
                                    const HttpHandlers& handlers,
                                    const HttpServerOptions& options,
                                    std::optional<bool> authorized);

// The HTTP(S) server of /metrics, the landing page, health, readiness and
// reload, on one Asio executor.
//
// Not thread-safe: construct it, call every member and run its executor on
// one thread (the exporter's event loop). The handlers run on that thread.
class HttpServer {
 public:
  // Builds the TLS context when options.security.tls is enabled. Throws
  // std::runtime_error naming the setting when the TLS settings or files
  // are invalid.
  HttpServer(boost::asio::any_io_executor executor, HttpServerOptions options,
             HttpHandlers handlers);
  // Closes the listeners and every connection without waiting.
  ~HttpServer();

  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds every listen address and starts accepting. Throws std::system_error
  // naming the address when one cannot be parsed, resolved or bound; the
  // addresses bound before it stay bound until destruction.
  void listen();

  // The bound endpoints, in listen-address order; shows the port chosen
  // for port 0.
  std::vector<boost::asio::ip::tcp::endpoint> local_endpoints() const;

  // Stops accepting and closes idle keep-alive connections. Requests in
  // flight finish with Connection: close; after options.shutdown_timeout
  // the remaining connections are closed. Calls `done` on the executor when
  // no listener or connection is left; every call's `done` is called.
  void stop(std::function<void()> done);

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace beyondtrust_exporter
