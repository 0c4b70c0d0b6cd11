#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "beyondtrust_exporter/config.hpp"
#include "beyondtrust_exporter/https_client.hpp"
#include "beyondtrust_exporter/poll_error.hpp"
#include "beyondtrust_exporter/secret.hpp"

namespace beyondtrust_exporter {

// Sends one HTTP request to the site: HttpsClient::send, or a fake in tests.
using HttpSender =
    std::function<boost::asio::awaitable<PollResult<HttpResponse>>(
        HttpRequest)>;

// The fields of a successful /oauth2/token response.
struct TokenResponse {
  Secret access_token;
  std::chrono::seconds expires_in{0};
};

// Parses the JSON response of /oauth2/token: `access_token` (a non-empty
// string), `token_type` ("Bearer", in any case) and `expires_in` (positive
// seconds, as a number or a string of digits). A missing or invalid field
// is a `parse` error that names the field.
PollResult<TokenResponse> parse_token_response(std::string_view body);

// Time before expiry at which a token that lives `lifetime` is replaced:
// max(60 s, 10% of lifetime), but at most half the lifetime, so that a
// short-lived token is still reused for a while.
std::chrono::steady_clock::duration token_refresh_margin(
    std::chrono::seconds lifetime);

// OAuth 2 client credentials for one site: requests a token from
// POST /oauth2/token with the client id and secret in an HTTP Basic
// Authorization header, and reuses it across polls until it comes within
// token_refresh_margin() of expiry, so the site gets one token per
// appliance at a time.
//
// Errors of token(): `auth` when the site rejects the credentials (401),
// `rate_limited` for 429 and 503, `http_status` for any other status but
// 200, `parse` for an invalid answer, and the errors of the sender.
//
// Not thread-safe, and token() must not run twice at once; one poller
// uses one token source.
class TokenSource {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  // `sender` and `clock` must stay valid for the life of the source.
  TokenSource(HttpSender sender, const ApplianceConfig& config,
              Clock clock = &std::chrono::steady_clock::now);

  // Returns the cached token, or requests a new one when there is none or
  // it is close to expiry.
  boost::asio::awaitable<PollResult<Secret>> token();

  // Drops the cached token, after the site rejected it with a 401.
  void invalidate() noexcept;

  // True when token() would request a new token now.
  bool needs_refresh() const;

  // Token requests sent, successful or not.
  std::uint64_t token_requests_total() const noexcept {
    return token_requests_total_;
  }

  // The Retry-After header of the latest token response that was a 429 or
  // 503, if it had one. Empty after any other response.
  const std::optional<std::string>& retry_after() const noexcept {
    return retry_after_;
  }

 private:
  struct CachedToken {
    Secret value;
    std::chrono::steady_clock::time_point refresh_at;
  };

  PollError rejected_credentials(const HttpResponse& response) const;

  HttpSender sender_;
  std::string appliance_;
  Secret authorization_;  // "Basic " + base64(client_id:client_secret)
  Secret client_secret_;
  Clock clock_;
  std::optional<CachedToken> cached_;
  std::uint64_t token_requests_total_ = 0;
  std::optional<std::string> retry_after_;
};

}  // namespace beyondtrust_exporter
