#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstddef>
#include <memory>
#include <string>

#include "beyondtrust_exporter/config.hpp"
#include "beyondtrust_exporter/poll_error.hpp"

namespace beyondtrust_exporter {

using HttpRequest =
    boost::beast::http::request<boost::beast::http::string_body>;
using HttpResponse =
    boost::beast::http::response<boost::beast::http::string_body>;

// Sends HTTPS requests to one site, one request per connection, because the
// vendor requests that clients to close the connection after each API call.
//
// A request runs these steps: resolve, connect (directly or through the HTTP
// CONNECT proxy of proxy_url), TLS handshake with SNI and certificate
// verification, write, read the response, TLS shutdown. Every step runs
// against one deadline, `timeout` after the request started, so a site that
// stops sending halfway through a body is cut off too. The response body is
// limited to max_response_bytes: reading stops there, so memory stays
// bounded.
//
// Errors, as PollError reasons:
//   connect  resolving, connecting, or the proxy failed;
//   tls      the handshake failed, with the OpenSSL reason in the message;
//   timeout  the deadline passed;
//   parse    the response was malformed, cut short, or over the limit.
// Any HTTP status is a successful request; the caller judges it.
//
// Not thread-safe: use one client on the thread that runs its executor.
class HttpsClient {
 public:
  // Builds the TLS context once: TLS 1.2 or later, the system trust store or
  // tls_config.ca_file, the client certificate if one is configured, and
  // verification unless insecure_skip_verify is set (which logs a warning).
  // Throws ConfigError when a file cannot be loaded or proxy_url is not an
  // http://host[:port] URL.
  HttpsClient(boost::asio::any_io_executor executor,
              const ApplianceConfig& config);
  ~HttpsClient();

  HttpsClient(const HttpsClient&) = delete;
  HttpsClient& operator=(const HttpsClient&) = delete;

  // Sends `request` and reads the response. Sets the Host, User-Agent and
  // Connection: close headers; the caller sets method, target, body and
  // any other header. At most one request may be in flight at a time.
  boost::asio::awaitable<PollResult<HttpResponse>> send(HttpRequest request);

  // Aborts the request in flight, if any: it completes with a `connect`
  // error whose message states that the request was cancelled.
  void cancel();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace beyondtrust_exporter
