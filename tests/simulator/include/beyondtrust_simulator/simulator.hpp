#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

// A BeyondTrust Remote Support / PRA site on loopback, for tests and demos.
// It serves the OAuth 2 token endpoint, the command API call
// get_logged_in_reps, /check_health and a control API under /_sim/, over
// HTTPS. Every response form and fault can be switched while it runs.
//
// Thread safety: every public member function of Simulator may be called
// from any thread while the server runs, except start() and stop(), which
// the owner calls.
namespace beyondtrust_simulator {

// Default XML namespace of the root element. Sites have used each of these.
enum class XmlNamespace {
  beyondtrust,   // https://www.beyondtrust.com/namespaces/API/command
  bomgar_https,  // https://www.bomgar.com/namespaces/API/command
  bomgar_http,   // http://www.bomgar.com/namespaces/API/command
  none,          // no xmlns attribute
};

// Text of <logged_in_since>. Login times are whole UNIX seconds (UTC).
enum class LoginTimeForm {
  ts_attribute,        // ts="1700000000" and 2023-11-14T22:13:20+00:00
  iso_utc,             // 2023-11-14T22:13:20Z
  iso_offset,          // 2023-11-15T00:13:20+02:00 (same instant)
  iso_offset_compact,  // 2023-11-14T17:13:20-0500 (same instant)
  iso_fractional,      // 2023-11-14T22:13:20.250Z: the login time + 0.25 s
  unix_seconds,        // 1700000000
};

// Encoding of the HTML anchor in <direct_link>.
enum class DirectLinkForm {
  escaped,  // &lt;a href="..."&gt;name&lt;/a&gt;
  cdata,    // <![CDATA[<a href="...">name</a>]]>
  element,  // a child <a href="...">name</a> element
};

// Which name elements each <rep> carries.
enum class NameForm {
  all,                // display_name, public_ and private_display_name
  display_name_only,  // an old site: only the deprecated display_name
  no_private,         // PRA: no private_display_name element
  empty_private,      // PRA: an empty private_display_name element
};

// What precedes the root element.
enum class XmlDeclaration {
  plain,        // <?xml version="1.0" encoding="UTF-8"?> and one newline
  blank_lines,  // the declaration followed by blank lines
  none,         // no declaration
};

// Whether the command response is an API error, and where <error> sits.
// Both forms come with HTTP 200.
enum class ApiErrorForm {
  none,   // the population
  root,   // <error> is the root element
  child,  // <logged_in_reps><error>...</error></logged_in_reps>
};

// Body of a 401 to a command call made with a missing or invalid token.
enum class UnauthorizedBody { empty, json, xml };

// The response form. Each field is independent of the others.
struct Variant {
  XmlNamespace xml_namespace = XmlNamespace::beyondtrust;
  LoginTimeForm login_time = LoginTimeForm::ts_attribute;
  DirectLinkForm direct_link = DirectLinkForm::escaped;
  NameForm names = NameForm::all;
  XmlDeclaration declaration = XmlDeclaration::plain;
  ApiErrorForm api_error = ApiErrorForm::none;
  std::string api_error_text = "The API account lacks permission";
  // Serves type "Trainee" for the reps at positions 6, 13, 20, ... and
  // "Embassy" for the other reps at positions 2, 5, 8, ... of the
  // population. reps() reports the served types.
  bool extra_rep_types = false;
  // Shuffles the child elements of each <rep>, repeatably for a seed.
  bool shuffled_elements = false;
  UnauthorizedBody unauthorized_body = UnauthorizedBody::json;
  // Adds X-RateLimit-Limit and X-RateLimit-Remaining to command responses.
  bool rate_limit_headers = false;
  // GET /check_health returns 200 when true, 500 when false.
  bool healthy = true;

  bool operator==(const Variant&) const = default;
};

enum class FaultKind {
  none,
  delay,                 // waits `delay`, then responds normally
  hang_mid_body,         // headers and half the body, then stalls
  close_without_answer,  // reads the request, closes the TCP connection
  truncated_body,        // Content-Length of the full body, half of it sent
  oversized_body,        // `body_bytes` of valid-looking content, streamed
  malformed_xml,         // 200 with XML (or JSON) that does not parse
  status_500,
  status_503,          // with Retry-After when `retry_after` is set
  status_429,          // with Retry-After when `retry_after` is set
  revoke_tokens,       // revokes every token, then handles the request
  early_expiry,        // new tokens die after `token_lifetime`
  reject_credentials,  // the token endpoint returns 401 to any client
};

// Which endpoints a fault applies to. revoke_tokens always acts on command
// requests, and early_expiry and reject_credentials on token requests.
enum class FaultTarget { command, token, both };

struct Fault {
  FaultKind kind = FaultKind::none;
  FaultTarget target = FaultTarget::command;
  // Wait of `delay`; for hang_mid_body, the maximum stall (0: 5 minutes).
  std::chrono::milliseconds delay{0};
  // Value of Retry-After for status_429 and status_503; none when empty.
  std::optional<std::string> retry_after{};
  // Number of matching requests the fault applies to; 0 means every
  // matching request until clear_fault().
  std::size_t count = 0;
  // Real lifetime of tokens minted under early_expiry. expires_in still
  // reports Options::token_lifetime.
  std::chrono::milliseconds token_lifetime{std::chrono::seconds{2}};
  // Body size under oversized_body (64 MiB by default).
  std::size_t body_bytes = std::size_t{64} << 20;

  bool operator==(const Fault&) const = default;
};

// One logged-in representative as the simulator stores it.
struct SimRep {
  std::uint64_t id = 0;
  std::string public_display_name;  // also served as display_name
  std::string private_display_name;
  std::string type = "Normal";
  std::int64_t logged_in_since = 0;  // UNIX seconds, UTC
  std::uint32_t support_session_count = 0;
  std::uint32_t presentation_count = 0;
  bool showing_on_rep_list = true;

  bool operator==(const SimRep&) const = default;
};

// Request counters since start or the last reset_stats(). Control requests
// under /_sim/ count only in control_requests.
struct Stats {
  std::uint64_t connections = 0;            // TCP connections accepted
  std::uint64_t tls_failures = 0;           // failed TLS handshakes
  std::uint64_t token_requests = 0;         // requests to /oauth2/token
  std::uint64_t tokens_issued = 0;          // tokens minted
  std::uint64_t command_requests = 0;       // /api/command and /api/command.ns
  std::uint64_t unauthorized_commands = 0;  // command requests given 401
  std::uint64_t health_requests = 0;        // /check_health
  std::uint64_t control_requests = 0;       // /_sim/...
  std::uint64_t other_requests = 0;         // any other path
  std::uint64_t faults_applied = 0;         // requests a fault acted on
  std::size_t live_tokens = 0;              // tokens valid right now
  std::map<std::string, std::uint64_t> requests_by_path{};  // without query
  std::map<unsigned, std::uint64_t> responses_by_status{};  // sent statuses

  bool operator==(const Stats&) const = default;
};

// Server certificate choices, each from the files make-test-certs.sh
// writes into Options::cert_dir.
enum class CertificateProfile {
  valid,       // server.pem, signed by ca.pem
  unknown_ca,  // unknown-ca-server.pem, signed by a CA clients do not trust
  wrong_host,  // wrong-host.pem, SAN only wrong.example.test
  expired,     // expired.pem, validity entirely in the past
};

struct Options {
  std::string listen_address = "127.0.0.1";  // or "::1"
  std::uint16_t port = 0;                    // 0: a free port
  // Folder written by make-test-certs.sh. When set, cert_file and key_file
  // default to its server.pem and server-key.pem, and set_certificate()
  // can switch profiles. When all three are empty, start() generates a
  // folder with make_test_certificates().
  std::string cert_dir;
  std::string cert_file, key_file;  // server certificate and key (PEM)
  // CA file for client certificates. When set, a client must present a
  // certificate signed by it or the TLS handshake fails.
  std::string client_ca_file;
  std::string client_id = "exporter";
  std::string client_secret = "simulator-secret";
  std::chrono::seconds token_lifetime{3600};  // expires_in
  std::size_t reps = 10;                      // generated population size
  std::uint64_t seed = 1;
  // Login times of the generated population count back from this UNIX
  // time; 0 means the time of construction.
  std::int64_t population_time = 0;
  bool demo = false;  // population moves over time
  std::chrono::milliseconds demo_interval{std::chrono::seconds{3}};
  Variant variant;  // initial response form
  Fault fault;      // initial fault
};

// Paths of the files make-test-certs.sh writes.
struct TestCertificates {
  std::filesystem::path dir;
  std::string ca_file;  // ca.pem: signed server, wrong-host, expired, client
  std::string server_cert, server_key;
  std::string unknown_ca_file;  // unknown-ca.pem
  std::string unknown_ca_server_cert, unknown_ca_server_key;
  std::string wrong_host_cert, wrong_host_key;
  std::string expired_cert, expired_key;
  std::string client_cert, client_key;
};

// Runs make-test-certs.sh into `dir` (created when missing) and returns the
// paths. Throws std::runtime_error when the script fails.
TestCertificates make_test_certificates(const std::filesystem::path& dir);

// Same, into a new folder under the system temporary folder. The caller
// may remove it.
TestCertificates make_test_certificates();

// Certificates made once per process, for tests that start many
// simulators. Thread-safe.
const TestCertificates& shared_test_certificates();

// Paths of the files in a folder written by make-test-certs.sh.
TestCertificates test_certificates_in(const std::filesystem::path& dir);

// Generates the repeatable population for a seed: ids, names (with
// non-ASCII letters, quotes, backslashes and very long names), types,
// login times before `population_time`, and counts.
std::vector<SimRep> generate_reps(std::size_t count, std::uint64_t seed,
                                  std::int64_t population_time);

// Renders the get_logged_in_reps response body for a population.
std::string render_logged_in_reps(const std::vector<SimRep>& reps,
                                  const Variant& variant, std::uint64_t seed);

class Simulator {
 public:
  // Generates the population; binds nothing yet.
  explicit Simulator(Options options);
  ~Simulator();  // stops

  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  // Loads the certificate, binds and serves on a thread of its own. Throws
  // std::runtime_error when the certificate cannot be loaded or the address
  // cannot be bound.
  void start();
  // Closes the listener and every connection and joins the thread.
  // Idempotent. A stopped simulator cannot be started again.
  void stop();

  std::uint16_t port() const;
  std::string url() const;  // "https://127.0.0.1:PORT", "https://[::1]:PORT"
  std::string ca_file() const;  // CA that signed the valid server certificate

  void set_variant(Variant variant);
  Variant variant() const;

  void set_fault(Fault fault);
  Fault fault() const;  // kind none once a counted fault is used up
  void clear_fault();

  // Invalidates every token at once, as a regenerated client secret does.
  void revoke_all_tokens();

  void set_reps(std::vector<SimRep> reps);
  // The population as served now (types as extra_rep_types serves them).
  std::vector<SimRep> reps() const;
  // Replaces the population with generate_reps(count, seed, ...).
  void regenerate_reps(std::size_t count, std::uint64_t seed);

  // Serves another certificate to new connections. Throws
  // std::runtime_error when Options::cert_dir is empty or a file is bad.
  void set_certificate(CertificateProfile profile);
  void set_certificate(const std::string& cert_file,
                       const std::string& key_file);

  Stats stats() const;
  void reset_stats();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace beyondtrust_simulator
