#include "beyondtrust_exporter/gzip.hpp"

#include <zlib.h>

#include <boost/algorithm/string/predicate.hpp>
#include <cstddef>

namespace beyondtrust_exporter {
namespace {

// windowBits 15 plus 16 makes deflate write a gzip header and trailer.
constexpr int gzip_window_bits = 15 + 16;
constexpr int memory_level = 8;  // zlib's default

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
    text.remove_suffix(1);
  }
  return text;
}

// Parses a q-value ("1", "0.5", "0.000") into thousandths, or returns -1
// when it is invalid. RFC 9110 allows at most three decimals.
int parse_q_value_thousandths(std::string_view text) {
  if (text.empty() || (text[0] != '0' && text[0] != '1')) return -1;
  int value = (text[0] - '0') * 1000;
  text.remove_prefix(1);
  if (text.empty()) return value;
  if (text[0] != '.' || text.size() > 4) return -1;
  text.remove_prefix(1);
  int scale = 100;
  for (char digit : text) {
    if (digit < '0' || digit > '9') return -1;
    value += (digit - '0') * scale;
    scale /= 10;
  }
  return value > 1000 ? -1 : value;
}

}  // namespace

std::optional<std::string> gzip_compress(std::string_view input, int level) {
  z_stream stream{};
  if (deflateInit2(&stream, level, Z_DEFLATED, gzip_window_bits, memory_level,
                   Z_DEFAULT_STRATEGY) != Z_OK) {
    return std::nullopt;
  }

  std::string output(deflateBound(&stream, input.size()), '\0');
  // zlib's interface is not const-correct; deflate only reads next_in.
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
  stream.avail_in = static_cast<uInt>(input.size());
  stream.next_out = reinterpret_cast<Bytef*>(output.data());
  stream.avail_out = static_cast<uInt>(output.size());

  // deflateBound() leaves room for the whole output, so one call finishes.
  const int result = deflate(&stream, Z_FINISH);
  const std::size_t written = stream.total_out;
  deflateEnd(&stream);
  if (result != Z_STREAM_END) return std::nullopt;
  output.resize(written);
  return output;
}

bool accepts_gzip(std::string_view accept_encoding) {
  std::optional<bool> gzip;      // set when gzip or x-gzip is listed
  std::optional<bool> wildcard;  // set when * is listed

  while (!accept_encoding.empty()) {
    // Split off one element of the comma-separated list.
    const std::size_t comma = accept_encoding.find(',');
    std::string_view element = accept_encoding.substr(0, comma);
    accept_encoding = comma == std::string_view::npos
                          ? std::string_view()
                          : accept_encoding.substr(comma + 1);

    // The coding, then its parameters, of which only q matters.
    const std::size_t semicolon = element.find(';');
    const std::string_view coding = trim(element.substr(0, semicolon));
    std::string_view parameters = semicolon == std::string_view::npos
                                      ? std::string_view()
                                      : element.substr(semicolon + 1);
    bool acceptable = true;
    while (!parameters.empty()) {
      const std::size_t next = parameters.find(';');
      const std::string_view parameter = trim(parameters.substr(0, next));
      parameters = next == std::string_view::npos ? std::string_view()
                                                  : parameters.substr(next + 1);
      const std::size_t equals = parameter.find('=');
      if (equals == std::string_view::npos) continue;
      if (!boost::iequals(trim(parameter.substr(0, equals)), "q")) continue;
      // An invalid q-value makes the element unacceptable, not the default.
      acceptable =
          parse_q_value_thousandths(trim(parameter.substr(equals + 1))) > 0;
    }

    if (boost::iequals(coding, "gzip") || boost::iequals(coding, "x-gzip")) {
      // With both listed, the more favourable one counts.
      gzip = gzip.value_or(false) || acceptable;
    } else if (coding == "*") {
      wildcard = acceptable;
    }
  }

  if (gzip.has_value()) return *gzip;
  return wildcard.value_or(false);
}

}  // namespace beyondtrust_exporter
