#include "beyondtrust_exporter/token_source.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <limits>
#include <utility>

#include "beyondtrust_exporter/logging.hpp"
#include "http_text.hpp"

namespace beyondtrust_exporter {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;

// Characters of the site's own message kept in a log line or error.
constexpr std::size_t max_site_message_chars = 200;

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

PollError parse_error(std::string message) {
  return PollError{PollErrorReason::parse, std::move(message)};
}

std::optional<std::int64_t> read_expires_in(const json::value& value) {
  if (value.is_int64()) {
    return value.get_int64();
  }
  if (value.is_uint64()) {
    return static_cast<std::int64_t>(std::min<std::uint64_t>(
        value.get_uint64(), std::numeric_limits<std::int32_t>::max()));
  }
  if (value.is_double()) {
    return static_cast<std::int64_t>(
        std::clamp(value.get_double(), -1.0,
                   double{std::numeric_limits<std::int32_t>::max()}));
  }
  if (value.is_string()) {
    std::string_view text = value.get_string();
    std::int64_t seconds = 0;
    auto [end, error] =
        std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (error == std::errc() && end == text.data() + text.size()) {
      return seconds;
    }
  }
  return std::nullopt;
}

// Returns the site's explanation from a JSON error body: `message`, as
// the vendor's token endpoint sends it, or the OAuth 2 fields
// `error_description` and `error`.
std::string site_message(std::string_view body, const Secret& secret) {
  boost::system::error_code ec;
  json::value parsed = json::parse(body, ec);
  if (ec || !parsed.is_object()) {
    return "";
  }
  for (std::string_view key : {"message", "error_description", "error"}) {
    const json::value* field = parsed.as_object().if_contains(key);
    if (field != nullptr && field->is_string()) {
      std::string text(field->get_string());
      if (text.size() > max_site_message_chars) {
        text.resize(max_site_message_chars);
        text += "...";
      }
      // The text is shown as the site sent it, except for the secret, in
      // case a site echoes what it received.
      const std::string& revealed = secret.reveal();
      for (std::size_t at = revealed.empty() ? std::string::npos
                                             : text.find(revealed);
           at != std::string::npos; at = text.find(revealed, at + 8)) {
        text.replace(at, revealed.size(), "<secret>");
      }
      return text;
    }
  }
  return "";
}

}  // namespace

PollResult<TokenResponse> parse_token_response(std::string_view body) {
  boost::system::error_code ec;
  json::value parsed = json::parse(body, ec);
  if (ec) {
    return parse_error("the token response is not valid JSON: " + ec.message());
  }
  if (!parsed.is_object()) {
    return parse_error("the token response is not a JSON object");
  }
  const json::object& object = parsed.as_object();

  const json::value* access_token = object.if_contains("access_token");
  if (access_token == nullptr || !access_token->is_string() ||
      access_token->get_string().empty()) {
    return parse_error("the token response has no access_token string");
  }

  const json::value* token_type = object.if_contains("token_type");
  if (token_type == nullptr || !token_type->is_string()) {
    return parse_error("the token response has no token_type string");
  }
  if (!equals_ignoring_case(token_type->get_string(), "Bearer")) {
    return parse_error("the token response has token_type \"" +
                       std::string(token_type->get_string()) +
                       "\", expected \"Bearer\"");
  }

  const json::value* expires_in = object.if_contains("expires_in");
  if (expires_in == nullptr) {
    return parse_error("the token response has no expires_in");
  }
  std::optional<std::int64_t> seconds = read_expires_in(*expires_in);
  if (!seconds || *seconds <= 0) {
    return parse_error("the token response has an invalid expires_in " +
                       json::serialize(*expires_in) +
                       ", expected a positive number of seconds");
  }

  return TokenResponse{Secret(std::string(access_token->get_string())),
                       std::chrono::seconds(*seconds)};
}

std::chrono::steady_clock::duration token_refresh_margin(
    std::chrono::seconds lifetime) {
  using std::chrono::steady_clock;
  steady_clock::duration margin =
      std::max<steady_clock::duration>(std::chrono::seconds(60), lifetime / 10);
  return std::min<steady_clock::duration>(
      margin, std::chrono::duration_cast<steady_clock::duration>(lifetime) / 2);
}

TokenSource::TokenSource(HttpSender sender, const ApplianceConfig& config,
                         Clock clock)
    : sender_(std::move(sender)),
      appliance_(config.name),
      authorization_("Basic " + http_text::base64_encode(config.client_id + ":" +
                                              config.client_secret.reveal())),
      client_secret_(config.client_secret),
      clock_(std::move(clock)) {}

bool TokenSource::needs_refresh() const {
  return !cached_ || clock_() >= cached_->refresh_at;
}

void TokenSource::invalidate() noexcept { cached_.reset(); }

boost::asio::awaitable<PollResult<Secret>> TokenSource::token() {
  if (!needs_refresh()) {
    co_return cached_->value;
  }
  cached_.reset();
  retry_after_.reset();

  // Request a token as the vendor documents it: the credentials in a Basic
  // Authorization header and the grant type as a form body.
  HttpRequest request(http::verb::post, "/oauth2/token", 11);
  request.set(http::field::authorization, authorization_.reveal());
  request.set(http::field::content_type, "application/x-www-form-urlencoded");
  request.set(http::field::accept, "application/json");
  request.body() = "grant_type=client_credentials";

  auto requested_at = clock_();
  ++token_requests_total_;
  PollResult<HttpResponse> response = co_await sender_(std::move(request));
  if (!response) {
    co_return response.error();
  }

  unsigned status = response->result_int();
  if (status == 401) {
    co_return rejected_credentials(*response);
  }
  if (status == 429 || status == 503) {
    auto header = response->find(http::field::retry_after);
    if (header != response->end()) {
      retry_after_ = std::string(header->value());
    }
    co_return PollError{
        PollErrorReason::rate_limited,
        "the token endpoint returned HTTP " + std::to_string(status)};
  }
  if (status != 200) {
    std::string message =
        "the token endpoint returned HTTP " + std::to_string(status);
    if (std::string detail = site_message(response->body(), client_secret_);
        !detail.empty()) {
      message += ": " + detail;
    }
    co_return PollError{PollErrorReason::http_status, std::move(message)};
  }

  PollResult<TokenResponse> parsed = parse_token_response(response->body());
  if (!parsed) {
    co_return parsed.error();
  }

  // Count the lifetime from when the request left, which is never later
  // than when the site started it.
  cached_ = CachedToken{
      parsed->access_token,
      requested_at +
          std::chrono::duration_cast<std::chrono::steady_clock::duration>(
              parsed->expires_in) -
          token_refresh_margin(parsed->expires_in)};
  logging::debug("requested a new OAuth token",
                 {{"appliance", appliance_},
                  {"expires_in_seconds", parsed->expires_in.count()}});
  co_return cached_->value;
}

PollError TokenSource::rejected_credentials(
    const HttpResponse& response) const {
  std::string message = "the site rejected the client credentials (HTTP 401)";
  std::string detail = site_message(response.body(), client_secret_);
  if (!detail.empty()) {
    message += ": " + detail;
  }
  return PollError{PollErrorReason::auth, std::move(message)};
}

}  // namespace beyondtrust_exporter
