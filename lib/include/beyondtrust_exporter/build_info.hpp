#pragma once

#include <string>

namespace beyondtrust_exporter {

// Versions of this binary and of the libraries it was built with: the
// labels of beyondtrust_exporter_build_info, also for --version and the
// landing page.
struct BuildInfo {
  std::string version;                 // the project version, e.g. 0.1.0
  std::string revision;                // short git commit, or "unknown"
  std::string boost_version;           // e.g. 1.81.0, from the headers
  std::string openssl_version;         // of the library loaded at run time
  std::string prometheus_cpp_version;  // from pkg-config, or "unknown"
  std::string compiler;                // e.g. gcc-12.2.0 or clang-14.0.6

  friend bool operator==(const BuildInfo&, const BuildInfo&) = default;
};

// Returns the build information of this binary. Thread-safe.
const BuildInfo& build_info();

}  // namespace beyondtrust_exporter
