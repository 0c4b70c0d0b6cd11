#include "beyondtrust_exporter/application.hpp"

#include <algorithm>
#include <set>
#include <utility>

#include "beyondtrust_exporter/build_info.hpp"
#include "beyondtrust_exporter/landing_page.hpp"
#include "beyondtrust_exporter/logging.hpp"

namespace beyondtrust_exporter {
namespace {

double unix_seconds(std::chrono::system_clock::time_point time) {
  return std::chrono::duration<double>(time.time_since_epoch()).count();
}

}  // namespace

HttpServerSecurity make_server_security(const WebConfig& web_config) {
  HttpServerSecurity security;
  if (web_config.tls) {
    const WebTlsConfig& tls = *web_config.tls;
    security.tls.cert_file = tls.cert_file.string();
    security.tls.key_file = tls.key_file.string();
    security.tls.client_auth_type = to_string(tls.client_auth_type);
    security.tls.client_ca_file = tls.client_ca_file.string();
    security.tls.min_version = to_string(tls.min_version);
    security.tls.max_version = to_string(tls.max_version);
    security.tls.cipher_suites = tls.cipher_suites;
    security.tls.curve_preferences = tls.curve_preferences;
    security.tls.prefer_server_cipher_suites = tls.prefer_server_cipher_suites;
    security.tls.client_allowed_sans = tls.client_allowed_sans;
  }
  for (const auto& [name, value] : web_config.headers) {
    security.headers.emplace_back(name, value);
  }
  if (!web_config.basic_auth_users.empty()) {
    auto authenticator =
        std::make_shared<BasicAuthenticator>(web_config.basic_auth_users);
    security.check_basic_auth = [authenticator](std::string_view user,
                                                std::string_view password) {
      return authenticator->check(user, password);
    };
  }
  return security;
}

Application::Application(boost::asio::io_context& io, Settings settings,
                         Config config, WebConfig web_config,
                         EnvironmentLookup environment)
    : io_(io),
      settings_(std::move(settings)),
      config_(std::move(config)),
      environment_(std::move(environment)) {
  HttpServerOptions options;
  options.listen_addresses = settings_.listen_addresses;
  options.telemetry_path = settings_.telemetry_path;
  options.max_requests = settings_.max_requests;
  options.security = make_server_security(web_config);

  HttpHandlers handlers;
  handlers.render_metrics = [this] { return render_metrics(); };
  handlers.gzip_metrics = [this](std::string_view body) {
    return metrics_gzip_.compress(body);
  };
  handlers.render_landing_page = [this] { return render_landing_page(); };
  handlers.reload = [this] { return reload(); };
  server_ = std::make_unique<HttpServer>(io_.get_executor(), options,
                                         std::move(handlers));

  for (const ApplianceConfig& appliance : config_.appliances) {
    pollers_.emplace(
        appliance.name,
        std::make_unique<Poller>(io_.get_executor(), appliance, store_));
  }
}

Application::~Application() {
  for (auto& [name, poller] : pollers_) {
    poller->stop();
  }
}

void Application::start() {
  server_->listen();

  for (const ApplianceConfig& appliance : config_.appliances) {
    pollers_.at(appliance.name)->start();
  }
  status_.config_last_reload_successful = true;
  status_.config_last_reload_success_timestamp_seconds =
      unix_seconds(std::chrono::system_clock::now());
  started_ = true;
}

std::string Application::reload() {
  Config next;
  try {
    next = load_config(settings_, environment_);
  } catch (const ConfigError& error) {
    status_.config_last_reload_successful = false;
    logging::error("reload rejected; the previous config keeps running",
                   {{"error", error.what()}});
    return error.what();
  }

  // Build every new or changed poller before touching the running ones, so
  // a site whose TLS files fail to load rejects the reload as a whole.
  std::map<std::string, std::unique_ptr<Poller>> replacements;
  try {
    for (const ApplianceConfig& appliance : next.appliances) {
      auto running = pollers_.find(appliance.name);
      if (running != pollers_.end() && running->second->config() == appliance) {
        continue;
      }
      replacements.emplace(
          appliance.name,
          std::make_unique<Poller>(io_.get_executor(), appliance, store_));
    }
  } catch (const std::exception& error) {
    status_.config_last_reload_successful = false;
    logging::error("reload rejected; the previous config keeps running",
                   {{"error", error.what()}});
    return error.what();
  }

  std::set<std::string> configured;
  for (const ApplianceConfig& appliance : next.appliances) {
    configured.insert(appliance.name);
  }
  int removed = 0;
  for (auto it = pollers_.begin(); it != pollers_.end();) {
    if (configured.contains(it->first)) {
      ++it;
      continue;
    }
    it->second->stop();
    store_.remove(it->first);
    logging::info("appliance removed", {{"appliance", it->first}});
    it = pollers_.erase(it);
    ++removed;
  }

  int started = 0;
  for (auto& [name, poller] : replacements) {
    auto running = pollers_.find(name);
    if (running != pollers_.end()) {
      // The old poller's snapshot and token go with it: a changed URL,
      // credential or TLS setting may belong to another site.
      running->second->stop();
      store_.remove(name);
      logging::info("appliance changed; restarting its poller",
                    {{"appliance", name}});
      running->second = std::move(poller);
    } else {
      logging::info("appliance added", {{"appliance", name}});
      running = pollers_.emplace(name, std::move(poller)).first;
    }
    if (started_) {
      running->second->start();
    }
    ++started;
  }

  std::vector<std::string> order;
  for (const ApplianceConfig& appliance : next.appliances) {
    order.push_back(appliance.name);
  }
  store_.reorder(order);

  config_ = std::move(next);
  status_.config_last_reload_successful = true;
  status_.config_last_reload_success_timestamp_seconds =
      unix_seconds(std::chrono::system_clock::now());
  logging::info("config reloaded", {{"appliances", config_.appliances.size()},
                                    {"started", started},
                                    {"removed", removed}});
  return "";
}

void Application::stop(std::function<void()> done) {
  for (auto& [name, poller] : pollers_) {
    poller->stop();
  }
  server_->stop(std::move(done));
}

std::vector<boost::asio::ip::tcp::endpoint> Application::local_endpoints()
    const {
  return server_->local_endpoints();
}

std::string Application::render_metrics() {
  return renderer_.render(store_, status_, std::chrono::system_clock::now());
}

std::string Application::render_landing_page() const {
  return beyondtrust_exporter::render_landing_page(
      store_, build_info().version, settings_.telemetry_path,
      std::chrono::system_clock::now());
}

}  // namespace beyondtrust_exporter
