#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "beyondtrust_exporter/config.hpp"
#include "beyondtrust_exporter/config_loader.hpp"
#include "beyondtrust_exporter/gzip.hpp"
#include "beyondtrust_exporter/http_server.hpp"
#include "beyondtrust_exporter/metrics_renderer.hpp"
#include "beyondtrust_exporter/poller.hpp"
#include "beyondtrust_exporter/snapshot.hpp"
#include "beyondtrust_exporter/web_config.hpp"

namespace beyondtrust_exporter {

// The running exporter: one poller per configured site, the snapshot store
// they publish to, and the HTTP server that renders /metrics from it.
//
// Data flow: Poller --(snapshot per poll)--> SnapshotStore --(per scrape)-->
// MetricsRenderer --> HttpServer. A scrape never calls a site.
//
// Not thread-safe: every member runs on the thread of the io_context.
class Application {
 public:
  // Builds the server and a poller per site; nothing listens or polls
  // before start(). `environment` supplies the variables a reload reads.
  // Throws ConfigError when a site's TLS files cannot be loaded, and
  // std::runtime_error for invalid web TLS settings.
  Application(boost::asio::io_context& io, Settings settings, Config config,
              WebConfig web_config,
              EnvironmentLookup environment = process_environment);
  ~Application();

  Application(const Application&) = delete;
  Application& operator=(const Application&) = delete;

  // Binds the listen addresses (throws std::system_error naming the
  // address) and starts polling.
  void start();

  // Rereads the config file and applies it whole: sites that were added,
  // removed or changed start, stop or restart their pollers, and unchanged
  // ones keep their tokens and snapshots. Returns "" on success, or the
  // reason the new config was rejected, in which case the old one keeps
  // running.
  std::string reload();

  // Stops accepting, lets requests in flight finish, stops every poller
  // and calls `done` once all of that is over.
  void stop(std::function<void()> done);

  std::vector<boost::asio::ip::tcp::endpoint> local_endpoints() const;

  const Config& config() const noexcept { return config_; }

 private:
  std::string render_metrics();
  std::string render_landing_page() const;

  boost::asio::io_context& io_;
  Settings settings_;
  Config config_;
  EnvironmentLookup environment_;
  SnapshotStore store_;
  MetricsRenderer renderer_;
  GzipPrefixCompressor metrics_gzip_;
  ExporterStatus status_;
  std::map<std::string, std::unique_ptr<Poller>> pollers_;
  std::unique_ptr<HttpServer> server_;
  bool started_ = false;
};

// Maps the web configuration file onto the server's security settings.
HttpServerSecurity make_server_security(const WebConfig& web_config);

}  // namespace beyondtrust_exporter
