#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "beyondtrust_exporter/secret.hpp"

// The web configuration file given by --web.config.file, in the schema of
// the Prometheus exporter-toolkit: TLS for the listener, response headers
// and bcrypt basic auth. Any file that `promtool check web-config` accepts
// loads here.
namespace beyondtrust_exporter {

// The listener's client certificate policy. The names are Go's crypto/tls
// ClientAuthType values.
enum class ClientAuthType {
  no_client_cert,
  request_client_cert,
  require_any_client_cert,
  verify_client_cert_if_given,
  require_and_verify_client_cert,
};

enum class TlsVersion { tls10, tls11, tls12, tls13 };

// The `tls_server_config` block, present when it configures TLS.
struct WebTlsConfig {
  std::filesystem::path cert_file;  // relative paths already resolved
  std::filesystem::path key_file;
  ClientAuthType client_auth_type = ClientAuthType::no_client_cert;
  std::filesystem::path client_ca_file;  // empty: none
  TlsVersion min_version = TlsVersion::tls12;
  TlsVersion max_version = TlsVersion::tls13;
  // Go names such as TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256. As in Go, they
  // apply to TLS 1.2 and below only. Empty: the library's default list.
  std::vector<std::string> cipher_suites;
  // Go names: CurveP256, CurveP384, CurveP521, X25519. Empty: default.
  std::vector<std::string> curve_preferences;
  bool prefer_server_cipher_suites = true;
  // A client certificate must carry one of these DNS, email, IP or URI
  // subject alternative names. Empty: any verified client is allowed.
  std::vector<std::string> client_allowed_sans;

  friend bool operator==(const WebTlsConfig&, const WebTlsConfig&) = default;
};

struct WebConfig {
  std::optional<WebTlsConfig> tls;  // nothing: plain HTTP
  // Extra response headers; only the names the exporter-toolkit allows.
  std::map<std::string, std::string> headers;
  // User name to bcrypt hash. Empty: no authentication.
  std::map<std::string, Secret> basic_auth_users;
  bool http2 = true;

  friend bool operator==(const WebConfig&, const WebConfig&) = default;
};

// Reads and checks a web config file: known keys only, allowed header names
// and values, bcrypt hashes that parse, and TLS files that exist and contain a
// matching certificate and key. Relative paths are relative to the file.
// Throws ConfigError with one line naming the key, the value and what is
// allowed.
WebConfig load_web_config(const std::filesystem::path& file);

// Parses web config text; relative paths are relative to `base_dir`.
// Throws ConfigError.
WebConfig parse_web_config(std::string_view yaml,
                           const std::filesystem::path& base_dir);

// Describes the web config as YAML with password hashes masked.
std::string describe_web_config(const WebConfig& config);

// The OpenSSL cipher list (for SSL_CTX_set_cipher_list) matching
// cipher_suites, colon-separated; TLS 1.3 names are left out, as Go ignores
// them. Empty when the list configures nothing.
std::string openssl_cipher_list(const WebTlsConfig& config);

// The OpenSSL group list (for SSL_CTX_set1_groups_list) matching
// curve_preferences, colon-separated. Empty when none is configured.
std::string openssl_groups_list(const WebTlsConfig& config);

// Returns the web config name of `version`, such as TLS12.
std::string_view to_string(TlsVersion version);

// Returns the web config name of `type`, such as RequireAndVerifyClientCert.
std::string_view to_string(ClientAuthType type);

// The OpenSSL protocol version constant, such as TLS1_2_VERSION.
int openssl_tls_version(TlsVersion version);

// Checks `password` against a bcrypt hash ($2a$, $2b$ or $2y$) with
// libxcrypt's crypt_r and compares the result in constant time. Returns
// false for a hash that is not bcrypt. Costs tens of milliseconds at cost
// 10, by design of bcrypt.
bool verify_password(std::string_view bcrypt_hash, std::string_view password);

// Checks HTTP basic auth credentials against basic_auth_users. Results are
// cached by a SHA-256 digest of user, hash and password, so a scraper that
// sends the same credentials every scrape pays the bcrypt cost once. An
// unknown user costs a bcrypt check too, so the response time does not show
// which user names exist. Safe to call from any thread.
class BasicAuthenticator {
 public:
  explicit BasicAuthenticator(std::map<std::string, Secret> users,
                              std::size_t cache_capacity = 100);

  // True when users are configured, so requests need credentials.
  bool enabled() const noexcept { return !users_.empty(); }

  // Checks a user name and password.
  bool check(std::string_view user, std::string_view password) const;

  // Checks the value of an Authorization header, "Basic " followed by
  // base64 of user:password. False for a malformed or different scheme.
  bool check_header(std::string_view authorization) const;

 private:
  std::map<std::string, Secret, std::less<>> users_;
  std::size_t cache_capacity_;
  mutable std::mutex cache_mutex_;
  mutable std::unordered_map<std::string, bool> cache_;
};

}  // namespace beyondtrust_exporter
