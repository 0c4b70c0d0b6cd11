#include "beyondtrust_exporter/poller.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "beyondtrust_exporter/logging.hpp"
#include "beyondtrust_simulator/simulator.hpp"

namespace beyondtrust_exporter {
namespace {

namespace asio = boost::asio;
namespace sim = beyondtrust_simulator;
using std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr std::string_view appliance = "sim";

std::uint64_t errors_of(const ApplianceSnapshot& snapshot,
                        PollErrorReason reason) {
  return snapshot.poll_errors_total[index_of(reason)];
}

// Resident memory of this process in KiB, from /proc/self/status.
long resident_kib() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "VmRSS:") {
      long kib = 0;
      status >> kib;
      return kib;
    }
    status.ignore(4096, '\n');
  }
  return -1;
}

std::size_t count_of(const std::string& text, std::string_view part) {
  std::size_t count = 0;
  for (std::size_t at = text.find(part); at != std::string::npos;
       at = text.find(part, at + part.size())) {
    ++count;
  }
  return count;
}

// Sends log lines to a string for the life of the object.
class CapturedLog {
 public:
  CapturedLog() {
    logging::configure(LogLevel::debug, LogFormat::logfmt,
                       std::make_shared<spdlog::sinks::ostream_sink_mt>(out_));
  }
  ~CapturedLog() { logging::configure(LogLevel::info, LogFormat::logfmt); }

  std::string text() const { return out_.str(); }

 private:
  std::ostringstream out_;
};

// An HTTP CONNECT proxy on loopback that serves connections one at a time.
// It responds to CONNECT with `status`, tunnels to the requested port on
// 127.0.0.1 when that is 200, and records the request headers it read.
class ConnectProxy {
 public:
  ConnectProxy(asio::io_context& io, unsigned status)
      : acceptor_(io, asio::ip::tcp::endpoint(
                          asio::ip::make_address("127.0.0.1"), 0)),
        status_(status) {
    asio::co_spawn(io, serve(), asio::detached);
  }

  std::string url() const {
    return "http://127.0.0.1:" +
           std::to_string(acceptor_.local_endpoint().port());
  }

  const std::vector<std::string>& requests() const { return requests_; }

 private:
  static constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

  asio::awaitable<void> serve() {
    for (int connection = 0; connection < 100; ++connection) {
      auto [ec, client] = co_await acceptor_.async_accept(use_tuple);
      if (ec) {
        co_return;
      }
      co_await tunnel(std::move(client));
    }
  }

  asio::awaitable<void> tunnel(asio::ip::tcp::socket client) {
    std::string header;
    auto [read_ec, read] = co_await asio::async_read_until(
        client, asio::dynamic_buffer(header), "\r\n\r\n", use_tuple);
    if (read_ec) {
      co_return;
    }
    requests_.push_back(header.substr(0, read));

    if (status_ != 200) {
      std::string rejection = "HTTP/1.1 " + std::to_string(status_) +
                              " Proxy Authentication Required\r\n"
                              "Content-Length: 0\r\n\r\n";
      co_await asio::async_write(client, asio::buffer(rejection), use_tuple);
      co_return;
    }

    // "CONNECT 127.0.0.1:PORT HTTP/1.1"
    std::size_t colon = header.find(':');
    std::size_t space = header.find(' ', colon);
    std::uint16_t port = static_cast<std::uint16_t>(
        std::stoi(header.substr(colon + 1, space - colon - 1)));
    asio::ip::tcp::socket upstream(acceptor_.get_executor());
    auto [connect_ec] = co_await upstream.async_connect(
        {asio::ip::make_address("127.0.0.1"), port}, use_tuple);
    if (connect_ec) {
      co_return;
    }
    std::string established = "HTTP/1.1 200 Connection established\r\n\r\n";
    co_await asio::async_write(client, asio::buffer(established), use_tuple);

    auto executor = acceptor_.get_executor();
    auto [order, first_ec, second_ec] =
        co_await asio::experimental::make_parallel_group(
            asio::co_spawn(executor, relay(client, upstream), asio::deferred),
            asio::co_spawn(executor, relay(upstream, client), asio::deferred))
            .async_wait(asio::experimental::wait_for_one(),
                        asio::use_awaitable);
  }

  // Copies bytes from `from` to `to` until either side closes.
  static asio::awaitable<void> relay(asio::ip::tcp::socket& from,
                                     asio::ip::tcp::socket& to) {
    std::array<char, 16384> buffer;
    for (;;) {
      auto [read_ec, read] =
          co_await from.async_read_some(asio::buffer(buffer), use_tuple);
      if (read_ec) {
        break;
      }
      auto [write_ec, written] =
          co_await asio::async_write(to, asio::buffer(buffer, read), use_tuple);
      if (write_ec) {
        break;
      }
    }
    boost::system::error_code ignored;
    to.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  }

  asio::ip::tcp::acceptor acceptor_;
  unsigned status_;
  std::vector<std::string> requests_;
};

// A simulated site with certificates made at test time, and a poller for
// it on an io_context that the test runs step by step.
class PollerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const sim::TestCertificates& certificates = sim::shared_test_certificates();
    options_.cert_dir = certificates.dir.string();
    ca_file_ = certificates.ca_file;
  }

  void start_simulator() {
    simulator_ = std::make_unique<sim::Simulator>(options_);
    simulator_->start();
  }

  ApplianceConfig make_config() const {
    ApplianceConfig config;
    config.name = std::string(appliance);
    config.url = simulator_->url();
    config.host = "127.0.0.1";
    config.port = simulator_->port();
    config.client_id = options_.client_id;
    config.client_secret = Secret(options_.client_secret);
    config.poll_interval = 100ms;
    config.timeout = 2s;
    config.tls_config.ca_file = ca_file_;
    return config;
  }

  void start_poller(const ApplianceConfig& config) {
    poller_ = std::make_unique<Poller>(io_.get_executor(), config, store_);
    poller_->start();
  }

  std::shared_ptr<const ApplianceSnapshot> snapshot() const {
    return store_.find(std::string(appliance));
  }

  std::uint64_t polls() const {
    auto current = snapshot();
    return current ? current->polls_total : 0;
  }

  // Runs the event loop until `done` returns true or `limit` passes.
  // Returns the last result of `done`.
  bool run_until(const std::function<bool()>& done,
                 steady_clock::duration limit = 10s) {
    auto deadline = steady_clock::now() + limit;
    while (!done()) {
      if (steady_clock::now() >= deadline) {
        return false;
      }
      io_.run_one_for(10ms);
    }
    return true;
  }

  bool run_polls(std::uint64_t count, steady_clock::duration limit = 10s) {
    return run_until([&] { return polls() >= count; }, limit);
  }

  void TearDown() override {
    if (poller_) {
      poller_->stop();
    }
    poller_.reset();
    // Lets the stopped poll finish unwinding, bounded in time.
    io_.run_for(500ms);
  }

  sim::Options options_;
  std::string ca_file_;
  std::unique_ptr<sim::Simulator> simulator_;
  asio::io_context io_;
  SnapshotStore store_;
  // Destroyed after TearDown() ran the loop, before io_ drops its work.
  std::unique_ptr<ConnectProxy> proxy_;
  std::unique_ptr<Poller> poller_;
};

TEST_F(PollerTest, StartPublishesInitialSnapshot) {
  start_simulator();
  start_poller(make_config());

  auto initial = snapshot();
  ASSERT_NE(initial, nullptr);
  EXPECT_FALSE(initial->up);
  EXPECT_EQ(initial->polls_total, 0u);
  EXPECT_EQ(initial->token_requests_total, 0u);
  EXPECT_EQ(initial->reps, nullptr);
  EXPECT_EQ(initial->last_poll_time, std::nullopt);
}

TEST_F(PollerTest, PollSucceeds) {
  start_simulator();
  start_poller(make_config());
  ASSERT_TRUE(run_polls(1));

  auto current = snapshot();
  EXPECT_TRUE(current->up);
  ASSERT_NE(current->reps, nullptr);
  EXPECT_EQ(current->reps->reps.size(), 10u);
  EXPECT_EQ(current->last_error, std::nullopt);
  EXPECT_TRUE(current->last_success_time.has_value());
  EXPECT_GT(current->last_poll_duration_seconds, 0.0);
  EXPECT_EQ(current->url, simulator_->url());
  for (PollErrorReason reason : all_poll_error_reasons) {
    EXPECT_EQ(errors_of(*current, reason), 0u) << to_string(reason);
  }
}

TEST_F(PollerTest, OneTokenForManyPolls) {
  start_simulator();
  start_poller(make_config());
  ASSERT_TRUE(run_polls(6));

  sim::Stats stats = simulator_->stats();
  EXPECT_EQ(stats.token_requests, 1u);
  EXPECT_EQ(snapshot()->token_requests_total, 1u);
  EXPECT_GE(stats.command_requests, 6u);
  EXPECT_TRUE(snapshot()->up);
}

TEST_F(PollerTest, PollsFollowInterval) {
  start_simulator();
  start_poller(make_config());
  ASSERT_TRUE(run_polls(1));
  auto first = steady_clock::now();
  ASSERT_TRUE(run_polls(6));
  auto elapsed = steady_clock::now() - first;

  // Five more polls at 100 ms take about 500 ms.
  EXPECT_GE(elapsed, 400ms);
  EXPECT_LE(elapsed, 2s);
}

TEST_F(PollerTest, RefreshesTokenNearExpiry) {
  // A 2 s token is replaced 1 s before expiry, so it serves about ten
  // polls at 100 ms.
  options_.token_lifetime = 2s;
  start_simulator();
  start_poller(make_config());
  ASSERT_TRUE(run_polls(30, 20s));

  sim::Stats stats = simulator_->stats();
  EXPECT_GE(stats.token_requests, 2u);
  EXPECT_LE(stats.token_requests, 6u);
  EXPECT_EQ(stats.unauthorized_commands, 0u);
  EXPECT_EQ(snapshot()->token_requests_total, stats.token_requests);
}

TEST_F(PollerTest, RetriesOnceAfterUnauthorized) {
  start_simulator();
  start_poller(make_config());
  ASSERT_TRUE(run_polls(1));
  simulator_->revoke_all_tokens();
  simulator_->reset_stats();
  ASSERT_TRUE(run_polls(2));

  sim::Stats stats = simulator_->stats();
  EXPECT_EQ(stats.token_requests, 1u);
  EXPECT_EQ(stats.unauthorized_commands, 1u);
  EXPECT_EQ(stats.command_requests, 2u);
  EXPECT_TRUE(snapshot()->up);
  EXPECT_EQ(snapshot()->token_requests_total, 2u);
}

TEST_F(PollerTest, RejectedCredentialsAreAuth) {
  start_simulator();
  ApplianceConfig config = make_config();
  config.client_secret = Secret("wrong-secret");
  start_poller(config);
  ASSERT_TRUE(run_polls(3));

  auto current = snapshot();
  sim::Stats stats = simulator_->stats();
  EXPECT_FALSE(current->up);
  EXPECT_EQ(errors_of(*current, PollErrorReason::auth), current->polls_total);
  EXPECT_LE(stats.token_requests, current->polls_total);
  EXPECT_EQ(stats.command_requests, 0u);
  ASSERT_TRUE(current->last_error.has_value());
  EXPECT_EQ(current->last_error->message,
            "the site rejected the client credentials (HTTP 401): Invalid "
            "client credentials");
}

TEST_F(PollerTest, SecondUnauthorizedIsAuth) {
  start_simulator();
  start_poller(make_config());
  ASSERT_TRUE(run_polls(1));
  // Every command call revokes all tokens first, so the retry fails too.
  simulator_->set_fault(sim::Fault{.kind = sim::FaultKind::revoke_tokens});
  simulator_->reset_stats();
  ASSERT_TRUE(run_polls(2));

  auto current = snapshot();
  sim::Stats stats = simulator_->stats();
  EXPECT_EQ(errors_of(*current, PollErrorReason::auth), 1u);
  EXPECT_EQ(stats.token_requests, 1u);
  EXPECT_EQ(stats.command_requests, 2u);
}

TEST_F(PollerTest, RetryAfterDelaysNextPoll) {
  start_simulator();
  start_poller(make_config());
  ASSERT_TRUE(run_polls(1));
  simulator_->set_fault(sim::Fault{
      .kind = sim::FaultKind::status_429, .retry_after = "1", .count = 1});
  ASSERT_TRUE(run_until([&] {
    return errors_of(*snapshot(), PollErrorReason::rate_limited) == 1;
  }));
  auto limited_at = steady_clock::now();
  std::uint64_t limited_poll = polls();
  ASSERT_TRUE(run_polls(limited_poll + 1));
  auto waited = steady_clock::now() - limited_at;

  EXPECT_GE(waited, 900ms);
  EXPECT_LE(waited, 3s);
  EXPECT_TRUE(snapshot()->up);
}

TEST_F(PollerTest, UnavailableIsRateLimited) {
  start_simulator();
  start_poller(make_config());
  simulator_->set_fault(sim::Fault{.kind = sim::FaultKind::status_503});
  ASSERT_TRUE(run_polls(1));

  auto current = snapshot();
  EXPECT_FALSE(current->up);
  EXPECT_EQ(errors_of(*current, PollErrorReason::rate_limited), 1u);
}

TEST_F(PollerTest, BacksOffWithoutRetryAfter) {
  start_simulator();
  start_poller(make_config());
  simulator_->set_fault(sim::Fault{.kind = sim::FaultKind::status_429});
  ASSERT_TRUE(run_polls(1));
  auto first = steady_clock::now();
  ASSERT_TRUE(run_polls(3));
  auto elapsed = steady_clock::now() - first;

  // Delays of at least 160 ms and 320 ms instead of two 100 ms intervals.
  EXPECT_GE(elapsed, 450ms);
  EXPECT_LE(elapsed, 2s);
}

TEST_F(PollerTest, ServerErrorIsHttpStatus) {
  start_simulator();
  start_poller(make_config());
  simulator_->set_fault(sim::Fault{.kind = sim::FaultKind::status_500});
  ASSERT_TRUE(run_polls(1));

  auto current = snapshot();
  EXPECT_EQ(errors_of(*current, PollErrorReason::http_status), 1u);
  ASSERT_TRUE(current->last_error.has_value());
  EXPECT_EQ(current->last_error->message,
            "get_logged_in_reps returned HTTP 500");
}

TEST_F(PollerTest, ConnectionRefusedIsConnect) {
  start_simulator();
  ApplianceConfig config = make_config();
  {
    // A port that was free a moment ago, so nothing listens there.
    asio::io_context scratch;
    asio::ip::tcp::acceptor acceptor(
        scratch,
        asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    config.port = acceptor.local_endpoint().port();
  }
  start_poller(config);
  ASSERT_TRUE(run_polls(1));

  auto current = snapshot();
  EXPECT_FALSE(current->up);
  EXPECT_EQ(errors_of(*current, PollErrorReason::connect), 1u);
}

TEST_F(PollerTest, UnknownCaIsTls) {
  start_simulator();
  simulator_->set_certificate(sim::CertificateProfile::unknown_ca);
  start_poller(make_config());
  ASSERT_TRUE(run_polls(1));

  auto current = snapshot();
  EXPECT_EQ(errors_of(*current, PollErrorReason::tls), 1u);
  ASSERT_TRUE(current->last_error.has_value());
  EXPECT_NE(current->last_error->message.find(
                "certificate verify failed: unable to get local issuer "
                "certificate"),
            std::string::npos)
      << current->last_error->message;
}

TEST_F(PollerTest, WrongHostIsTls) {
  start_simulator();
  simulator_->set_certificate(sim::CertificateProfile::wrong_host);
  start_poller(make_config());
  ASSERT_TRUE(run_polls(1));

  auto current = snapshot();
  EXPECT_EQ(errors_of(*current, PollErrorReason::tls), 1u);
  ASSERT_TRUE(current->last_error.has_value());
  EXPECT_NE(current->last_error->message.find(
                "certificate verify failed: hostname mismatch (expected "
                "127.0.0.1)"),
            std::string::npos)
      << current->last_error->message;
}

TEST_F(PollerTest, ExpiredCertificateIsTls) {
  start_simulator();
  simulator_->set_certificate(sim::CertificateProfile::expired);
  start_poller(make_config());
  ASSERT_TRUE(run_polls(1));

  auto current = snapshot();
  EXPECT_EQ(errors_of(*current, PollErrorReason::tls), 1u);
  ASSERT_TRUE(current->last_error.has_value());
  EXPECT_NE(current->last_error->message.find(
                "certificate verify failed: certificate has expired"),
            std::string::npos)
      << current->last_error->message;
}

TEST_F(PollerTest, SystemStoreRejectsTestCa) {
  start_simulator();
  ApplianceConfig config = make_config();
  config.tls_config.ca_file.clear();
  start_poller(config);
  ASSERT_TRUE(run_polls(1));

  EXPECT_EQ(errors_of(*snapshot(), PollErrorReason::tls), 1u);
}

TEST_F(PollerTest, InsecureSkipVerifyAcceptsAll) {
  start_simulator();
  ApplianceConfig config = make_config();
  config.tls_config.ca_file.clear();
  config.tls_config.insecure_skip_verify = true;
  start_poller(config);

  for (auto profile : {sim::CertificateProfile::unknown_ca,
                       sim::CertificateProfile::wrong_host,
                       sim::CertificateProfile::expired}) {
    simulator_->set_certificate(profile);
    std::uint64_t before = polls();
    ASSERT_TRUE(run_polls(before + 2));
    EXPECT_TRUE(snapshot()->up);
  }
  EXPECT_EQ(errors_of(*snapshot(), PollErrorReason::tls), 0u);
}

TEST_F(PollerTest, ServerNameOverride) {
  start_simulator();
  simulator_->set_certificate(sim::CertificateProfile::wrong_host);
  ApplianceConfig config = make_config();
  config.tls_config.server_name = "wrong.example.test";
  start_poller(config);
  ASSERT_TRUE(run_polls(1));

  EXPECT_TRUE(snapshot()->up);
}

TEST_F(PollerTest, HangMidBodyTimesOut) {
  start_simulator();
  ApplianceConfig config = make_config();
  config.timeout = 500ms;
  start_poller(config);
  ASSERT_TRUE(run_polls(1));
  simulator_->set_fault(sim::Fault{.kind = sim::FaultKind::hang_mid_body});
  ASSERT_TRUE(run_polls(2));

  auto current = snapshot();
  EXPECT_EQ(errors_of(*current, PollErrorReason::timeout), 1u);
  EXPECT_GE(current->last_poll_duration_seconds, 0.45);
  EXPECT_LE(current->last_poll_duration_seconds, 1.5);
}

TEST_F(PollerTest, OversizedBodyIsParse) {
  start_simulator();
  ApplianceConfig config = make_config();
  config.max_response_bytes = 1 << 20;
  start_poller(config);
  ASSERT_TRUE(run_polls(1));
  long resident_before = resident_kib();
  simulator_->set_fault(sim::Fault{.kind = sim::FaultKind::oversized_body,
                                   .body_bytes = std::size_t{256} << 20});
  ASSERT_TRUE(run_polls(4));
  long resident_after = resident_kib();

  auto current = snapshot();
  EXPECT_EQ(errors_of(*current, PollErrorReason::parse), 3u);
  ASSERT_TRUE(current->last_error.has_value());
  EXPECT_NE(
      current->last_error->message.find("exceeds the limit of 1048576 bytes"),
      std::string::npos)
      << current->last_error->message;
  ASSERT_GT(resident_before, 0);
  EXPECT_LT(resident_after - resident_before, 16 * 1024);
}

TEST_F(PollerTest, TruncatedBodyIsParse) {
  start_simulator();
  start_poller(make_config());
  ASSERT_TRUE(run_polls(1));
  simulator_->set_fault(sim::Fault{.kind = sim::FaultKind::truncated_body});
  ASSERT_TRUE(run_polls(2));

  EXPECT_EQ(errors_of(*snapshot(), PollErrorReason::parse), 1u);
}

TEST_F(PollerTest, MalformedXmlIsParse) {
  start_simulator();
  start_poller(make_config());
  ASSERT_TRUE(run_polls(1));
  simulator_->set_fault(sim::Fault{.kind = sim::FaultKind::malformed_xml});
  ASSERT_TRUE(run_polls(2));

  EXPECT_EQ(errors_of(*snapshot(), PollErrorReason::parse), 1u);
}

TEST_F(PollerTest, ErrorElementIsApiError) {
  start_simulator();
  sim::Variant variant;
  variant.api_error = sim::ApiErrorForm::root;
  simulator_->set_variant(variant);
  start_poller(make_config());
  ASSERT_TRUE(run_polls(1));

  auto current = snapshot();
  EXPECT_EQ(errors_of(*current, PollErrorReason::api_error), 1u);
  ASSERT_TRUE(current->last_error.has_value());
  EXPECT_NE(
      current->last_error->message.find("The API account lacks permission"),
      std::string::npos)
      << current->last_error->message;
}

TEST_F(PollerTest, FailureKeepsPreviousReps) {
  start_simulator();
  start_poller(make_config());
  ASSERT_TRUE(run_polls(1));
  auto good = snapshot();
  simulator_->set_fault(sim::Fault{.kind = sim::FaultKind::status_500});
  ASSERT_TRUE(run_polls(2));

  auto failed = snapshot();
  EXPECT_FALSE(failed->up);
  EXPECT_EQ(failed->reps, good->reps);
  EXPECT_EQ(failed->last_success_time, good->last_success_time);
  EXPECT_NE(failed->last_poll_time, good->last_poll_time);
  EXPECT_EQ(failed->polls_total, 2u);
}

TEST_F(PollerTest, RecoversAfterFailure) {
  start_simulator();
  start_poller(make_config());
  simulator_->set_fault(
      sim::Fault{.kind = sim::FaultKind::status_500, .count = 2});
  ASSERT_TRUE(run_polls(3));

  auto current = snapshot();
  EXPECT_TRUE(current->up);
  EXPECT_EQ(errors_of(*current, PollErrorReason::http_status), 2u);
  EXPECT_EQ(current->last_error, std::nullopt);
}

TEST_F(PollerTest, RepeatedFailureLoggedOnce) {
  CapturedLog log;
  start_simulator();
  start_poller(make_config());
  simulator_->set_fault(
      sim::Fault{.kind = sim::FaultKind::status_500, .count = 3});
  ASSERT_TRUE(run_polls(4));

  std::string text = log.text();
  EXPECT_EQ(count_of(text, "msg=\"poll failed\""), 1u) << text;
  EXPECT_EQ(count_of(text, "reason=http_status"), 1u) << text;
  EXPECT_EQ(count_of(text, "msg=\"poll succeeded again\""), 1u) << text;
  EXPECT_EQ(count_of(text, "failed_polls=3"), 1u) << text;
}

TEST_F(PollerTest, NewReasonLoggedAgain) {
  CapturedLog log;
  start_simulator();
  start_poller(make_config());
  simulator_->set_fault(
      sim::Fault{.kind = sim::FaultKind::status_500, .count = 2});
  ASSERT_TRUE(run_polls(2));
  simulator_->set_fault(
      sim::Fault{.kind = sim::FaultKind::malformed_xml, .count = 2});
  ASSERT_TRUE(run_polls(4));

  std::string text = log.text();
  EXPECT_EQ(count_of(text, "msg=\"poll failed\""), 2u) << text;
  EXPECT_EQ(count_of(text, "reason=http_status"), 1u) << text;
  EXPECT_EQ(count_of(text, "reason=parse"), 1u) << text;
}

TEST_F(PollerTest, LogsNoSecretOrToken) {
  CapturedLog log;
  options_.client_secret = "unique-secret-4711";
  start_simulator();
  start_poller(make_config());
  ASSERT_TRUE(run_polls(1));
  simulator_->revoke_all_tokens();
  ASSERT_TRUE(run_polls(2));
  ApplianceConfig wrong = make_config();
  wrong.name = "wrong";
  wrong.client_secret = Secret("wrong-secret-0815");
  Poller rejected(io_.get_executor(), wrong, store_);
  rejected.start();
  ASSERT_TRUE(
      run_until([&] { return store_.find("wrong")->polls_total >= 2; }));
  rejected.stop();

  std::string text = log.text();
  EXPECT_EQ(text.find("unique-secret-4711"), std::string::npos) << text;
  EXPECT_EQ(text.find("wrong-secret-0815"), std::string::npos) << text;
  EXPECT_EQ(text.find("Bearer"), std::string::npos) << text;
  EXPECT_EQ(text.find("Basic"), std::string::npos) << text;
  EXPECT_NE(text.find("reason=auth"), std::string::npos) << text;
}

TEST_F(PollerTest, StopCancelsPollInFlight) {
  start_simulator();
  ApplianceConfig config = make_config();
  config.timeout = 30s;
  simulator_->set_fault(sim::Fault{.kind = sim::FaultKind::hang_mid_body});
  start_poller(config);
  ASSERT_TRUE(
      run_until([&] { return simulator_->stats().command_requests >= 1; }));
  io_.run_for(100ms);
  std::uint64_t generation = store_.generation();

  poller_->stop();
  auto stopped_at = steady_clock::now();
  io_.run_for(2s);

  // The poll ends at once, and publishes nothing after stop().
  EXPECT_TRUE(io_.stopped());
  EXPECT_LE(steady_clock::now() - stopped_at, 1s);
  EXPECT_EQ(store_.generation(), generation);
}

TEST_F(PollerTest, DestroyWhilePolling) {
  start_simulator();
  ApplianceConfig config = make_config();
  config.timeout = 30s;
  simulator_->set_fault(sim::Fault{.kind = sim::FaultKind::hang_mid_body});
  start_poller(config);
  ASSERT_TRUE(
      run_until([&] { return simulator_->stats().command_requests >= 1; }));

  poller_.reset();
  io_.run_for(2s);

  EXPECT_TRUE(io_.stopped());
  EXPECT_EQ(snapshot()->polls_total, 0u);
}

TEST_F(PollerTest, PollsThroughProxy) {
  start_simulator();
  proxy_ = std::make_unique<ConnectProxy>(io_, 200);
  ConnectProxy& proxy = *proxy_;
  ApplianceConfig config = make_config();
  config.proxy_url = proxy.url();
  start_poller(config);
  ASSERT_TRUE(run_polls(2));

  EXPECT_TRUE(snapshot()->up);
  ASSERT_GE(proxy.requests().size(), 2u);
  std::string expected =
      "CONNECT 127.0.0.1:" + std::to_string(simulator_->port()) + " HTTP/1.1";
  EXPECT_EQ(proxy.requests()[0].substr(0, expected.size()), expected);
}

TEST_F(PollerTest, ProxyCredentialsSent) {
  start_simulator();
  proxy_ = std::make_unique<ConnectProxy>(io_, 200);
  ConnectProxy& proxy = *proxy_;
  ApplianceConfig config = make_config();
  config.proxy_url = "http://user:pass@" + proxy.url().substr(7);
  start_poller(config);
  ASSERT_TRUE(run_polls(1));

  ASSERT_GE(proxy.requests().size(), 1u);
  // base64("user:pass")
  EXPECT_NE(
      proxy.requests()[0].find("Proxy-Authorization: Basic dXNlcjpwYXNz\r\n"),
      std::string::npos)
      << proxy.requests()[0];
}

TEST_F(PollerTest, ProxyRejectionIsConnect) {
  start_simulator();
  proxy_ = std::make_unique<ConnectProxy>(io_, 407);
  ConnectProxy& proxy = *proxy_;
  ApplianceConfig config = make_config();
  config.proxy_url = proxy.url();
  start_poller(config);
  ASSERT_TRUE(run_polls(1));

  auto current = snapshot();
  EXPECT_EQ(errors_of(*current, PollErrorReason::connect), 1u);
  ASSERT_TRUE(current->last_error.has_value());
  EXPECT_EQ(current->last_error->message,
            "the proxy 127.0.0.1:" + proxy.url().substr(17) +
                " rejected CONNECT to 127.0.0.1:" +
                std::to_string(simulator_->port()) + " with HTTP 407");
}

TEST_F(PollerTest, InvalidProxyUrlThrows) {
  start_simulator();
  ApplianceConfig config = make_config();
  config.proxy_url = "socks5://127.0.0.1:1080";
  EXPECT_THROW(Poller(io_.get_executor(), config, store_), ConfigError);
}

TEST_F(PollerTest, BadCaFileThrows) {
  start_simulator();
  ApplianceConfig config = make_config();
  config.tls_config.ca_file = "/nonexistent/ca.pem";
  EXPECT_THROW(Poller(io_.get_executor(), config, store_), ConfigError);
}

}  // namespace
}  // namespace beyondtrust_exporter
