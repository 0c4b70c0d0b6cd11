#include "beyondtrust_exporter/https_client.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
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
#include <boost/url/parse.hpp>
#include <chrono>
#include <optional>
#include <string_view>
#include <utility>

#include "beyondtrust_exporter/logging.hpp"
#include "http_text.hpp"

namespace beyondtrust_exporter {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using asio::ip::tcp;
using boost::system::error_code;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// Time a TLS shutdown may take once the response is complete. The response
// is already read, so a site that never acknowledges close_notify must not
// hold the poll until its deadline.
constexpr std::chrono::seconds tls_shutdown_timeout{1};

// Response headers of a normal site are a few hundred bytes. The limit
// keeps a broken or hostile site from growing the header buffer unbounded.
constexpr std::uint32_t max_header_bytes = 64 * 1024;

constexpr std::string_view user_agent =
    "beyondtrust_exporter/" BEYONDTRUST_EXPORTER_VERSION;

// Host names come from the URL, where an IPv6 literal is bracketed.
std::string unbracket(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return std::string(host);
}

bool is_ip_address(const std::string& host) {
  error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

// The value of the Host header: the host, bracketed if IPv6, and the port
// unless it is the default one.
std::string host_header(const std::string& host, std::uint16_t port,
                        std::uint16_t default_port) {
  std::string value =
      host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port != default_port) {
    value += ":" + std::to_string(port);
  }
  return value;
}

PollError make_error(PollErrorReason reason, std::string message) {
  return PollError{reason, std::move(message)};
}

// Returns the OpenSSL reason of a TLS error, such as "certificate verify
// failed", followed by the certificate verification result when there is
// one ("unable to get local issuer certificate").
std::string describe_tls_error(const error_code& ec, SSL* ssl) {
  std::string message;
  if (ec.category() == asio::error::get_ssl_category()) {
    const char* reason =
        ERR_reason_error_string(static_cast<unsigned long>(ec.value()));
    message = reason != nullptr ? reason : ec.message();
  } else if (ec == ssl::error::stream_truncated || ec == asio::error::eof) {
    message = "the site closed the connection during the handshake";
  } else {
    message = ec.message();
  }
  long verify_result = SSL_get_verify_result(ssl);
  if (verify_result != X509_V_OK) {
    message += ": ";
    message += X509_verify_cert_error_string(verify_result);
  }
  return message;
}

// The HTTP CONNECT proxy of proxy_url.
struct Proxy {
  std::string host;
  std::uint16_t port = 80;
  std::string authorization;  // "Basic ..." from the URL's user info
};

std::optional<Proxy> parse_proxy_url(const std::string& proxy_url) {
  if (proxy_url.empty()) {
    return std::nullopt;
  }
  auto invalid = [&](std::string_view why) {
    return ConfigError("invalid proxy_url \"" + proxy_url +
                       "\": " + std::string(why) +
                       "; expected http://[user:password@]host[:port]");
  };

  auto url = boost::urls::parse_uri(proxy_url);
  if (!url) {
    throw invalid(url.error().message());
  }
  if (url->scheme() != "http") {
    throw invalid("the scheme must be http");
  }
  if (url->host().empty()) {
    throw invalid("the host is missing");
  }

  Proxy proxy;
  proxy.host = unbracket(url->encoded_host_address().decode());
  if (url->has_port()) {
    if (url->port_number() == 0) {
      throw invalid("the port must be between 1 and 65535");
    }
    proxy.port = url->port_number();
  }
  if (url->has_userinfo()) {
    proxy.authorization =
        "Basic " + http_text::base64_encode(url->encoded_userinfo().decode());
  }
  return proxy;
}

}  // namespace

struct HttpsClient::Impl {
  Impl(asio::any_io_executor executor_in, const ApplianceConfig& config)
      : executor(std::move(executor_in)),
        appliance(config.name),
        host(unbracket(config.host)),
        port(config.port),
        verified_name(config.tls_config.server_name.empty()
                          ? host
                          : unbracket(config.tls_config.server_name)),
        verify(!config.tls_config.insecure_skip_verify),
        timeout(config.timeout),
        max_response_bytes(config.max_response_bytes),
        proxy(parse_proxy_url(config.proxy_url)) {
    configure_tls(config.tls_config);
  }

  void configure_tls(const TlsConfig& tls) {
    SSL_CTX_set_min_proto_version(context.native_handle(), TLS1_2_VERSION);
    context.set_options(ssl::context::default_workarounds |
                        ssl::context::no_compression);

    error_code ec;
    if (!tls.ca_file.empty()) {
      context.load_verify_file(tls.ca_file, ec);
      if (ec) {
        throw ConfigError("invalid tls_config.ca_file \"" + tls.ca_file +
                          "\": " + ec.message() +
                          "; expected a readable PEM file of CA certificates");
      }
    } else {
      context.set_default_verify_paths(ec);
      if (ec) {
        logging::warn("could not load the system trust store",
                      {{"appliance", appliance}, {"error", ec.message()}});
      }
    }

    if (tls.cert_file.empty() != tls.key_file.empty()) {
      throw ConfigError(
          "invalid tls_config: cert_file and key_file must be set together");
    }
    if (!tls.cert_file.empty()) {
      context.use_certificate_chain_file(tls.cert_file, ec);
      if (ec) {
        throw ConfigError("invalid tls_config.cert_file \"" + tls.cert_file +
                          "\": " + ec.message() +
                          "; expected a readable PEM certificate chain");
      }
      context.use_private_key_file(tls.key_file, ssl::context::pem, ec);
      if (ec) {
        throw ConfigError("invalid tls_config.key_file \"" + tls.key_file +
                          "\": " + ec.message() +
                          "; expected the PEM key of cert_file");
      }
    }

    if (!verify) {
      logging::warn(
          "TLS certificate verification is disabled by "
          "tls_config.insecure_skip_verify",
          {{"appliance", appliance}});
    }
  }

  // Reports a request's failure, or its cancellation when cancel() caused
  // the error.
  PollError failure(PollErrorReason reason, std::string message) const {
    if (cancelled) {
      return make_error(PollErrorReason::connect, "the request was cancelled");
    }
    return make_error(reason, std::move(message));
  }

  std::string target_name() const { return host + ":" + std::to_string(port); }

  asio::awaitable<PollResult<tcp::resolver::results_type>> resolve(
      const std::string& name, std::uint16_t service,
      std::chrono::steady_clock::time_point deadline);

  asio::awaitable<PollResult<void>> connect(
      beast::tcp_stream& stream,
      std::chrono::steady_clock::time_point deadline);

  asio::awaitable<PollResult<void>> open_tunnel(
      beast::tcp_stream& stream,
      std::chrono::steady_clock::time_point deadline);

  asio::awaitable<PollResult<HttpResponse>> exchange(
      HttpRequest request, std::chrono::steady_clock::time_point deadline);

  asio::any_io_executor executor;
  std::string appliance;
  std::string host;
  std::uint16_t port;
  std::string verified_name;
  bool verify;
  std::chrono::milliseconds timeout;
  std::size_t max_response_bytes;
  std::optional<Proxy> proxy;
  ssl::context context{ssl::context::tls_client};

  // The request in flight, so that cancel() can reach its sockets. Both
  // live in the frame of send() and are null outside it.
  tcp::resolver* active_resolver = nullptr;
  beast::tcp_stream* active_stream = nullptr;
  bool cancelled = false;
};

asio::awaitable<PollResult<tcp::resolver::results_type>>
HttpsClient::Impl::resolve(const std::string& name, std::uint16_t service,
                           std::chrono::steady_clock::time_point deadline) {
  tcp::resolver resolver(executor);
  active_resolver = &resolver;

  // The resolver has no deadline of its own, so a timer cancels it.
  // NOTE: cancelling cannot interrupt a getaddrinfo() call that already
  // runs in the resolver's thread. A hanging DNS server therefore delays
  // the error until the system resolver gives up.
  // The watch outlives this frame when the timer's completion is already
  // queued as the resolve completes, so the handler owns it.
  struct Watch {
    tcp::resolver* resolver;
    bool timed_out = false;
  };
  auto watch = std::make_shared<Watch>(Watch{&resolver});
  asio::steady_timer timer(executor, deadline);
  timer.async_wait([watch](error_code ec) {
    if (!ec && watch->resolver != nullptr) {
      watch->timed_out = true;
      watch->resolver->cancel();
    }
  });

  auto [ec, results] =
      co_await resolver.async_resolve(name, std::to_string(service), use_tuple);
  watch->resolver = nullptr;
  timer.cancel();
  active_resolver = nullptr;

  if (watch->timed_out) {
    co_return failure(PollErrorReason::timeout,
                      "resolving " + name + " timed out");
  }
  if (ec) {
    co_return failure(PollErrorReason::connect,
                      "resolving " + name + " failed: " + ec.message());
  }
  co_return results;
}

asio::awaitable<PollResult<void>> HttpsClient::Impl::connect(
    beast::tcp_stream& stream, std::chrono::steady_clock::time_point deadline) {
  const std::string& name = proxy ? proxy->host : host;
  std::uint16_t service = proxy ? proxy->port : port;
  std::string what =
      (proxy ? "the proxy " : "") + name + ":" + std::to_string(service);

  auto endpoints = co_await resolve(name, service, deadline);
  if (!endpoints) {
    co_return endpoints.error();
  }

  stream.expires_at(deadline);
  auto [ec, endpoint] = co_await stream.async_connect(*endpoints, use_tuple);
  if (ec == beast::error::timeout) {
    co_return failure(PollErrorReason::timeout,
                      "connecting to " + what + " timed out");
  }
  if (ec) {
    co_return failure(PollErrorReason::connect,
                      "connecting to " + what + " failed: " + ec.message());
  }
  co_return PollResult<void>();
}

asio::awaitable<PollResult<void>> HttpsClient::Impl::open_tunnel(
    beast::tcp_stream& stream, std::chrono::steady_clock::time_point deadline) {
  std::string authority = host_header(host, port, 0);
  std::string proxy_name = proxy->host + ":" + std::to_string(proxy->port);

  // Ask the proxy for a tunnel to the site.
  http::request<http::empty_body> request(http::verb::connect, authority, 11);
  request.set(http::field::host, authority);
  request.set(http::field::user_agent, user_agent);
  if (!proxy->authorization.empty()) {
    request.set(http::field::proxy_authorization, proxy->authorization);
  }
  stream.expires_at(deadline);
  auto [write_ec, written] =
      co_await http::async_write(stream, request, use_tuple);
  if (write_ec == beast::error::timeout) {
    co_return failure(
        PollErrorReason::timeout,
        "sending CONNECT to the proxy " + proxy_name + " timed out");
  }
  if (write_ec) {
    co_return failure(PollErrorReason::connect,
                      "sending CONNECT to the proxy " + proxy_name +
                          " failed: " + write_ec.message());
  }

  // Read only the header: a successful CONNECT response has no body, and the
  // bytes after it belong to the tunnel.
  http::response_parser<http::empty_body> parser;
  parser.skip(true);
  parser.header_limit(max_header_bytes);
  beast::flat_buffer buffer;
  auto [read_ec, read] =
      co_await http::async_read_header(stream, buffer, parser, use_tuple);
  if (read_ec == beast::error::timeout) {
    co_return failure(PollErrorReason::timeout,
                      "waiting for the proxy " + proxy_name + " timed out");
  }
  if (read_ec) {
    co_return failure(PollErrorReason::connect,
                      "reading the CONNECT response of the proxy " +
                          proxy_name + " failed: " + read_ec.message());
  }
  unsigned status = parser.get().result_int();
  if (status / 100 != 2) {
    co_return failure(PollErrorReason::connect,
                      "the proxy " + proxy_name + " rejected CONNECT to " +
                          authority + " with HTTP " + std::to_string(status));
  }
  co_return PollResult<void>();
}

asio::awaitable<PollResult<HttpResponse>> HttpsClient::Impl::exchange(
    HttpRequest request, std::chrono::steady_clock::time_point deadline) {
  beast::ssl_stream<beast::tcp_stream> stream(executor, context);
  beast::tcp_stream& tcp = beast::get_lowest_layer(stream);
  active_stream = &tcp;
  struct ClearActiveStream {
    beast::tcp_stream*& active;
    ~ClearActiveStream() { active = nullptr; }
  } clear_active_stream{active_stream};

  // Connect to the site, or to the proxy and through it to the site.
  if (auto connected = co_await connect(tcp, deadline); !connected) {
    co_return connected.error();
  }
  if (cancelled) {
    co_return failure(PollErrorReason::connect, "");
  }
  if (proxy) {
    if (auto tunnel = co_await open_tunnel(tcp, deadline); !tunnel) {
      co_return tunnel.error();
    }
  }

  // Send SNI unless the name is an IP address, which RFC 6066 forbids
  // there, and check the certificate against the configured name.
  SSL* ssl_handle = stream.native_handle();
  if (!is_ip_address(verified_name)) {
    // SSL_set_tlsext_host_name() is a macro around this call, spelled out
    // because the macro casts in C style.
    SSL_ctrl(ssl_handle, SSL_CTRL_SET_TLSEXT_HOSTNAME,
             TLSEXT_NAMETYPE_host_name,
             const_cast<char*>(verified_name.c_str()));
  }
  if (verify) {
    stream.set_verify_mode(ssl::verify_peer);
    stream.set_verify_callback(
        [check = ssl::host_name_verification(verified_name)](
            bool preverified, ssl::verify_context& verify_context) {
          bool matches = check(preverified, verify_context);
          // host_name_verification rejects a mismatch without a reason, so
          // record one for the error message.
          if (preverified && !matches) {
            X509_STORE_CTX_set_error(verify_context.native_handle(),
                                     X509_V_ERR_HOSTNAME_MISMATCH);
          }
          return matches;
        });
  } else {
    stream.set_verify_mode(ssl::verify_none);
  }

  // TLS handshake.
  tcp.expires_at(deadline);
  auto [handshake_ec] =
      co_await stream.async_handshake(ssl::stream_base::client, use_tuple);
  if (handshake_ec == beast::error::timeout) {
    co_return failure(PollErrorReason::timeout,
                      "TLS handshake with " + target_name() + " timed out");
  }
  if (handshake_ec) {
    std::string reason = describe_tls_error(handshake_ec, ssl_handle);
    if (SSL_get_verify_result(ssl_handle) == X509_V_ERR_HOSTNAME_MISMATCH) {
      reason += " (expected " + verified_name + ")";
    }
    co_return failure(
        PollErrorReason::tls,
        "TLS handshake with " + target_name() + " failed: " + reason);
  }

  // Send the request.
  tcp.expires_at(deadline);
  auto [write_ec, written] =
      co_await http::async_write(stream, request, use_tuple);
  if (write_ec == beast::error::timeout) {
    co_return failure(PollErrorReason::timeout,
                      "sending the request to " + target_name() + " timed out");
  }
  if (write_ec) {
    co_return failure(PollErrorReason::connect,
                      "sending the request to " + target_name() +
                          " failed: " + write_ec.message());
  }

  // Read the response, at most max_response_bytes of body.
  http::response_parser<http::string_body> parser;
  parser.body_limit(max_response_bytes);
  parser.header_limit(max_header_bytes);
  beast::flat_buffer buffer;
  tcp.expires_at(deadline);
  auto [read_ec, read] =
      co_await http::async_read(stream, buffer, parser, use_tuple);

  // A site that sends neither Content-Length nor chunked encoding ends the
  // body by closing the connection. Without a TLS close_notify that shows
  // as stream_truncated, which completes such a body.
  if (read_ec == ssl::error::stream_truncated && parser.is_header_done() &&
      !parser.is_done() && parser.need_eof()) {
    parser.put_eof(read_ec);
  }

  if (read_ec == beast::error::timeout) {
    co_return failure(PollErrorReason::timeout,
                      "reading the response of " + target_name() +
                          " timed out after " + std::to_string(read) +
                          " bytes");
  }
  if (read_ec == http::error::body_limit) {
    co_return failure(PollErrorReason::parse,
                      "the response body of " + target_name() +
                          " exceeds the limit of " +
                          std::to_string(max_response_bytes) + " bytes");
  }
  if (read_ec == http::error::header_limit) {
    co_return failure(PollErrorReason::parse,
                      "the response header of " + target_name() +
                          " exceeds the limit of " +
                          std::to_string(max_header_bytes) + " bytes");
  }
  if (read_ec && !parser.is_done()) {
    if (read_ec.category() == asio::error::get_ssl_category()) {
      co_return failure(
          PollErrorReason::tls,
          "reading the response of " + target_name() +
              " failed: " + describe_tls_error(read_ec, ssl_handle));
    }
    if (!parser.got_some()) {
      co_return failure(PollErrorReason::connect,
                        "the site " + target_name() +
                            " closed the connection without a response: " +
                            read_ec.message());
    }
    co_return failure(PollErrorReason::parse,
                      "the response of " + target_name() +
                          " was cut short or malformed: " + read_ec.message());
  }

  // Close the TLS session. The response is complete, so a failed or slow
  // shutdown does not fail the request.
  tcp.expires_after(std::min<std::chrono::steady_clock::duration>(
      tls_shutdown_timeout, std::max<std::chrono::steady_clock::duration>(
                                deadline - std::chrono::steady_clock::now(),
                                std::chrono::milliseconds(1))));
  co_await stream.async_shutdown(use_tuple);
  error_code ignored;
  tcp.socket().close(ignored);

  co_return parser.release();
}

HttpsClient::HttpsClient(asio::any_io_executor executor,
                         const ApplianceConfig& config)
    : impl_(std::make_unique<Impl>(std::move(executor), config)) {}

HttpsClient::~HttpsClient() = default;

asio::awaitable<PollResult<HttpResponse>> HttpsClient::send(
    HttpRequest request) {
  auto deadline = std::chrono::steady_clock::now() + impl_->timeout;
  impl_->cancelled = false;

  request.set(http::field::host, host_header(impl_->host, impl_->port, 443));
  request.set(http::field::user_agent, user_agent);
  request.set(http::field::connection, "close");
  request.prepare_payload();

  co_return co_await impl_->exchange(std::move(request), deadline);
}

void HttpsClient::cancel() {
  impl_->cancelled = true;
  if (impl_->active_resolver != nullptr) {
    impl_->active_resolver->cancel();
  }
  if (impl_->active_stream != nullptr) {
    error_code ignored;
    impl_->active_stream->socket().close(ignored);
  }
}

}  // namespace beyondtrust_exporter
