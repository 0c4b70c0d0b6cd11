// Feeds arbitrary bytes to the config file and web config parsers. Both
// may reject the input only with ConfigError; any other exception, a
// crash or a sanitizer report is a bug.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string_view>

#include "beyondtrust_exporter/config.hpp"
#include "beyondtrust_exporter/config_loader.hpp"
#include "beyondtrust_exporter/logging.hpp"
#include "beyondtrust_exporter/web_config.hpp"

namespace {

// Relative paths in the input resolve against a folder that does not
// exist, so the run does not depend on the working directory.
const std::filesystem::path kBaseDir = "/nonexistent-config-fuzz-dir";

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Warnings about odd but valid web configs would flood the output.
  beyondtrust_exporter::logging::configure(
      beyondtrust_exporter::LogLevel::error,
      beyondtrust_exporter::LogFormat::logfmt);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    beyondtrust_exporter::parse_config(text, beyondtrust_exporter::Settings(),
                                       kBaseDir);
  } catch (const beyondtrust_exporter::ConfigError&) {
  }
  try {
    beyondtrust_exporter::parse_web_config(text, kBaseDir);
  } catch (const beyondtrust_exporter::ConfigError&) {
  }
  return 0;
}
