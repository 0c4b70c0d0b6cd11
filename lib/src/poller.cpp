#include "beyondtrust_exporter/poller.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>
#include <chrono>
#include <exception>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "beyondtrust_exporter/backoff.hpp"
#include "beyondtrust_exporter/https_client.hpp"
#include "beyondtrust_exporter/logged_in_reps_parser.hpp"
#include "beyondtrust_exporter/logging.hpp"
#include "beyondtrust_exporter/token_source.hpp"

namespace beyondtrust_exporter {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using std::chrono::steady_clock;
using std::chrono::system_clock;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// Longest wait that a Retry-After header can impose, so that a site that
// requests hours does not silence the exporter for hours.
constexpr std::chrono::minutes max_retry_after{5};

// Without Retry-After, backoff grows to this many poll intervals.
constexpr int max_backoff_intervals = 10;

constexpr std::string_view command_target =
    "/api/command?action=get_logged_in_reps";

// Result of one poll: the parsed reps or the error, and for a rate-limited
// poll the Retry-After value the site sent, if any.
struct PollOutcome {
  PollResult<LoggedInReps> result;
  std::optional<std::string> retry_after;
};

PollOutcome failed(PollError error,
                   std::optional<std::string> retry_after = std::nullopt) {
  return PollOutcome{std::move(error), std::move(retry_after)};
}

double seconds_between(steady_clock::time_point from,
                       steady_clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

}  // namespace

struct Poller::State {
  State(asio::any_io_executor executor_in, ApplianceConfig config_in,
        SnapshotStore& store_in)
      : executor(std::move(executor_in)),
        config(std::move(config_in)),
        store(&store_in),
        client(executor, config),
        tokens(
            [this](HttpRequest request) {
              return client.send(std::move(request));
            },
            config),
        timer(executor),
        backoff(config.poll_interval,
                config.poll_interval * max_backoff_intervals) {}

  asio::awaitable<PollResult<HttpResponse>> send_command(const Secret& token);
  asio::awaitable<PollOutcome> poll_once();
  steady_clock::time_point next_poll_time(const PollOutcome& outcome,
                                          steady_clock::time_point poll_start);
  void record(PollOutcome& outcome, double duration_seconds);
  void log_outcome(const PollOutcome& outcome);
  void publish(double duration_seconds);

  // Polls until stopped. The coroutine owns a reference to the state, so
  // it may outlive the Poller that started it.
  static asio::awaitable<void> run(std::shared_ptr<State> state);

  asio::any_io_executor executor;
  ApplianceConfig config;
  SnapshotStore* store;
  HttpsClient client;
  TokenSource tokens;
  asio::steady_timer timer;
  Backoff backoff;
  bool started = false;
  bool stopped = false;

  // Values published in every snapshot.
  bool up = false;
  std::optional<system_clock::time_point> last_poll_time;
  std::optional<system_clock::time_point> last_success_time;
  std::optional<PollError> last_error;
  std::uint64_t polls_total = 0;
  std::array<std::uint64_t, all_poll_error_reasons.size()> poll_errors_total{};
  std::shared_ptr<const LoggedInReps> reps;

  // Logging state, so that a repeated failure is counted, not logged.
  std::optional<PollErrorReason> failing_reason;
  std::uint64_t failed_polls = 0;
  std::vector<std::string> logged_warnings;
};

asio::awaitable<PollResult<HttpResponse>> Poller::State::send_command(
    const Secret& token) {
  HttpRequest request(http::verb::get, command_target, 11);
  request.set(http::field::authorization, "Bearer " + token.reveal());
  request.set(http::field::accept, "application/xml");
  co_return co_await client.send(std::move(request));
}

asio::awaitable<PollOutcome> Poller::State::poll_once() {
  PollResult<Secret> token = co_await tokens.token();
  if (!token) {
    co_return failed(token.error(), tokens.retry_after());
  }
  PollResult<HttpResponse> response = co_await send_command(*token);
  if (!response) {
    co_return failed(response.error());
  }

  // A 401 means the token expired early or was evicted, for example by a
  // 31st token of the same API account. One new token gets one retry.
  if (response->result_int() == 401) {
    logging::debug("the site rejected the OAuth token, requesting a new one",
                   {{"appliance", config.name}});
    tokens.invalidate();
    token = co_await tokens.token();
    if (!token) {
      co_return failed(token.error(), tokens.retry_after());
    }
    response = co_await send_command(*token);
    if (!response) {
      co_return failed(response.error());
    }
    if (response->result_int() == 401) {
      co_return failed(PollError{
          PollErrorReason::auth,
          "the site rejected a newly issued OAuth token on "
          "get_logged_in_reps (HTTP 401); check that the API account may "
          "use the command API"});
    }
  }

  unsigned status = response->result_int();
  if (status == 429 || status == 503) {
    std::optional<std::string> retry_after;
    if (auto header = response->find(http::field::retry_after);
        header != response->end()) {
      retry_after = std::string(header->value());
    }
    co_return failed(
        PollError{PollErrorReason::rate_limited,
                  "get_logged_in_reps returned HTTP " + std::to_string(status)},
        std::move(retry_after));
  }
  if (status != 200) {
    co_return failed(PollError{
        PollErrorReason::http_status,
        "get_logged_in_reps returned HTTP " + std::to_string(status)});
  }

  co_return PollOutcome{parse_logged_in_reps(response->body()), std::nullopt};
}

steady_clock::time_point Poller::State::next_poll_time(
    const PollOutcome& outcome, steady_clock::time_point poll_start) {
  auto now = steady_clock::now();
  if (outcome.result ||
      outcome.result.error().reason != PollErrorReason::rate_limited) {
    if (outcome.result) {
      backoff.reset();
    }
    // The normal schedule, or at once when the poll ran past the interval.
    return std::max(poll_start + config.poll_interval, now);
  }

  // Rate limited: wait as the site asked, but never less than one poll
  // interval and never more than max_retry_after.
  std::optional<std::chrono::seconds> requested;
  if (outcome.retry_after) {
    requested = parse_retry_after(*outcome.retry_after, system_clock::now());
  }
  steady_clock::duration delay;
  if (requested) {
    delay = std::clamp<steady_clock::duration>(*requested, config.poll_interval,
                                               max_retry_after);
  } else {
    delay = backoff.next_delay();
  }
  logging::debug(
      "delaying the next poll after rate limiting",
      {{"appliance", config.name},
       {"delay_seconds", std::chrono::duration<double>(delay).count()}});
  return now + delay;
}

void Poller::State::record(PollOutcome& outcome, double duration_seconds) {
  ++polls_total;
  last_poll_time = system_clock::now();
  // Logged first, because the reps and warnings move out of the outcome.
  log_outcome(outcome);
  if (outcome.result) {
    up = true;
    last_success_time = last_poll_time;
    last_error.reset();
    reps = std::make_shared<const LoggedInReps>(std::move(*outcome.result));
  } else {
    up = false;
    last_error = outcome.result.error();
    ++poll_errors_total[index_of(outcome.result.error().reason)];
  }
  publish(duration_seconds);
}

void Poller::State::log_outcome(const PollOutcome& outcome) {
  if (!outcome.result) {
    const PollError& error = outcome.result.error();
    ++failed_polls;
    // A failure repeating with the same reason is only counted.
    if (failing_reason != error.reason) {
      failing_reason = error.reason;
      LogLevel level = error.reason == PollErrorReason::rate_limited
                           ? LogLevel::warn
                           : LogLevel::error;
      logging::write(level, "poll failed",
                     {{"appliance", config.name},
                      {"reason", to_string(error.reason)},
                      {"error", error.message}});
    }
    return;
  }

  if (failed_polls > 0) {
    logging::info("poll succeeded again",
                  {{"appliance", config.name}, {"failed_polls", failed_polls}});
    failed_polls = 0;
    failing_reason.reset();
  }

  const std::vector<std::string>& warnings = outcome.result->warnings;
  if (!warnings.empty() && warnings != logged_warnings) {
    std::string joined;
    for (const std::string& warning : warnings) {
      joined += joined.empty() ? "" : "; ";
      joined += warning;
    }
    logging::warn("some representative fields could not be read",
                  {{"appliance", config.name},
                   {"warnings", warnings.size()},
                   {"details", joined}});
  }
  logged_warnings = warnings;
}

void Poller::State::publish(double duration_seconds) {
  auto snapshot = std::make_shared<ApplianceSnapshot>();
  snapshot->appliance = config.name;
  snapshot->url = config.url;
  snapshot->up = up;
  snapshot->last_poll_time = last_poll_time;
  snapshot->last_poll_duration_seconds = duration_seconds;
  snapshot->last_success_time = last_success_time;
  snapshot->last_error = last_error;
  snapshot->polls_total = polls_total;
  snapshot->poll_errors_total = poll_errors_total;
  snapshot->token_requests_total = tokens.token_requests_total();
  snapshot->reps = reps;
  snapshot->max_staleness = config.max_staleness;
  snapshot->rep_metrics = config.rep_metrics;
  snapshot->rep_name_labels = config.rep_name_labels;
  store->publish(std::move(snapshot));
}

Poller::Poller(asio::any_io_executor executor, ApplianceConfig config,
               SnapshotStore& store)
    : state_(std::make_shared<State>(std::move(executor), std::move(config),
                                     store)) {}

Poller::~Poller() { stop(); }

void Poller::start() {
  if (state_->started || state_->stopped) {
    return;
  }
  state_->started = true;
  state_->publish(0);
  logging::info(
      "polling appliance",
      {{"appliance", state_->config.name},
       {"url", state_->config.url},
       {"poll_interval_seconds",
        std::chrono::duration<double>(state_->config.poll_interval).count()}});

  std::string appliance = state_->config.name;
  asio::co_spawn(state_->executor, State::run(state_),
                 [appliance](std::exception_ptr error) {
                   if (!error) {
                     return;
                   }
                   // Only std::bad_alloc is expected here. Polling stops
                   // rather than take the process down.
                   try {
                     std::rethrow_exception(error);
                   } catch (const std::exception& e) {
                     logging::error(
                         "polling stopped after an exception",
                         {{"appliance", appliance}, {"error", e.what()}});
                   }
                 });
}

void Poller::stop() {
  if (state_->stopped) {
    return;
  }
  state_->stopped = true;
  state_->timer.cancel();
  state_->client.cancel();
  if (state_->started) {
    logging::info("stopped polling appliance",
                  {{"appliance", state_->config.name}});
  }
}

const ApplianceConfig& Poller::config() const { return state_->config; }

asio::awaitable<void> Poller::State::run(std::shared_ptr<State> state) {
  while (!state->stopped) {
    auto poll_start = steady_clock::now();
    PollOutcome outcome = co_await state->poll_once();
    if (state->stopped) {
      co_return;
    }
    state->record(outcome, seconds_between(poll_start, steady_clock::now()));

    state->timer.expires_at(state->next_poll_time(outcome, poll_start));
    co_await state->timer.async_wait(use_tuple);
  }
}

}  // namespace beyondtrust_exporter
