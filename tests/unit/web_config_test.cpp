#include "beyondtrust_exporter/web_config.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "beyondtrust_exporter/config.hpp"

namespace beyondtrust_exporter {
namespace {

const std::filesystem::path kFixtures =
    std::filesystem::path(BEYONDTRUST_EXPORTER_FIXTURES_DIR) / "config";

// Test-only hashes from `htpasswd -nbBC COST USER PASSWORD`.
constexpr std::string_view kHashCost10 =
    "$2y$10$HdT9AQDLeTChHlCC6ZNQZuZjMfMKAONaQ6KHYe3Ig70FtpBX.cqJa";
constexpr std::string_view kPasswordCost10 = "test-password";
constexpr std::string_view kHashCost4 =
    "$2y$04$QMxOmfba4bTlPJnR8Raz5eyDQa4W0q5E5YxShAWhc1.1ik.LRVGzi";
constexpr std::string_view kPasswordCost4 = "test-password-fast";

std::string parse_error(const std::string& yaml) {
  try {
    parse_web_config(yaml, kFixtures);
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "";
}

TEST(WebConfig, LoadsEveryField) {
  const WebConfig config = load_web_config(kFixtures / "web-full.yml");

  ASSERT_TRUE(config.tls.has_value());
  const WebTlsConfig& tls = *config.tls;
  EXPECT_EQ(tls.cert_file, kFixtures / "test-cert.pem");
  EXPECT_EQ(tls.key_file, kFixtures / "test-key.pem");
  EXPECT_EQ(tls.client_auth_type,
            ClientAuthType::require_and_verify_client_cert);
  EXPECT_EQ(tls.client_ca_file, kFixtures / "test-ca.pem");
  EXPECT_EQ(tls.min_version, TlsVersion::tls12);
  EXPECT_EQ(tls.max_version, TlsVersion::tls13);
  EXPECT_EQ(
      tls.cipher_suites,
      (std::vector<std::string>{"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
                                "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
                                "TLS_AES_128_GCM_SHA256"}));
  EXPECT_EQ(tls.curve_preferences,
            (std::vector<std::string>{"X25519", "CurveP256"}));
  EXPECT_FALSE(tls.prefer_server_cipher_suites);
  EXPECT_FALSE(config.http2);
  EXPECT_EQ(config.headers.size(), 5u);
  EXPECT_EQ(config.headers.at("X-Frame-Options"), "deny");
  EXPECT_EQ(config.headers.at("Content-Security-Policy"), "default-src 'self'");
  ASSERT_EQ(config.basic_auth_users.size(), 1u);
  EXPECT_EQ(config.basic_auth_users.at("prometheus").reveal(), kHashCost10);
}

TEST(WebConfig, EmptyFileMeansPlainHttp) {
  const WebConfig config = load_web_config(kFixtures / "web-empty.yml");

  EXPECT_FALSE(config.tls.has_value());
  EXPECT_TRUE(config.http2);
  EXPECT_TRUE(config.headers.empty());
  EXPECT_TRUE(config.basic_auth_users.empty());
}

TEST(WebConfig, DefaultsOfTlsBlock) {
  const WebConfig config = load_web_config(kFixtures / "web-tls.yml");

  ASSERT_TRUE(config.tls.has_value());
  EXPECT_EQ(config.tls->client_auth_type, ClientAuthType::no_client_cert);
  EXPECT_EQ(config.tls->min_version, TlsVersion::tls12);
  EXPECT_EQ(config.tls->max_version, TlsVersion::tls13);
  EXPECT_TRUE(config.tls->prefer_server_cipher_suites);
  EXPECT_TRUE(config.tls->cipher_suites.empty());
}

TEST(WebConfig, EmptyCertPathsMeanNoTls) {
  const WebConfig config = parse_web_config(
      "tls_server_config:\n  cert_file: \"\"\n  key_file: \"\"\n", kFixtures);

  EXPECT_FALSE(config.tls.has_value());
}

TEST(WebConfig, AllowedSans) {
  const WebConfig config = load_web_config(kFixtures / "web-allowed-sans.yml");

  ASSERT_TRUE(config.tls.has_value());
  EXPECT_EQ(config.tls->client_allowed_sans,
            std::vector<std::string>{"prometheus.example.com"});
}

TEST(WebConfig, AcceptsWhatPromtoolAccepts) {
  if (!std::filesystem::exists("/usr/bin/promtool")) {
    GTEST_SKIP() << "promtool is not installed";
  }
  for (const char* name :
       {"web-full.yml", "web-basic-auth.yml", "web-tls.yml", "web-empty.yml"}) {
    const std::string file = (kFixtures / name).string();
    const std::string command =
        "/usr/bin/promtool check web-config '" + file + "' >/dev/null 2>&1";
    EXPECT_EQ(std::system(command.c_str()), 0) << name;
    EXPECT_NO_THROW(load_web_config(file)) << name;
  }
}

TEST(ExampleWebConfig, Loads) {
  // The example reads tls.crt and tls.key next to itself.
  const std::filesystem::path dir =
      std::filesystem::path(testing::TempDir()) / "example_web_config";
  std::filesystem::create_directories(dir);
  const auto copy = [&](const std::filesystem::path& from, const char* to) {
    std::filesystem::copy_file(
        from, dir / to, std::filesystem::copy_options::overwrite_existing);
  };
  copy(std::filesystem::path(BEYONDTRUST_EXPORTER_SOURCE_DIR) /
           "deploy/web-config.yml",
       "web-config.yml");
  copy(kFixtures / "test-cert.pem", "tls.crt");
  copy(kFixtures / "test-key.pem", "tls.key");

  const WebConfig config = load_web_config(dir / "web-config.yml");

  ASSERT_TRUE(config.tls.has_value());
  EXPECT_EQ(config.tls->cert_file, dir / "tls.crt");
  EXPECT_EQ(config.headers.size(), 3u);
  EXPECT_EQ(config.basic_auth_users.size(), 1u);
  if (std::filesystem::exists("/usr/bin/promtool")) {
    const std::string command = "/usr/bin/promtool check web-config '" +
                                (dir / "web-config.yml").string() +
                                "' >/dev/null 2>&1";
    EXPECT_EQ(std::system(command.c_str()), 0);
  }
}

struct BadWebConfig {
  std::string yaml;
  std::string error;
};

TEST(WebConfig, RejectsBadConfigsWithExactError) {
  const std::string cert =
      "  cert_file: test-cert.pem\n"
      "  key_file: test-key.pem\n";
  const BadWebConfig cases[] = {
      {"- a\n",
       "invalid the top level (a list): expected a map with keys "
       "tls_server_config, http_server_config, basic_auth_users"},
      {"tls_config: {}\n",
       "unknown key \"tls_config\" in the top level: allowed keys are "
       "tls_server_config, http_server_config, basic_auth_users"},
      {"tls_server_config:\n  key_file: test-key.pem\n",
       "missing tls_server_config.cert_file: TLS is configured, so expected "
       "a PEM certificate file"},
      {"tls_server_config:\n  cert_file: test-cert.pem\n",
       "missing tls_server_config.key_file: TLS is configured, so expected a "
       "PEM private key file"},
      {"tls_server_config:\n  client_ca_file: test-ca.pem\n",
       "missing tls_server_config.cert_file: TLS is configured, so expected "
       "a PEM certificate file"},
      {"tls_server_config:\n  cert_file: test-cert.pem\n"
       "  key_file: nope.pem\n",
       "invalid tls_server_config.key_file \"" +
           (kFixtures / "nope.pem").string() + "\": file not found"},
      {"tls_server_config:\n  cert_file: test-cert.pem\n"
       "  key_file: other-key.pem\n",
       "invalid tls_server_config.key_file \"" +
           (kFixtures / "other-key.pem").string() +
           "\": expected the key of cert_file \"" +
           (kFixtures / "test-cert.pem").string() + "\" (key values mismatch)"},
      {"tls_server_config:\n  cert_file: client-secret.txt\n"
       "  key_file: test-key.pem\n",
       "invalid tls_server_config.cert_file \"" +
           (kFixtures / "client-secret.txt").string() +
           "\": expected a PEM certificate (no start line)"},
      {"tls_server_config:\n" + cert + "  client_auth_type: Foo\n",
       "invalid tls_server_config.client_auth_type \"Foo\": expected one of "
       "NoClientCert, RequestClientCert, RequireAnyClientCert, "
       "VerifyClientCertIfGiven, RequireAndVerifyClientCert"},
      {"tls_server_config:\n" + cert + "  client_ca_file: test-ca.pem\n",
       "invalid tls_server_config.client_auth_type \"NoClientCert\": "
       "client_ca_file is set, so expected RequestClientCert, "
       "RequireAnyClientCert, VerifyClientCertIfGiven or "
       "RequireAndVerifyClientCert"},
      {"tls_server_config:\n" + cert +
           "  client_auth_type: VerifyClientCertIfGiven\n"
           "  client_allowed_sans: [a]\n",
       "invalid tls_server_config.client_auth_type "
       "\"VerifyClientCertIfGiven\": client_allowed_sans is set, so expected "
       "RequireAnyClientCert or RequireAndVerifyClientCert"},
      {"tls_server_config:\n" + cert + "  min_version: TLS14\n",
       "invalid tls_server_config.min_version \"TLS14\": expected one of "
       "TLS10, TLS11, TLS12, TLS13"},
      {"tls_server_config:\n" + cert +
           "  cipher_suites: [TLS_RSA_WITH_3DES_EDE_CBC_SHA]\n",
       "invalid tls_server_config.cipher_suites[0] "
       "\"TLS_RSA_WITH_3DES_EDE_CBC_SHA\": expected one of "
       "TLS_RSA_WITH_AES_128_CBC_SHA, TLS_RSA_WITH_AES_256_CBC_SHA, "
       "TLS_RSA_WITH_AES_128_GCM_SHA256, TLS_RSA_WITH_AES_256_GCM_SHA384, "
       "TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, "
       "TLS_CHACHA20_POLY1305_SHA256, TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, "
       "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, "
       "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, "
       "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA, "
       "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, "
       "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, "
       "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, "
       "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, "
       "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, "
       "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"},
      {"tls_server_config:\n" + cert + "  curve_preferences: [X448]\n",
       "invalid tls_server_config.curve_preferences[0] \"X448\": expected one "
       "of CurveP256, CurveP384, CurveP521, X25519"},
      {"http_server_config:\n  headers:\n    Server: x\n",
       "invalid header \"Server\" in http_server_config.headers: expected one "
       "of Content-Security-Policy, Strict-Transport-Security, "
       "X-Content-Type-Options, X-Frame-Options, X-XSS-Protection"},
      {"http_server_config:\n  headers:\n    x-frame-options: deny\n",
       "invalid header \"x-frame-options\" in http_server_config.headers: "
       "expected one of Content-Security-Policy, Strict-Transport-Security, "
       "X-Content-Type-Options, X-Frame-Options, X-XSS-Protection"},
      {"http_server_config:\n  headers:\n    X-Frame-Options: DENY\n",
       "invalid http_server_config.headers.X-Frame-Options \"DENY\": expected "
       "one of deny, sameorigin"},
      {"http_server_config:\n  headers:\n    X-Content-Type-Options: x\n",
       "invalid http_server_config.headers.X-Content-Type-Options \"x\": "
       "expected one of nosniff"},
      {"http_server_config:\n  http2: sometimes\n",
       "invalid http_server_config.http2 \"sometimes\": expected true or "
       "false"},
      {"basic_auth_users:\n  alice: not-a-hash\n",
       "invalid basic_auth_users entry for user \"alice\": expected a bcrypt "
       "hash that starts with $2a$, $2b$ or $2y$, as made by htpasswd -nBC 10 "
       "USER"},
      {"basic_auth_users:\n  alice:\n",
       "invalid basic_auth_users entry for user \"alice\": expected a bcrypt "
       "hash that starts with $2a$, $2b$ or $2y$, as made by htpasswd -nBC 10 "
       "USER"},
      {"basic_auth_users: [alice]\n",
       "invalid basic_auth_users (a list): expected a map of user names to "
       "bcrypt hashes"},
      {"tls_server_config: {}\ntls_server_config: {}\n",
       "duplicate key \"tls_server_config\" in the top level: each key may "
       "appear once"},
  };
  for (const BadWebConfig& bad : cases) {
    EXPECT_EQ(parse_error(bad.yaml), bad.error) << bad.yaml;
  }
}

TEST(WebConfig, ErrorNeverShowsHash) {
  const std::string hash(kHashCost10.substr(0, 50));
  const std::string error =
      parse_error("basic_auth_users:\n  alice: '" + hash + "'\n");

  EXPECT_NE(error, "");
  EXPECT_EQ(error.find(hash), std::string::npos);
}

TEST(WebConfig, DescribeMasksHashes) {
  const WebConfig config = load_web_config(kFixtures / "web-full.yml");
  const std::string text = describe_web_config(config);

  EXPECT_EQ(text.find(kHashCost10), std::string::npos);
  EXPECT_NE(text.find("prometheus: <secret>"), std::string::npos);
}

TEST(WebConfig, OpensslNames) {
  const WebConfig config = load_web_config(kFixtures / "web-full.yml");

  ASSERT_TRUE(config.tls.has_value());
  EXPECT_EQ(openssl_cipher_list(*config.tls),
            "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305");
  EXPECT_EQ(openssl_groups_list(*config.tls), "X25519:P-256");
}

TEST(VerifyPassword, MatchesRightPassword) {
  EXPECT_TRUE(verify_password(kHashCost10, kPasswordCost10));
  EXPECT_TRUE(verify_password(kHashCost4, kPasswordCost4));
}

TEST(VerifyPassword, RejectsWrongPassword) {
  EXPECT_FALSE(verify_password(kHashCost4, "test-password-fasT"));
  EXPECT_FALSE(verify_password(kHashCost4, ""));
}

TEST(VerifyPassword, RejectsMalformedHash) {
  EXPECT_FALSE(verify_password("", kPasswordCost4));
  EXPECT_FALSE(verify_password("$1$abc$def", kPasswordCost4));
  EXPECT_FALSE(verify_password(kHashCost4.substr(0, 59), kPasswordCost4));
}

TEST(VerifyPassword, RejectsPasswordWithNul) {
  std::string password(kPasswordCost4);
  password += '\0';
  EXPECT_FALSE(verify_password(kHashCost4, password));
}

TEST(VerifyPassword, RejectsPasswordOver72Bytes) {
  EXPECT_FALSE(verify_password(
      kHashCost4, std::string(kPasswordCost4) + std::string(60, 'x')));
}

TEST(BasicAuthenticator, ChecksUsers) {
  const WebConfig config = load_web_config(kFixtures / "web-basic-auth.yml");
  const BasicAuthenticator auth(config.basic_auth_users);

  EXPECT_TRUE(auth.enabled());
  EXPECT_TRUE(auth.check("fast", kPasswordCost4));
  EXPECT_FALSE(auth.check("fast", kPasswordCost10));
  EXPECT_FALSE(auth.check("nobody", kPasswordCost4));
  EXPECT_FALSE(auth.check("prometheus", kPasswordCost4));
}

TEST(BasicAuthenticator, DisabledWithoutUsers) {
  const BasicAuthenticator auth({});

  EXPECT_FALSE(auth.enabled());
}

TEST(BasicAuthenticator, CachedCheckIsFast) {
  const BasicAuthenticator auth(
      {{"prometheus", Secret(std::string(kHashCost10))}});
  ASSERT_TRUE(auth.check("prometheus", kPasswordCost10));

  // A cost-10 bcrypt check takes tens of milliseconds; 100 cached checks
  // take far less than one.
  const auto start = std::chrono::steady_clock::now();
  bool all_valid = true;
  for (int i = 0; i < 100; ++i) {
    all_valid = all_valid && auth.check("prometheus", kPasswordCost10);
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;

  EXPECT_TRUE(all_valid);
  EXPECT_LT(elapsed, std::chrono::milliseconds(20));
}

TEST(BasicAuthenticator, CacheKeepsWrongResults) {
  const BasicAuthenticator auth({{"fast", Secret(std::string(kHashCost4))}}, 2);

  EXPECT_FALSE(auth.check("fast", "wrong"));
  EXPECT_FALSE(auth.check("fast", "wrong"));
  EXPECT_TRUE(auth.check("fast", kPasswordCost4));
  EXPECT_FALSE(auth.check("fast", "other"));
  EXPECT_TRUE(auth.check("fast", kPasswordCost4));
}

TEST(BasicAuthenticator, ChecksHeader) {
  const BasicAuthenticator auth({{"fast", Secret(std::string(kHashCost4))}});

  // base64("fast:test-password-fast")
  EXPECT_TRUE(auth.check_header("Basic ZmFzdDp0ZXN0LXBhc3N3b3JkLWZhc3Q="));
  EXPECT_TRUE(auth.check_header("basic ZmFzdDp0ZXN0LXBhc3N3b3JkLWZhc3Q="));
  EXPECT_FALSE(auth.check_header("Bearer ZmFzdDp0ZXN0LXBhc3N3b3JkLWZhc3Q="));
  EXPECT_FALSE(auth.check_header("Basic ZmFzdDp0ZXN0LXBhc3N3b3JkLWZhc3Q"));
  EXPECT_FALSE(auth.check_header("Basic !!!!"));
  EXPECT_FALSE(auth.check_header("Basic "));
  EXPECT_FALSE(auth.check_header(""));
  // base64("fast") has no colon.
  EXPECT_FALSE(auth.check_header("Basic ZmFzdA=="));
}

}  // namespace
}  // namespace beyondtrust_exporter
