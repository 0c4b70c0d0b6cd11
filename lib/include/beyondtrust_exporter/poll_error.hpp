#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>

namespace beyondtrust_exporter {

// The cause of a failed poll. The names are the values of the `reason` label of
// beyondtrust_poll_errors_total, so renaming one breaks users' alerts.
enum class PollErrorReason {
  connect,       // DNS failure, refused or reset connection, proxy failure
  tls,           // handshake failed: unknown CA, wrong host name, expired
  timeout,       // a step or the whole poll ran past its deadline
  http_status,   // an HTTP status the exporter has no better reason for
  auth,          // 401 at the token endpoint, or a second 401 on the call
  rate_limited,  // 429 or 503
  parse,         // malformed, truncated or oversized response
  api_error,     // the site returned an <error> element
};

inline constexpr std::array<PollErrorReason, 8> all_poll_error_reasons{
    PollErrorReason::connect,   PollErrorReason::tls,
    PollErrorReason::timeout,   PollErrorReason::http_status,
    PollErrorReason::auth,      PollErrorReason::rate_limited,
    PollErrorReason::parse,     PollErrorReason::api_error,
};

// Returns the label value of `reason`.
std::string_view to_string(PollErrorReason reason) noexcept;

// Returns the reason whose label value is `name`, if there is one.
std::optional<PollErrorReason> poll_error_reason_from_string(
    std::string_view name) noexcept;

// Position of `reason` in all_poll_error_reasons, for per-reason counters.
constexpr std::size_t index_of(PollErrorReason reason) noexcept {
  return static_cast<std::size_t>(reason);
}

// A failed poll step: the reason label and a message for the log and the
// landing page. The message never contains a secret or a token.
struct PollError {
  PollErrorReason reason = PollErrorReason::connect;
  std::string message;

  friend bool operator==(const PollError&, const PollError&) = default;
};

// Lets boost::system::result<T, PollError>::value() throw on an error.
[[noreturn]] void throw_exception_from_error(const PollError& error,
                                             const boost::source_location& loc);

// The value of a step that can fail with a PollError.
template <class T>
using PollResult = boost::system::result<T, PollError>;

}  // namespace beyondtrust_exporter
