#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>

#include "beyondtrust_simulator/simulator.hpp"

extern char** environ;

namespace beyondtrust_simulator {

TestCertificates test_certificates_in(const std::filesystem::path& dir) {
  const auto file = [&](const char* name) { return (dir / name).string(); };
  TestCertificates certificates;
  certificates.dir = dir;
  certificates.ca_file = file("ca.pem");
  certificates.server_cert = file("server.pem");
  certificates.server_key = file("server-key.pem");
  certificates.unknown_ca_file = file("unknown-ca.pem");
  certificates.unknown_ca_server_cert = file("unknown-ca-server.pem");
  certificates.unknown_ca_server_key = file("unknown-ca-server-key.pem");
  certificates.wrong_host_cert = file("wrong-host.pem");
  certificates.wrong_host_key = file("wrong-host-key.pem");
  certificates.expired_cert = file("expired.pem");
  certificates.expired_key = file("expired-key.pem");
  certificates.client_cert = file("client.pem");
  certificates.client_key = file("client-key.pem");
  return certificates;
}

TestCertificates make_test_certificates(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  const std::string script = BEYONDTRUST_SIMULATOR_CERT_SCRIPT;
  const std::string dir_text = dir.string();
  std::string shell = "/bin/sh";
  char* const argv[] = {shell.data(), const_cast<char*>(script.c_str()),
                        const_cast<char*>(dir_text.c_str()), nullptr};

  pid_t child = 0;
  const int spawn_error =
      posix_spawn(&child, shell.c_str(), nullptr, nullptr, argv, environ);
  if (spawn_error != 0) {
    throw std::runtime_error(
        fmt::format("failed to run {}: {}", script,
                    std::generic_category().message(spawn_error)));
  }
  int status = 0;
  while (waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) {
      throw std::runtime_error("failed to wait for " + script);
    }
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error(fmt::format(
        "{} failed with status {}; is the openssl command installed?", script,
        status));
  }
  return test_certificates_in(dir);
}

TestCertificates make_test_certificates() {
  std::string pattern =
      (std::filesystem::temp_directory_path() / "beyondtrust-simulator-XXXXXX")
          .string();
  if (mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("failed to create a temporary folder in " +
                             std::filesystem::temp_directory_path().string());
  }
  return make_test_certificates(pattern);
}

const TestCertificates& shared_test_certificates() {
  static std::once_flag once;
  static TestCertificates certificates;
  std::call_once(once, [] { certificates = make_test_certificates(); });
  return certificates;
}

}  // namespace beyondtrust_simulator
