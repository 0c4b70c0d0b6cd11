#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <memory>

#include "beyondtrust_exporter/config.hpp"
#include "beyondtrust_exporter/snapshot.hpp"

namespace beyondtrust_exporter {

// Polls get_logged_in_reps on one site and publishes an ApplianceSnapshot to
// the store after every poll.
//
// Each poll:
//   1. takes the cached OAuth token, or requests one when it is missing or
//      close to expiry;
//   2. sends GET /api/command?action=get_logged_in_reps over a new HTTPS
//      connection, and after a 401 requests one new token and retries once;
//   3. parses the XML response and publishes the snapshot. A failed poll
//      publishes up 0 and keeps the representatives of the last good poll.
//
// Polls never overlap. The next poll starts poll_interval after the start of
// the previous one, or at once when a poll ran longer than that. After a 429
// or 503 the next poll waits for Retry-After (at most 5 minutes), or backs
// off exponentially up to 10 poll intervals when the site sent none.
//
// Not thread-safe: construct, start, stop and destroy the poller on the
// thread that runs the executor's io_context.
class Poller {
 public:
  // Builds the TLS context from config.tls_config once for all polls.
  // Throws ConfigError when a CA, certificate or key file cannot be loaded,
  // or when proxy_url is not an http://host:port URL.
  Poller(boost::asio::any_io_executor executor, ApplianceConfig config,
         SnapshotStore& store);

  // Stops polling, as stop() does.
  ~Poller();

  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;

  // Publishes an initial snapshot (up 0, every counter 0), polls at once and
  // then every poll_interval. Calling start() twice has no effect.
  void start();

  // Cancels the timer and closes the connection of a poll in flight. No
  // snapshot is published after stop() returns, so the store may be
  // destroyed afterwards, and so may the poller.
  void stop();

  const ApplianceConfig& config() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace beyondtrust_exporter
