// beyondtrust_exporter: polls get_logged_in_reps on BeyondTrust Remote
// Support and Privileged Remote Access sites and serves the result as
// Prometheus metrics.
//
// main() reads the flags and the config, then runs one event loop that
// carries the pollers, the HTTP server and the signal handlers:
//   SIGHUP           reread the config (as POST /-/reload does)
//   SIGTERM, SIGINT  stop accepting, finish requests in flight, exit 0
// Exit codes: 0 after a clean stop, 1 when the server cannot start, 2 for
// an invalid flag or config value.

#include <sys/resource.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <csignal>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <optional>
#include <system_error>

#include "beyondtrust_exporter/application.hpp"
#include "beyondtrust_exporter/build_info.hpp"
#include "beyondtrust_exporter/config_loader.hpp"
#include "beyondtrust_exporter/flags.hpp"
#include "beyondtrust_exporter/logging.hpp"
#include "beyondtrust_exporter/web_config.hpp"

namespace {

namespace asio = boost::asio;
namespace bte = beyondtrust_exporter;

// How long a stop may take before the loop is ended regardless.
constexpr std::chrono::seconds kStopDeadline{10};

// Waits for signals until a stop signal arrives.
void wait_for_signals(asio::signal_set& signals, bte::Application& app,
                      asio::steady_timer& deadline, asio::io_context& io) {
  signals.async_wait([&](const boost::system::error_code& error, int number) {
    if (error) {
      return;
    }
    if (number == SIGHUP) {
      bte::logging::info("reload requested", {{"signal", "SIGHUP"}});
      app.reload();
      wait_for_signals(signals, app, deadline, io);
      return;
    }
    bte::logging::info("stopping",
                       {{"signal", number == SIGINT ? "SIGINT" : "SIGTERM"}});
    deadline.expires_after(kStopDeadline);
    deadline.async_wait([&io](const boost::system::error_code& timer_error) {
      if (!timer_error) {
        bte::logging::warn("stop took too long; closing what is left",
                           {{"deadline_seconds", kStopDeadline.count()}});
        io.stop();
      }
    });
    app.stop([&] {
      signals.cancel();
      deadline.cancel();
    });
  });
}

// Raises the soft limit on open files to the hard limit, as Go programs
// do at start, so that many scrapers and keep-alive connections do not run
// the exporter out of descriptors under a default soft limit of 1024.
void raise_open_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 ||
      limit.rlim_cur >= limit.rlim_max) {
    return;
  }
  const rlim_t previous = limit.rlim_cur;
  limit.rlim_cur = limit.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &limit) == 0) {
    bte::logging::debug("raised the open file limit",
                        {{"from", previous}, {"to", limit.rlim_cur}});
  }
}

}  // namespace

int main(int argc, char** argv) {
  bte::Settings settings;
  try {
    bte::FlagsResult flags = bte::parse_flags(argc, argv, std::cout);
    if (flags.exit_code) {
      return *flags.exit_code;
    }
    settings = std::move(flags.settings);
  } catch (const bte::ConfigError& error) {
    std::cerr << "beyondtrust_exporter: " << error.what() << "\n";
    return 2;
  }

  if (settings.config_check) {
    return bte::run_config_check(settings, std::cout, std::cerr);
  }

  bte::logging::configure(settings.log_level, settings.log_format);

  bte::Config config;
  bte::WebConfig web_config;
  try {
    config = bte::load_config(settings);
    if (!settings.web_config_file.empty()) {
      web_config = bte::load_web_config(settings.web_config_file);
    }
  } catch (const bte::ConfigError& error) {
    bte::logging::error("invalid configuration", {{"error", error.what()}});
    std::cerr << "beyondtrust_exporter: " << error.what() << "\n";
    return 2;
  }

  raise_open_file_limit();
  const bte::BuildInfo& build = bte::build_info();
  bte::logging::info("starting beyondtrust_exporter",
                     {{"version", build.version},
                      {"revision", build.revision},
                      {"appliances", config.appliances.size()},
                      {"config_file", settings.config_file}});

  asio::io_context io(1);
  std::optional<bte::Application> app;
  try {
    app.emplace(io, settings, std::move(config), std::move(web_config));
    app->start();
  } catch (const bte::ConfigError& error) {
    bte::logging::error("invalid configuration", {{"error", error.what()}});
    return 2;
  } catch (const std::exception& error) {
    bte::logging::error("cannot start", {{"error", error.what()}});
    return 1;
  }

  asio::signal_set signals(io, SIGINT, SIGTERM, SIGHUP);
  asio::steady_timer deadline(io);
  wait_for_signals(signals, *app, deadline, io);

  io.run();
  app.reset();
  bte::logging::info("stopped");
  return 0;
}
