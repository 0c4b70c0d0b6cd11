// beyondtrust_simulator: a BeyondTrust Remote Support / PRA site on loopback
// for tests and demos. See README.md beside this file.

#include <signal.h>

#include <CLI/CLI.hpp>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "beyondtrust_exporter/logging.hpp"
#include "beyondtrust_simulator/simulator.hpp"
#include "internal.hpp"

namespace logging = beyondtrust_exporter::logging;
namespace sim = beyondtrust_simulator;

namespace {

// Splits "HOST:PORT" or "[V6]:PORT". Throws CLI::ValidationError.
void parse_listen(const std::string& text, sim::Options& options) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon + 1 == text.size()) {
    throw CLI::ValidationError("--listen",
                               "expected HOST:PORT, got \"" + text + "\"");
  }
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const std::string port = text.substr(colon + 1);
  std::uint16_t value = 0;
  const auto [end, error] =
      std::from_chars(port.data(), port.data() + port.size(), value);
  if (error != std::errc{} || end != port.data() + port.size()) {
    throw CLI::ValidationError("--listen",
                               "invalid port \"" + port + "\" in " + text);
  }
  options.listen_address = host.empty() ? "127.0.0.1" : host;
  options.port = value;
}

// Reads a secret file; a trailing newline is not part of the secret.
std::string read_secret_file(const std::string& path) {
  std::ifstream file(path);
  if (!file) {
    throw CLI::ValidationError(
        "--client-secret-file",
        "failed to read " + path + "; check that it exists and is readable");
  }
  std::ostringstream content;
  content << file.rdbuf();
  std::string secret = content.str();
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) {
    secret.pop_back();
  }
  return secret;
}

// Returns the JSON of a --variant or --fault value, which is given as JSON
// or as key=value,key=value.
std::string settings_json(const std::string& flag, const std::string& text) {
  if (!text.empty() && text.front() == '{') return text;
  std::string json;
  if (auto error = sim::detail::key_values_to_json(text, json)) {
    throw CLI::ValidationError(flag, *error);
  }
  return json;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "A BeyondTrust Remote Support / PRA site on loopback: OAuth 2 tokens, "
      "the get_logged_in_reps command, /check_health, response variants and "
      "faults, controlled over /_sim/ on the same port."};

  sim::Options options;
  std::string listen = "127.0.0.1:8443";
  std::string secret_file;
  std::string variant_text;
  std::string fault_text;
  std::int64_t token_lifetime = options.token_lifetime.count();
  std::int64_t demo_interval_ms = options.demo_interval.count();
  bool verbose = false;

  app.add_option("--listen", listen,
                 "Address and port to serve HTTPS on, HOST:PORT or "
                 "[V6]:PORT; port 0 picks a free port")
      ->capture_default_str();
  app.add_option("--cert-dir", options.cert_dir,
                 "Folder written by make-test-certs.sh; when absent the "
                 "simulator generates one in the temporary folder");
  app.add_option("--cert-file", options.cert_file,
                 "Server certificate chain (PEM); overrides --cert-dir's");
  app.add_option("--key-file", options.key_file,
                 "Server private key (PEM); overrides --cert-dir's");
  app.add_option("--client-ca-file", options.client_ca_file,
                 "Require client certificates signed by this CA (PEM)");
  app.add_option("--client-id", options.client_id, "OAuth client ID accepted")
      ->capture_default_str();
  app.add_option("--client-secret-file", secret_file,
                 "File holding the OAuth client secret accepted; default "
                 "\"simulator-secret\"");
  app.add_option("--token-lifetime", token_lifetime,
                 "Token lifetime in seconds, sent as expires_in")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--reps", options.reps,
                 "Number of logged-in representatives generated at start")
      ->capture_default_str();
  app.add_option("--seed", options.seed,
                 "Seed of the generated population; equal seeds give equal "
                 "populations")
      ->capture_default_str();
  app.add_flag("--demo", options.demo,
               "Let representatives log in and out and take sessions over "
               "time");
  app.add_option("--demo-interval-ms", demo_interval_ms,
                 "Milliseconds between demo population changes")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--variant", variant_text,
                 "Initial response form, as the JSON of POST /_sim/variant or "
                 "key=value,... (e.g. namespace=none,login_time=iso_utc)");
  app.add_option("--fault", fault_text,
                 "Initial fault, as the JSON of POST /_sim/fault or "
                 "key=value,... (e.g. kind=status_429,retry_after=2)");
  app.add_flag("--verbose", verbose, "Log at debug level");

  try {
    app.parse(argc, argv);
    parse_listen(listen, options);
    if (!secret_file.empty()) {
      options.client_secret = read_secret_file(secret_file);
    }
    options.token_lifetime = std::chrono::seconds(token_lifetime);
    options.demo_interval = std::chrono::milliseconds(demo_interval_ms);
    if (!variant_text.empty()) {
      const std::string json = settings_json("--variant", variant_text);
      if (auto error = sim::detail::apply_variant_json(json, options.variant)) {
        throw CLI::ValidationError("--variant", *error);
      }
    }
    if (!fault_text.empty()) {
      const std::string json = settings_json("--fault", fault_text);
      if (auto error = sim::detail::apply_fault_json(json, options.fault)) {
        throw CLI::ValidationError("--fault", *error);
      }
    }
  } catch (const CLI::ParseError& error) {
    return app.exit(error);
  }

  logging::configure(verbose ? beyondtrust_exporter::LogLevel::debug
                             : beyondtrust_exporter::LogLevel::info,
                     beyondtrust_exporter::LogFormat::logfmt);

  // Block SIGTERM and SIGINT before the server thread starts, so only
  // sigwait() below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  sim::Simulator simulator(options);
  try {
    simulator.start();
  } catch (const std::exception& error) {
    logging::error("simulator failed to start", {{"error", error.what()}});
    return 1;
  }
  std::cout << "beyondtrust_simulator serving " << simulator.url() << "\n"
            << "CA certificate: " << simulator.ca_file() << "\n"
            << std::flush;

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  logging::info("simulator stopping", {{"signal", signal_number}});
  simulator.stop();
  return 0;
}
