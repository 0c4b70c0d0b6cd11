#include "beyondtrust_exporter/web_config.hpp"

#include <crypt.h>
#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <yaml-cpp/yaml.h>

#include <array>
#include <cstring>
#include <memory>
#include <utility>

#include "beyondtrust_exporter/config.hpp"
#include "beyondtrust_exporter/config_loader.hpp"
#include "beyondtrust_exporter/logging.hpp"
#include "config_text.hpp"

namespace beyondtrust_exporter {
namespace {

using config_text::describe;
using config_text::has;
using config_text::join;
using config_text::quote;

// bcrypt truncates passwords at 72 bytes; longer ones are rejected rather
// than matched by their prefix, as Go's golang.org/x/crypto/bcrypt does.
constexpr std::size_t kMaxPasswordBytes = 72;

// A bcrypt hash of a random password, checked for unknown users so that
// they cost as much time as known ones.
constexpr std::string_view kDecoyHash =
    "$2y$10$vDEbPjzk.qbj91GLIECwJuMrKzD/iMZERGazQ8j1YYYG.JipaePJ6";

struct NamedValue {
  std::string_view name;
  std::string_view openssl_name;
};

// The cipher suite names that promtool 2.42 accepts, which are the names
// of Go's tls.CipherSuites(), with their OpenSSL names. TLS 1.3 suites
// have no OpenSSL name here because Go does not let a config choose them.
constexpr std::array<NamedValue, 17> kCipherSuites{{
    {"TLS_RSA_WITH_AES_128_CBC_SHA", "AES128-SHA"},
    {"TLS_RSA_WITH_AES_256_CBC_SHA", "AES256-SHA"},
    {"TLS_RSA_WITH_AES_128_GCM_SHA256", "AES128-GCM-SHA256"},
    {"TLS_RSA_WITH_AES_256_GCM_SHA384", "AES256-GCM-SHA384"},
    {"TLS_AES_128_GCM_SHA256", ""},
    {"TLS_AES_256_GCM_SHA384", ""},
    {"TLS_CHACHA20_POLY1305_SHA256", ""},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "ECDHE-ECDSA-AES128-SHA"},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "ECDHE-ECDSA-AES256-SHA"},
    {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA-AES128-SHA"},
    {"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "ECDHE-RSA-AES256-SHA"},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
     "ECDHE-ECDSA-AES128-GCM-SHA256"},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
     "ECDHE-ECDSA-AES256-GCM-SHA384"},
    {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256"},
    {"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384"},
    {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
     "ECDHE-RSA-CHACHA20-POLY1305"},
    {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
     "ECDHE-ECDSA-CHACHA20-POLY1305"},
}};

constexpr std::array<NamedValue, 4> kCurves{{
    {"CurveP256", "P-256"},
    {"CurveP384", "P-384"},
    {"CurveP521", "P-521"},
    {"X25519", "X25519"},
}};

constexpr std::array<std::pair<std::string_view, TlsVersion>, 4> kVersions{{
    {"TLS10", TlsVersion::tls10},
    {"TLS11", TlsVersion::tls11},
    {"TLS12", TlsVersion::tls12},
    {"TLS13", TlsVersion::tls13},
}};

constexpr std::array<std::pair<std::string_view, ClientAuthType>, 5>
    kClientAuthTypes{{
        {"NoClientCert", ClientAuthType::no_client_cert},
        {"RequestClientCert", ClientAuthType::request_client_cert},
        {"RequireAnyClientCert", ClientAuthType::require_any_client_cert},
        {"VerifyClientCertIfGiven",
         ClientAuthType::verify_client_cert_if_given},
        {"RequireAndVerifyClientCert",
         ClientAuthType::require_and_verify_client_cert},
    }};

// Header names the exporter-toolkit lets a web config set, and the values
// it allows for each; an empty list allows any value.
struct AllowedHeader {
  std::string_view name;
  std::initializer_list<std::string_view> values;
};
const std::array<AllowedHeader, 5> kAllowedHeaders{{
    {"Content-Security-Policy", {}},
    {"Strict-Transport-Security", {}},
    {"X-Content-Type-Options", {"nosniff"}},
    {"X-Frame-Options", {"deny", "sameorigin"}},
    {"X-XSS-Protection", {}},
}};

template <class Table>
std::string names_of(const Table& table) {
  std::string text;
  for (const auto& entry : table) {
    if (!text.empty()) {
      text += ", ";
    }
    if constexpr (requires { entry.name; }) {
      text += entry.name;
    } else {
      text += entry.first;
    }
  }
  return text;
}

std::string join_values(std::initializer_list<std::string_view> values) {
  std::string text;
  for (const std::string_view value : values) {
    if (!text.empty()) {
      text += ", ";
    }
    text += value;
  }
  return text;
}

std::string_view version_name(TlsVersion version) {
  for (const auto& [name, value] : kVersions) {
    if (value == version) {
      return name;
    }
  }
  return "TLS12";
}

std::string_view client_auth_name(ClientAuthType type) {
  for (const auto& [name, value] : kClientAuthTypes) {
    if (value == type) {
      return name;
    }
  }
  return "NoClientCert";
}

TlsVersion read_version(const YAML::Node& node, std::string_view path) {
  const std::string text = config_text::read_string(node, path);
  for (const auto& [name, value] : kVersions) {
    if (text == name) {
      return value;
    }
  }
  throw ConfigError(fmt::format("invalid {} {}: expected one of {}", path,
                                quote(text), names_of(kVersions)));
}

// Reads a list of names from `table`, keeping the Go names.
template <class Table>
std::vector<std::string> read_names(const YAML::Node& node,
                                    std::string_view path, const Table& table,
                                    std::string_view what) {
  if (config_text::is_empty(node)) {
    return {};
  }
  if (!node.IsSequence()) {
    throw ConfigError(fmt::format("invalid {} {}: expected a list of {}", path,
                                  describe(node), what));
  }
  std::vector<std::string> names;
  for (std::size_t i = 0; i < node.size(); ++i) {
    const std::string item_path = fmt::format("{}[{}]", path, i);
    const std::string name = config_text::read_string(node[i], item_path);
    bool known = false;
    for (const auto& entry : table) {
      known = known || entry.name == name;
    }
    if (!known) {
      throw ConfigError(fmt::format("invalid {} {}: expected one of {}",
                                    item_path, quote(name), names_of(table)));
    }
    names.push_back(name);
  }
  return names;
}

std::vector<std::string> read_string_list(const YAML::Node& node,
                                          std::string_view path) {
  if (config_text::is_empty(node)) {
    return {};
  }
  if (!node.IsSequence()) {
    throw ConfigError(fmt::format("invalid {} {}: expected a list of strings",
                                  path, describe(node)));
  }
  std::vector<std::string> items;
  for (std::size_t i = 0; i < node.size(); ++i) {
    items.push_back(
        config_text::read_string(node[i], fmt::format("{}[{}]", path, i)));
  }
  return items;
}

// The reason of the latest OpenSSL error, and clears the error queue.
std::string openssl_reason() {
  // The earliest error names the cause; later ones name the callers.
  const unsigned long code = ERR_peek_error();
  const char* reason = ERR_reason_error_string(code);
  ERR_clear_error();
  return reason != nullptr ? reason : "unknown error";
}

// Loads the certificate chain and key with OpenSSL, so a wrong or
// mismatched file fails at load time.
void check_key_pair(const WebTlsConfig& tls) {
  const std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> context(
      SSL_CTX_new(TLS_server_method()), &SSL_CTX_free);
  if (!context) {
    throw ConfigError(
        fmt::format("cannot check tls_server_config: {}", openssl_reason()));
  }
  if (SSL_CTX_use_certificate_chain_file(context.get(),
                                         tls.cert_file.c_str()) != 1) {
    throw ConfigError(
        fmt::format("invalid tls_server_config.cert_file {}: expected a PEM "
                    "certificate ({})",
                    quote(tls.cert_file.string()), openssl_reason()));
  }
  // An encrypted key fails instead of asking for a passphrase on the
  // terminal.
  const auto no_passphrase = [](char*, int, int, void*) -> int { return 0; };
  const std::unique_ptr<BIO, decltype(&BIO_free)> key_file(
      BIO_new_file(tls.key_file.c_str(), "r"), &BIO_free);
  const std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      key_file ? PEM_read_bio_PrivateKey(key_file.get(), nullptr, no_passphrase,
                                         nullptr)
               : nullptr,
      &EVP_PKEY_free);
  if (!key) {
    throw ConfigError(fmt::format(
        "invalid tls_server_config.key_file {}: expected an unencrypted PEM "
        "private key ({})",
        quote(tls.key_file.string()), openssl_reason()));
  }
  if (SSL_CTX_use_PrivateKey(context.get(), key.get()) != 1 ||
      SSL_CTX_check_private_key(context.get()) != 1) {
    throw ConfigError(fmt::format(
        "invalid tls_server_config.key_file {}: expected the key of "
        "cert_file {} ({})",
        quote(tls.key_file.string()), quote(tls.cert_file.string()),
        openssl_reason()));
  }
  if (!tls.client_ca_file.empty() &&
      SSL_CTX_load_verify_locations(context.get(), tls.client_ca_file.c_str(),
                                    nullptr) != 1) {
    // `promtool check web-config` (2.42) accepts such a file, so it loads
    // here too, but no client certificate will verify against it.
    ERR_clear_error();
    logging::warn("client_ca_file contains no PEM certificate",
                  {{"file", tls.client_ca_file.string()}});
  }
}

ClientAuthType read_client_auth_type(const std::string& text,
                                     std::string_view path) {
  if (text.empty()) {
    return ClientAuthType::no_client_cert;
  }
  // RequireClientCert is the toolkit's older name for RequireAnyClientCert.
  if (text == "RequireClientCert") {
    return ClientAuthType::require_any_client_cert;
  }
  for (const auto& [name, value] : kClientAuthTypes) {
    if (text == name) {
      return value;
    }
  }
  throw ConfigError(fmt::format("invalid {} {}: expected one of {}", path,
                                quote(text), names_of(kClientAuthTypes)));
}

// Checks the rules between the TLS keys that the exporter-toolkit checks.
void check_client_auth(const WebTlsConfig& tls,
                       const std::string& client_auth_text) {
  if (!tls.client_ca_file.empty() &&
      tls.client_auth_type == ClientAuthType::no_client_cert) {
    throw ConfigError(fmt::format(
        "invalid tls_server_config.client_auth_type {}: client_ca_file is "
        "set, so expected RequestClientCert, RequireAnyClientCert, "
        "VerifyClientCertIfGiven or RequireAndVerifyClientCert",
        quote(client_auth_text.empty() ? "NoClientCert" : client_auth_text)));
  }
  if (!tls.client_allowed_sans.empty() &&
      tls.client_auth_type != ClientAuthType::require_any_client_cert &&
      tls.client_auth_type != ClientAuthType::require_and_verify_client_cert) {
    throw ConfigError(fmt::format(
        "invalid tls_server_config.client_auth_type {}: client_allowed_sans "
        "is set, so expected RequireAnyClientCert or "
        "RequireAndVerifyClientCert",
        quote(client_auth_name(tls.client_auth_type))));
  }
}

std::optional<WebTlsConfig> parse_tls_server_config(
    const YAML::Node& node, const std::filesystem::path& base_dir) {
  constexpr std::string_view kPath = "tls_server_config";
  config_text::check_keys(
      node, kPath,
      {"cert_file", "key_file", "client_auth_type", "client_ca_file",
       "min_version", "max_version", "cipher_suites", "curve_preferences",
       "prefer_server_cipher_suites", "client_allowed_sans"});
  if (config_text::is_empty(node)) {
    return std::nullopt;
  }

  // Every key is checked, even when TLS ends up off, as the toolkit does.
  WebTlsConfig tls;
  const auto read = [&](std::string_view key) {
    return config_text::read_string(node[std::string(key)], join(kPath, key));
  };
  const std::string cert_file = read("cert_file");
  const std::string key_file = read("key_file");
  const std::string client_ca_file = read("client_ca_file");
  const std::string client_auth_text = read("client_auth_type");
  tls.client_auth_type =
      read_client_auth_type(client_auth_text, join(kPath, "client_auth_type"));
  if (has(node, "min_version")) {
    tls.min_version =
        read_version(node["min_version"], join(kPath, "min_version"));
  }
  if (has(node, "max_version")) {
    tls.max_version =
        read_version(node["max_version"], join(kPath, "max_version"));
  }
  tls.cipher_suites =
      read_names(node["cipher_suites"], join(kPath, "cipher_suites"),
                 kCipherSuites, "cipher suite names");
  tls.curve_preferences =
      read_names(node["curve_preferences"], join(kPath, "curve_preferences"),
                 kCurves, "curve names");
  if (has(node, "prefer_server_cipher_suites")) {
    tls.prefer_server_cipher_suites =
        config_text::read_bool(node["prefer_server_cipher_suites"],
                               join(kPath, "prefer_server_cipher_suites"));
  }
  tls.client_allowed_sans = read_string_list(
      node["client_allowed_sans"], join(kPath, "client_allowed_sans"));

  // TLS is on when any of these is set; then it needs a certificate.
  if (cert_file.empty() && key_file.empty() && client_ca_file.empty() &&
      client_auth_text.empty()) {
    return std::nullopt;
  }
  if (cert_file.empty()) {
    throw ConfigError(
        "missing tls_server_config.cert_file: TLS is configured, so expected "
        "a PEM certificate file");
  }
  if (key_file.empty()) {
    throw ConfigError(
        "missing tls_server_config.key_file: TLS is configured, so expected "
        "a PEM private key file");
  }
  tls.cert_file = config_text::resolve(base_dir, cert_file);
  tls.key_file = config_text::resolve(base_dir, key_file);
  config_text::check_readable(tls.cert_file, join(kPath, "cert_file"));
  config_text::check_readable(tls.key_file, join(kPath, "key_file"));
  if (!client_ca_file.empty()) {
    tls.client_ca_file = config_text::resolve(base_dir, client_ca_file);
    config_text::check_readable(tls.client_ca_file,
                                join(kPath, "client_ca_file"));
  }
  check_client_auth(tls, client_auth_text);
  check_key_pair(tls);

  if (tls.min_version > tls.max_version) {
    // The toolkit accepts this too; every handshake will fail.
    logging::warn("tls_server_config min_version is above max_version",
                  {{"min_version", version_name(tls.min_version)},
                   {"max_version", version_name(tls.max_version)}});
  }
  return tls;
}

void parse_http_server_config(const YAML::Node& node, WebConfig& config) {
  constexpr std::string_view kPath = "http_server_config";
  config_text::check_keys(node, kPath, {"http2", "headers"});
  if (config_text::is_empty(node)) {
    return;
  }
  if (has(node, "http2")) {
    config.http2 = config_text::read_bool(node["http2"], join(kPath, "http2"));
  }
  if (!has(node, "headers")) {
    return;
  }

  const YAML::Node headers = node["headers"];
  const std::string headers_path = join(kPath, "headers");
  if (!headers.IsMap()) {
    throw ConfigError(
        fmt::format("invalid {} {}: expected a map of header "
                    "names to values",
                    headers_path, describe(headers)));
  }
  config_text::check_unique_keys(headers, headers_path);
  for (const auto& entry : headers) {
    const std::string& name = entry.first.Scalar();
    const AllowedHeader* allowed = nullptr;
    for (const AllowedHeader& header : kAllowedHeaders) {
      if (header.name == name) {
        allowed = &header;
      }
    }
    if (allowed == nullptr) {
      throw ConfigError(
          fmt::format("invalid header {} in {}: expected one of {}",
                      quote(name), headers_path, names_of(kAllowedHeaders)));
    }

    const std::string value_path = join(headers_path, name);
    std::string value = config_text::read_string(entry.second, value_path);
    if (allowed->values.size() > 0 &&
        std::find(allowed->values.begin(), allowed->values.end(), value) ==
            allowed->values.end()) {
      throw ConfigError(fmt::format("invalid {} {}: expected one of {}",
                                    value_path, quote(value),
                                    join_values(allowed->values)));
    }
    // Line breaks would end the header; Go's net/http writes them as
    // spaces, and so does the exporter.
    for (char& c : value) {
      if (c == '\r' || c == '\n') {
        c = ' ';
      }
    }
    config.headers.emplace(name, std::move(value));
  }
}

// Checks the form $2a$, $2b$ or $2y$, a two-digit cost from 04 to 31, a
// dollar sign and 53 characters of bcrypt's base64 alphabet.
bool is_bcrypt_hash(std::string_view hash) {
  constexpr std::size_t kLength = 60;
  if (hash.size() != kLength || hash[0] != '$' || hash[1] != '2' ||
      (hash[2] != 'a' && hash[2] != 'b' && hash[2] != 'y') || hash[3] != '$' ||
      hash[6] != '$') {
    return false;
  }
  const auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  if (!is_digit(hash[4]) || !is_digit(hash[5])) {
    return false;
  }
  const int cost = (hash[4] - '0') * 10 + (hash[5] - '0');
  if (cost < 4 || cost > 31) {
    return false;
  }
  for (const char c : hash.substr(7)) {
    const bool valid = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                       is_digit(c) || c == '.' || c == '/';
    if (!valid) {
      return false;
    }
  }
  return true;
}

std::map<std::string, Secret> parse_users(const YAML::Node& node) {
  constexpr std::string_view kPath = "basic_auth_users";
  std::map<std::string, Secret> users;
  if (config_text::is_empty(node)) {
    return users;
  }
  if (!node.IsMap()) {
    throw ConfigError(
        fmt::format("invalid {} {}: expected a map of user "
                    "names to bcrypt hashes",
                    kPath, describe(node)));
  }
  config_text::check_unique_keys(node, kPath);
  for (const auto& entry : node) {
    const std::string& user = entry.first.Scalar();
    // The hash is not quoted: it is as sensitive as a password.
    const bool valid = !config_text::is_empty(entry.second) &&
                       entry.second.IsScalar() &&
                       is_bcrypt_hash(entry.second.Scalar());
    if (!valid) {
      throw ConfigError(fmt::format(
          "invalid {} entry for user {}: expected a bcrypt hash that starts "
          "with $2a$, $2b$ or $2y$, as made by htpasswd -nBC 10 USER",
          kPath, quote(user)));
    }
    users.emplace(user, Secret(entry.second.Scalar()));
  }
  return users;
}

std::string digest_credentials(std::string_view user, std::string_view hash,
                               std::string_view password) {
  // Length prefixes keep ("ab", "c") and ("a", "bc") apart.
  std::string input;
  for (const std::string_view part : {user, hash, password}) {
    input += fmt::format("{}:", part.size());
    input += part;
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  if (EVP_Digest(input.data(), input.size(), digest.data(), &size, EVP_sha256(),
                 nullptr) != 1) {
    size = 0;
  }
  OPENSSL_cleanse(input.data(), input.size());
  return std::string(reinterpret_cast<const char*>(digest.data()), size);
}

// Decodes standard base64 with padding; nothing for malformed input.
std::optional<std::string> decode_base64(std::string_view text) {
  const auto value_of = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  if (text.size() % 4 != 0) {
    return std::nullopt;
  }
  std::string decoded;
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    std::uint32_t bits = 0;
    int padding = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      const char c = text[i + j];
      if (c == '=' && last && j >= 2) {
        ++padding;
        bits <<= 6;
        continue;
      }
      const int value = value_of(c);
      if (value < 0 || padding > 0) {
        return std::nullopt;
      }
      bits = (bits << 6) | static_cast<std::uint32_t>(value);
    }
    decoded += static_cast<char>((bits >> 16) & 0xff);
    if (padding < 2) decoded += static_cast<char>((bits >> 8) & 0xff);
    if (padding < 1) decoded += static_cast<char>(bits & 0xff);
  }
  return decoded;
}

template <class Table>
std::string openssl_names(const std::vector<std::string>& names,
                          const Table& table) {
  std::string list;
  for (const std::string& name : names) {
    for (const auto& entry : table) {
      if (entry.name == name && !entry.openssl_name.empty()) {
        if (!list.empty()) {
          list += ':';
        }
        list += entry.openssl_name;
      }
    }
  }
  return list;
}

}  // namespace

WebConfig parse_web_config(std::string_view yaml,
                           const std::filesystem::path& base_dir) {
  const YAML::Node root = config_text::parse_yaml(yaml);
  WebConfig config;
  if (config_text::is_empty(root)) {
    return config;
  }
  config_text::check_keys(
      root, "",
      {"tls_server_config", "http_server_config", "basic_auth_users"});
  config.tls = parse_tls_server_config(root["tls_server_config"], base_dir);
  parse_http_server_config(root["http_server_config"], config);
  config.basic_auth_users = parse_users(root["basic_auth_users"]);
  return config;
}

WebConfig load_web_config(const std::filesystem::path& file) {
  const std::string text =
      config_text::read_file(file, "--web.config.file", kMaxConfigFileBytes);
  try {
    return parse_web_config(text, file.parent_path());
  } catch (const ConfigError& error) {
    throw ConfigError(fmt::format("{}: {}", file.string(), error.what()));
  }
}

std::string describe_web_config(const WebConfig& config) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  if (config.tls) {
    const WebTlsConfig& tls = *config.tls;
    out << YAML::Key << "tls_server_config" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "cert_file" << YAML::Value << tls.cert_file.string();
    out << YAML::Key << "key_file" << YAML::Value << tls.key_file.string();
    out << YAML::Key << "client_auth_type" << YAML::Value
        << std::string(client_auth_name(tls.client_auth_type));
    out << YAML::Key << "client_ca_file" << YAML::Value
        << tls.client_ca_file.string();
    out << YAML::Key << "min_version" << YAML::Value
        << std::string(version_name(tls.min_version));
    out << YAML::Key << "max_version" << YAML::Value
        << std::string(version_name(tls.max_version));
    out << YAML::Key << "cipher_suites" << YAML::Value << YAML::Flow
        << tls.cipher_suites;
    out << YAML::Key << "curve_preferences" << YAML::Value << YAML::Flow
        << tls.curve_preferences;
    out << YAML::Key << "prefer_server_cipher_suites" << YAML::Value
        << tls.prefer_server_cipher_suites;
    out << YAML::Key << "client_allowed_sans" << YAML::Value << YAML::Flow
        << tls.client_allowed_sans;
    out << YAML::EndMap;
  }
  out << YAML::Key << "http_server_config" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "http2" << YAML::Value << config.http2;
  out << YAML::Key << "headers" << YAML::Value << config.headers;
  out << YAML::EndMap;
  out << YAML::Key << "basic_auth_users" << YAML::Value << YAML::BeginMap;
  for (const auto& [user, hash] : config.basic_auth_users) {
    out << YAML::Key << user << YAML::Value << "<secret>";
  }
  out << YAML::EndMap << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

std::string openssl_cipher_list(const WebTlsConfig& config) {
  return openssl_names(config.cipher_suites, kCipherSuites);
}

std::string openssl_groups_list(const WebTlsConfig& config) {
  return openssl_names(config.curve_preferences, kCurves);
}

std::string_view to_string(TlsVersion version) {
  return version_name(version);
}

std::string_view to_string(ClientAuthType type) {
  return client_auth_name(type);
}

int openssl_tls_version(TlsVersion version) {
  switch (version) {
    case TlsVersion::tls10:
      return TLS1_VERSION;
    case TlsVersion::tls11:
      return TLS1_1_VERSION;
    case TlsVersion::tls12:
      return TLS1_2_VERSION;
    case TlsVersion::tls13:
      return TLS1_3_VERSION;
  }
  return TLS1_2_VERSION;
}

bool verify_password(std::string_view bcrypt_hash, std::string_view password) {
  if (!is_bcrypt_hash(bcrypt_hash) || password.size() > kMaxPasswordBytes ||
      password.find('\0') != std::string_view::npos) {
    return false;
  }
  const std::string setting(bcrypt_hash);
  std::string phrase(password);

  // crypt_data is about 32 KiB: too big for a coroutine's stack.
  auto data = std::make_unique<crypt_data>();
  const char* result = crypt_r(phrase.c_str(), setting.c_str(), data.get());

  // libxcrypt returns a string that starts with '*' on failure.
  const bool matches =
      result != nullptr && result[0] != '*' &&
      std::strlen(result) == bcrypt_hash.size() &&
      CRYPTO_memcmp(result, bcrypt_hash.data(), bcrypt_hash.size()) == 0;
  OPENSSL_cleanse(data.get(), sizeof(crypt_data));
  OPENSSL_cleanse(phrase.data(), phrase.size());
  return matches;
}

BasicAuthenticator::BasicAuthenticator(std::map<std::string, Secret> users,
                                       std::size_t cache_capacity)
    : users_(users.begin(), users.end()), cache_capacity_(cache_capacity) {}

bool BasicAuthenticator::check(std::string_view user,
                               std::string_view password) const {
  const auto it = users_.find(user);
  const bool known = it != users_.end();
  const std::string_view hash = known ? it->second.reveal() : kDecoyHash;
  const std::string key = digest_credentials(user, hash, password);

  {
    std::lock_guard lock(cache_mutex_);
    if (const auto cached = cache_.find(key); cached != cache_.end()) {
      return cached->second;
    }
  }

  const bool valid = verify_password(hash, password) && known;

  {
    std::lock_guard lock(cache_mutex_);
    if (cache_capacity_ == 0) {
      return valid;
    }
    if (cache_.size() >= cache_capacity_) {
      cache_.erase(cache_.begin());
    }
    cache_.emplace(key, valid);
  }
  return valid;
}

bool BasicAuthenticator::check_header(std::string_view authorization) const {
  // The scheme name is case-insensitive (RFC 9110, section 11.1).
  constexpr std::string_view kScheme = "basic ";
  if (authorization.size() < kScheme.size()) {
    return false;
  }
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    const char c = authorization[i];
    const char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
    if (lower != kScheme[i]) {
      return false;
    }
  }
  std::string_view encoded = authorization.substr(kScheme.size());
  while (!encoded.empty() && encoded.front() == ' ') {
    encoded.remove_prefix(1);
  }
  while (!encoded.empty() && encoded.back() == ' ') {
    encoded.remove_suffix(1);
  }

  const auto decoded = decode_base64(encoded);
  if (!decoded) {
    return false;
  }
  const auto colon = decoded->find(':');
  if (colon == std::string::npos) {
    return false;
  }
  const std::string_view credentials(*decoded);
  return check(credentials.substr(0, colon), credentials.substr(colon + 1));
}

}  // namespace beyondtrust_exporter
