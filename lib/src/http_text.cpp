#include "http_text.hpp"

#include <algorithm>

#include <openssl/evp.h>

namespace beyondtrust_exporter::http_text {

std::string_view trim(std::string_view text) noexcept {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
    text.remove_suffix(1);
  }
  return text;
}

std::string base64_encode(std::string_view input) {
  std::string output(4 * ((input.size() + 2) / 3), '\0');
  int written =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(output.data()),
                      reinterpret_cast<const unsigned char*>(input.data()),
                      static_cast<int>(input.size()));
  output.resize(static_cast<std::size_t>(std::max(written, 0)));
  return output;
}

}  // namespace beyondtrust_exporter::http_text
