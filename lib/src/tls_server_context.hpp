#pragma once

#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include "beyondtrust_exporter/http_server.hpp"

namespace beyondtrust_exporter {

// Builds the server TLS context of `config`. Throws std::runtime_error that
// names the setting and the value when a setting is invalid or a file cannot
// be loaded.
std::shared_ptr<boost::asio::ssl::context> make_tls_server_context(
    const HttpServerTlsConfig& config);

// The server TLS context, rebuilt when the certificate, key or client CA
// file changes on disk, like the exporter-toolkit reloads them. A file that
// changed into something invalid is logged and the previous context stays.
// Not thread-safe.
class TlsServerContextSource {
 public:
  // Builds the first context; throws as make_tls_server_context does.
  TlsServerContextSource(HttpServerTlsConfig config,
                         std::chrono::milliseconds check_interval);

  // Returns the context for a new connection. Checks the files first when
  // the previous check is older than the check interval.
  std::shared_ptr<boost::asio::ssl::context> current();

 private:
  struct FileState {
    bool exists = false;
    std::filesystem::file_time_type modified{};
    std::uintmax_t size = 0;

    friend bool operator==(const FileState&, const FileState&) = default;
  };

  std::vector<FileState> read_file_states() const;

  HttpServerTlsConfig config_;
  std::chrono::milliseconds check_interval_;
  std::chrono::steady_clock::time_point last_check_;
  std::vector<FileState> file_states_;
  std::shared_ptr<boost::asio::ssl::context> context_;
};

}  // namespace beyondtrust_exporter
