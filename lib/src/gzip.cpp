#include "beyondtrust_exporter/gzip.hpp"

#include <zlib.h>

#include <algorithm>
#include <boost/algorithm/string/predicate.hpp>
#include <cstddef>

#include "http_text.hpp"

namespace beyondtrust_exporter {
namespace {

// windowBits 15 plus 16 makes deflate write a gzip header and trailer.
constexpr int gzip_window_bits = 15 + 16;
constexpr int memory_level = 8;  // zlib's default

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

namespace {

// Prefixes shorter than this are compressed with the rest, because keeping
// them would save little.
constexpr std::size_t min_prefix_bytes = 16 * 1024;

// The rest after a kept prefix is a few lines, so its deflate stream gets a
// 4 KiB window and a small hash table. By the formula in zlib's zconf.h,
// (1 << (windowBits + 2)) + (1 << (memLevel + 9)), that is 18 KiB of zlib
// state instead of 256 KiB with the defaults.
constexpr int rest_window_bits = 12;
constexpr int rest_memory_level = 2;

// Compresses `input` into raw deflate blocks (no header or trailer).
// With Z_SYNC_FLUSH the blocks end on a byte boundary and without a final
// block, so that another stream's blocks can follow them.
std::optional<std::string> deflate_raw(std::string_view input, int level,
                                       int window_bits, int memory_level_in,
                                       int flush) {
  z_stream stream{};
  if (deflateInit2(&stream, level, Z_DEFLATED, -window_bits, memory_level_in,
                   Z_DEFAULT_STRATEGY) != Z_OK) {
    return std::nullopt;
  }

  // deflateBound() covers Z_FINISH; a sync flush adds an empty stored block
  // of at most 5 bytes, and the margin covers it.
  std::string output(deflateBound(&stream, input.size()) + 16, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
  stream.avail_in = static_cast<uInt>(input.size());
  stream.next_out = reinterpret_cast<Bytef*>(output.data());
  stream.avail_out = static_cast<uInt>(output.size());
  const int result = deflate(&stream, flush);
  const std::size_t written = stream.total_out;
  const bool complete =
      flush == Z_FINISH
          ? result == Z_STREAM_END
          : result == Z_OK && stream.avail_in == 0 && stream.avail_out > 0;
  deflateEnd(&stream);
  if (!complete) return std::nullopt;
  output.resize(written);
  return output;
}

void append_little_endian(std::string& out, std::uint32_t value) {
  for (int shift = 0; shift < 32; shift += 8) {
    out.push_back(static_cast<char>((value >> shift) & 0xFF));
  }
}

std::uint32_t crc32_of(std::string_view text) {
  return static_cast<std::uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(text.data()),
            static_cast<uInt>(text.size())));
}

}  // namespace

std::optional<std::string> GzipPrefixCompressor::compress(
    std::string_view input) {
  const bool prefix_matches =
      prefix_size_ > 0 && input.size() >= prefix_size_ &&
      input.compare(0, prefix_size_,
                    std::string_view(previous_).substr(0, prefix_size_)) == 0;
  if (!prefix_matches) {
    // previous_ only changes here: after a match, its first prefix_size_
    // bytes equal the input's, and a later mismatch lies within them.
    cut_prefix(input);
    previous_.assign(input);
  }
  if (prefix_size_ == 0) return gzip_compress(input, level_);

  const std::string_view rest = input.substr(prefix_size_);
  std::optional<std::string> rest_deflate =
      deflate_raw(rest, level_, rest_window_bits, rest_memory_level, Z_FINISH);
  if (!rest_deflate.has_value()) return std::nullopt;
  const std::uint32_t crc = static_cast<std::uint32_t>(crc32_combine(
      prefix_crc_, crc32_of(rest), static_cast<z_off_t>(rest.size())));

  // Header: magic, deflate, no flags, no modification time, no extra
  // flags, and 255 for an unknown operating system.
  std::string output("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff", 10);
  output.reserve(output.size() + prefix_deflate_.size() + rest_deflate->size() +
                 8);
  output.append(prefix_deflate_);
  output.append(*rest_deflate);
  append_little_endian(output, crc);
  // ISIZE is the input size modulo 2^32 (RFC 1952, section 2.3.1).
  append_little_endian(output, static_cast<std::uint32_t>(input.size()));
  return output;
}

void GzipPrefixCompressor::cut_prefix(std::string_view input) {
  prefix_size_ = 0;
  prefix_deflate_.clear();
  const std::size_t shared = static_cast<std::size_t>(
      std::mismatch(input.begin(),
                    input.begin() + static_cast<std::ptrdiff_t>(std::min(
                                        input.size(), previous_.size())),
                    previous_.begin())
          .first -
      input.begin());
  if (shared < min_prefix_bytes) return;

  const std::string_view prefix = input.substr(0, shared);
  std::optional<std::string> blocks = deflate_raw(
      prefix, level_, gzip_window_bits - 16, memory_level, Z_SYNC_FLUSH);
  if (!blocks.has_value()) return;
  prefix_deflate_ = std::move(*blocks);
  // The blocks were written into a buffer of deflateBound(), about the
  // size of the prefix itself, and only the compressed bytes are kept.
  prefix_deflate_.shrink_to_fit();
  prefix_crc_ = crc32_of(prefix);
  prefix_size_ = shared;
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
    const std::string_view coding = http_text::trim(element.substr(0, semicolon));
    std::string_view parameters = semicolon == std::string_view::npos
                                      ? std::string_view()
                                      : element.substr(semicolon + 1);
    bool acceptable = true;
    while (!parameters.empty()) {
      const std::size_t next = parameters.find(';');
      const std::string_view parameter = http_text::trim(parameters.substr(0, next));
      parameters = next == std::string_view::npos ? std::string_view()
                                                  : parameters.substr(next + 1);
      const std::size_t equals = parameter.find('=');
      if (equals == std::string_view::npos) continue;
      if (!boost::iequals(http_text::trim(parameter.substr(0, equals)), "q")) continue;
      // An invalid q-value makes the element unacceptable, not the default.
      acceptable =
          parse_q_value_thousandths(http_text::trim(parameter.substr(equals + 1))) > 0;
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
