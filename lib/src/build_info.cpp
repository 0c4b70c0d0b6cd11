#include "beyondtrust_exporter/build_info.hpp"

#include <openssl/crypto.h>

#include <boost/version.hpp>
#include <string>

#ifndef BEYONDTRUST_EXPORTER_VERSION
#define BEYONDTRUST_EXPORTER_VERSION "unknown"
#endif
#ifndef BEYONDTRUST_EXPORTER_REVISION
#define BEYONDTRUST_EXPORTER_REVISION "unknown"
#endif
// prometheus-cpp 1.0 has no version macro, so the build passes the version
// that its pkg-config file states.
#ifndef BEYONDTRUST_EXPORTER_PROMETHEUS_CPP_VERSION
#define BEYONDTRUST_EXPORTER_PROMETHEUS_CPP_VERSION "unknown"
#endif

namespace beyondtrust_exporter {
namespace {

std::string boost_version() {
  return std::to_string(BOOST_VERSION / 100000) + "." +
         std::to_string(BOOST_VERSION / 100 % 1000) + "." +
         std::to_string(BOOST_VERSION % 100);
}

std::string compiler() {
#if defined(__clang__)
  return "clang-" + std::to_string(__clang_major__) + "." +
         std::to_string(__clang_minor__) + "." +
         std::to_string(__clang_patchlevel__);
#elif defined(__GNUC__)
  return "gcc-" + std::to_string(__GNUC__) + "." +
         std::to_string(__GNUC_MINOR__) + "." +
         std::to_string(__GNUC_PATCHLEVEL__);
#else
  return "unknown";
#endif
}

BuildInfo make_build_info() {
  BuildInfo info;
  info.version = BEYONDTRUST_EXPORTER_VERSION;
  info.revision = BEYONDTRUST_EXPORTER_REVISION;
  info.boost_version = boost_version();
  // OPENSSL_VERSION_STRING is the bare version ("3.0.11") since OpenSSL 3.
  info.openssl_version = OpenSSL_version(OPENSSL_VERSION_STRING);
  info.prometheus_cpp_version = BEYONDTRUST_EXPORTER_PROMETHEUS_CPP_VERSION;
  info.compiler = compiler();
  return info;
}

}  // namespace

const BuildInfo& build_info() {
  static const BuildInfo info = make_build_info();
  return info;
}

}  // namespace beyondtrust_exporter
