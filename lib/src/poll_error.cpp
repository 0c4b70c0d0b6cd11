#include "beyondtrust_exporter/poll_error.hpp"

#include <boost/throw_exception.hpp>
#include <stdexcept>

namespace beyondtrust_exporter {

std::string_view to_string(PollErrorReason reason) noexcept {
  switch (reason) {
    case PollErrorReason::connect:
      return "connect";
    case PollErrorReason::tls:
      return "tls";
    case PollErrorReason::timeout:
      return "timeout";
    case PollErrorReason::http_status:
      return "http_status";
    case PollErrorReason::auth:
      return "auth";
    case PollErrorReason::rate_limited:
      return "rate_limited";
    case PollErrorReason::parse:
      return "parse";
    case PollErrorReason::api_error:
      return "api_error";
  }
  return "unknown";
}

std::optional<PollErrorReason> poll_error_reason_from_string(
    std::string_view name) noexcept {
  for (PollErrorReason reason : all_poll_error_reasons) {
    if (to_string(reason) == name) {
      return reason;
    }
  }
  return std::nullopt;
}

void throw_exception_from_error(const PollError& error,
                                const boost::source_location& loc) {
  boost::throw_exception(
      std::runtime_error(std::string(to_string(error.reason)) + ": " +
                         error.message),
      loc);
}

}  // namespace beyondtrust_exporter
