#include "tls_server_context.hpp"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <array>
#include <boost/asio/ip/address.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "beyondtrust_exporter/logging.hpp"

namespace beyondtrust_exporter {
namespace {

namespace ssl = boost::asio::ssl;

// Shared by every context, so a session cached under one context is not
// resumed with different verification settings after a reload.
constexpr std::string_view session_id_context = "beyondtrust_exporter";

[[noreturn]] void throw_setting_error(std::string_view setting,
                                      std::string_view value,
                                      std::string_view problem) {
  throw std::runtime_error(fmt::format(
      "invalid tls_server_config {} \"{}\": {}", setting, value, problem));
}

// Returns the reason of the latest OpenSSL error, or the message of `error`.
std::string openssl_error(const boost::system::error_code& error) {
  const unsigned long code = ERR_peek_last_error();
  ERR_clear_error();
  if (code != 0) {
    std::array<char, 256> text{};
    ERR_error_string_n(code, text.data(), text.size());
    return text.data();
  }
  return error.message();
}

int parse_tls_version(std::string_view setting, const std::string& value,
                      int default_version) {
  if (value.empty()) return default_version;
  if (value == "TLS10") return TLS1_VERSION;
  if (value == "TLS11") return TLS1_1_VERSION;
  if (value == "TLS12") return TLS1_2_VERSION;
  if (value == "TLS13") return TLS1_3_VERSION;
  throw_setting_error(setting, value, "expected TLS10, TLS11, TLS12 or TLS13");
}

// Maps Go's cipher suite names, which are the IANA names, onto OpenSSL's
// names; Go also accepts the ChaCha20 suites without their "_SHA256" suffix.
std::string openssl_cipher_list(SSL_CTX* context,
                                const std::vector<std::string>& suites) {
  STACK_OF(SSL_CIPHER)* known = SSL_CTX_get_ciphers(context);
  std::string list;
  for (const std::string& suite : suites) {
    const SSL_CIPHER* found = nullptr;
    for (int i = 0; i < sk_SSL_CIPHER_num(known) && found == nullptr; ++i) {
      const SSL_CIPHER* cipher = sk_SSL_CIPHER_value(known, i);
      const std::string_view iana = SSL_CIPHER_standard_name(cipher);
      if (iana == suite || iana == suite + "_SHA256") found = cipher;
    }
    if (found == nullptr) {
      throw_setting_error("cipher_suites", suite,
                          "not a TLS 1.2 cipher suite that OpenSSL supports");
    }
    // TLS 1.3 suites are fixed, as in Go, so they are left out here.
    if (std::string_view(SSL_CIPHER_get_version(found)) == "TLSv1.3") continue;
    if (!list.empty()) list += ':';
    list += SSL_CIPHER_get_name(found);
  }
  return list;
}

std::string openssl_groups_list(const std::vector<std::string>& curves) {
  std::string list;
  for (const std::string& curve : curves) {
    std::string_view group;
    if (curve == "CurveP256") {
      group = "P-256";
    } else if (curve == "CurveP384") {
      group = "P-384";
    } else if (curve == "CurveP521") {
      group = "P-521";
    } else if (curve == "X25519") {
      group = "X25519";
    } else {
      throw_setting_error("curve_preferences", curve,
                          "expected CurveP256, CurveP384, CurveP521 or X25519");
    }
    if (!list.empty()) list += ':';
    list += group;
  }
  return list;
}

// The text of one subject alternative name as Go prints it, or "".
std::string general_name_text(const GENERAL_NAME* name) {
  if (name->type == GEN_DNS || name->type == GEN_EMAIL ||
      name->type == GEN_URI) {
    const ASN1_IA5STRING* text = name->d.ia5;
    return std::string(
        reinterpret_cast<const char*>(ASN1_STRING_get0_data(text)),
        static_cast<std::size_t>(ASN1_STRING_length(text)));
  }
  if (name->type == GEN_IPADD) {
    const unsigned char* bytes = ASN1_STRING_get0_data(name->d.ip);
    const int length = ASN1_STRING_length(name->d.ip);
    if (length == 4) {
      boost::asio::ip::address_v4::bytes_type v4;
      std::copy_n(bytes, 4, v4.begin());
      return boost::asio::ip::address_v4(v4).to_string();
    }
    if (length == 16) {
      boost::asio::ip::address_v6::bytes_type v6;
      std::copy_n(bytes, 16, v6.begin());
      return boost::asio::ip::address_v6(v6).to_string();
    }
  }
  return "";
}

bool has_allowed_san(X509* certificate,
                     const std::vector<std::string>& allowed) {
  auto* names = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr));
  if (names == nullptr) return false;
  bool found = false;
  for (int i = 0; i < sk_GENERAL_NAME_num(names) && !found; ++i) {
    const std::string text = general_name_text(sk_GENERAL_NAME_value(names, i));
    found = !text.empty() &&
            std::find(allowed.begin(), allowed.end(), text) != allowed.end();
  }
  GENERAL_NAMES_free(names);
  return found;
}

void configure_client_auth(ssl::context& context,
                           const HttpServerTlsConfig& config) {
  const std::string& mode = config.client_auth_type;
  bool verify = false;
  ssl::verify_mode verify_mode = ssl::verify_none;
  if (mode.empty() || mode == "NoClientCert") {
    if (!config.client_ca_file.empty()) {
      throw_setting_error("client_ca_file", config.client_ca_file,
                          "needs a client_auth_type other than NoClientCert");
    }
    context.set_verify_mode(ssl::verify_none);
    return;
  } else if (mode == "RequestClientCert") {
    verify_mode = ssl::verify_peer;
  } else if (mode == "RequireAnyClientCert" || mode == "RequireClientCert") {
    verify_mode = ssl::verify_peer | ssl::verify_fail_if_no_peer_cert;
  } else if (mode == "VerifyClientCertIfGiven") {
    verify_mode = ssl::verify_peer;
    verify = true;
  } else if (mode == "RequireAndVerifyClientCert") {
    verify_mode = ssl::verify_peer | ssl::verify_fail_if_no_peer_cert;
    verify = true;
  } else {
    throw_setting_error("client_auth_type", mode,
                        "expected NoClientCert, RequestClientCert, "
                        "RequireAnyClientCert, VerifyClientCertIfGiven or "
                        "RequireAndVerifyClientCert");
  }
  context.set_verify_mode(verify_mode);

  boost::system::error_code error;
  if (!config.client_ca_file.empty()) {
    context.load_verify_file(config.client_ca_file, error);
    if (error) {
      throw_setting_error("client_ca_file", config.client_ca_file,
                          openssl_error(error));
    }
    // The CA names sent in the certificate request, so clients pick a
    // matching certificate.
    STACK_OF(X509_NAME)* names =
        SSL_load_client_CA_file(config.client_ca_file.c_str());
    if (names != nullptr) {
      SSL_CTX_set_client_CA_list(context.native_handle(), names);
    }
  } else if (verify) {
    // Without a client CA file, Go verifies against the system roots.
    context.set_default_verify_paths(error);
  }

  if (!verify) {
    // Request*ClientCert modes take any certificate without checking it.
    context.set_verify_callback(
        [](bool, ssl::verify_context&) { return true; });
    return;
  }
  if (!config.client_allowed_sans.empty()) {
    context.set_verify_callback([allowed = config.client_allowed_sans](
                                    bool preverified,
                                    ssl::verify_context& verify_context) {
      X509_STORE_CTX* store = verify_context.native_handle();
      if (!preverified || X509_STORE_CTX_get_error_depth(store) != 0) {
        return preverified;
      }
      return has_allowed_san(X509_STORE_CTX_get_current_cert(store), allowed);
    });
  }
}

}  // namespace

std::shared_ptr<ssl::context> make_tls_server_context(
    const HttpServerTlsConfig& config) {
  if (config.cert_file.empty()) {
    throw_setting_error("cert_file", "", "missing, but key_file is set");
  }
  if (config.key_file.empty()) {
    throw_setting_error("key_file", "", "missing, but cert_file is set");
  }

  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = context->native_handle();
  context->set_options(ssl::context::default_workarounds |
                       ssl::context::no_compression |
                       ssl::context::single_dh_use);
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION);
  if (config.prefer_server_cipher_suites) {
    SSL_CTX_set_options(native, SSL_OP_CIPHER_SERVER_PREFERENCE);
  }

  // Protocol versions: at least TLS 1.2 unless configured otherwise.
  const int min_version =
      parse_tls_version("min_version", config.min_version, TLS1_2_VERSION);
  const int max_version =
      parse_tls_version("max_version", config.max_version, 0);
  if (max_version != 0 && max_version < min_version) {
    throw_setting_error("max_version", config.max_version,
                        "lower than min_version");
  }
  SSL_CTX_set_min_proto_version(native, min_version);
  SSL_CTX_set_max_proto_version(native, max_version);

  if (!config.cipher_suites.empty()) {
    const std::string list = openssl_cipher_list(native, config.cipher_suites);
    if (!list.empty() && SSL_CTX_set_cipher_list(native, list.c_str()) != 1) {
      throw_setting_error("cipher_suites", list, openssl_error({}));
    }
  }
  if (!config.curve_preferences.empty()) {
    const std::string list = openssl_groups_list(config.curve_preferences);
    if (SSL_CTX_set1_groups_list(native, list.c_str()) != 1) {
      throw_setting_error("curve_preferences", list, openssl_error({}));
    }
  }

  // The certificate chain and its key.
  boost::system::error_code error;
  context->use_certificate_chain_file(config.cert_file, error);
  if (error) {
    throw_setting_error("cert_file", config.cert_file, openssl_error(error));
  }
  context->use_private_key_file(config.key_file, ssl::context::pem, error);
  if (error) {
    throw_setting_error("key_file", config.key_file, openssl_error(error));
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    throw_setting_error("key_file", config.key_file,
                        "does not match the certificate in cert_file");
  }

  configure_client_auth(*context, config);
  SSL_CTX_set_session_id_context(
      native, reinterpret_cast<const unsigned char*>(session_id_context.data()),
      static_cast<unsigned int>(session_id_context.size()));
  return context;
}

TlsServerContextSource::TlsServerContextSource(
    HttpServerTlsConfig config, std::chrono::milliseconds check_interval)
    : config_(std::move(config)),
      check_interval_(check_interval),
      last_check_(std::chrono::steady_clock::now()),
      file_states_(read_file_states()),
      context_(make_tls_server_context(config_)) {}

std::shared_ptr<ssl::context> TlsServerContextSource::current() {
  const auto now = std::chrono::steady_clock::now();
  if (now - last_check_ < check_interval_) return context_;
  last_check_ = now;

  std::vector<FileState> states = read_file_states();
  if (states == file_states_) return context_;
  // Remembered even when loading fails, so one bad change logs once.
  file_states_ = std::move(states);

  try {
    context_ = make_tls_server_context(config_);
    logging::info("reloaded the TLS certificate",
                  {{"cert_file", config_.cert_file}});
  } catch (const std::runtime_error& e) {
    logging::warn("failed to reload the TLS certificate, keeping the old one",
                  {{"cert_file", config_.cert_file}, {"error", e.what()}});
  }
  return context_;
}

std::vector<TlsServerContextSource::FileState>
TlsServerContextSource::read_file_states() const {
  std::vector<FileState> states;
  for (const std::string* path :
       {&config_.cert_file, &config_.key_file, &config_.client_ca_file}) {
    FileState state;
    std::error_code error;
    if (!path->empty()) {
      state.modified = std::filesystem::last_write_time(*path, error);
      state.exists = !error;
      if (state.exists) state.size = std::filesystem::file_size(*path, error);
    }
    states.push_back(state);
  }
  return states;
}

}  // namespace beyondtrust_exporter
