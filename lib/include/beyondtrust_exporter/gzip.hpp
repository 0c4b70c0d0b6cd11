#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace beyondtrust_exporter {

// Compresses `input` into one gzip member (RFC 1952) with zlib at `level`
// (1 fastest to 9 smallest). Returns nothing when zlib fails, which happens
// only when it cannot allocate memory.
std::optional<std::string> gzip_compress(std::string_view input, int level = 1);

// Compresses successive /metrics bodies into gzip, reusing the compressed
// form of the bytes that a body shares with the body before it.
//
// Between two polls, successive scrapes usually differ only in their last
// lines, the process metrics, which come last in name order. The first body
// after a change is compressed in two parts: the prefix it shares with the
// previous body, whose deflate blocks are kept, and the rest. That costs as
// much as gzip_compress(). Later bodies that start with the same prefix
// compress only the rest. The output is one gzip member
// (RFC 1952): the header, the kept deflate blocks of the prefix (ended by a
// sync flush, which aligns them to a byte), the blocks of the rest from a new
// deflate stream, and a trailer whose CRC-32 combines both parts.
//
// Memory: a copy of the body that the prefix was cut from, and the prefix's
// compressed blocks. Not thread-safe.
class GzipPrefixCompressor {
 public:
  explicit GzipPrefixCompressor(int level = 1) : level_(level) {}

  // Compresses `input` as gzip_compress() does, and returns nothing in the
  // same case.
  std::optional<std::string> compress(std::string_view input);

 private:
  // Keeps the deflate blocks of the prefix that `input` shares with
  // previous_, when it is long enough to be worth it.
  void cut_prefix(std::string_view input);

  int level_;
  std::string previous_;          // the input that the prefix was cut from
  std::size_t prefix_size_ = 0;   // bytes of previous_ in the prefix
  std::string prefix_deflate_;    // raw deflate blocks of the prefix
  std::uint32_t prefix_crc_ = 0;  // CRC-32 of the prefix
};

// Checks whether an Accept-Encoding header value (RFC 9110, section 12.5.3)
// accepts gzip: "gzip" or "x-gzip" with a q-value above zero, or "*" above
// zero when gzip is not listed. Codings and parameter names are
// case-insensitive, so "GZIP;Q=0.5" accepts gzip and "gzip;q=0" does not.
bool accepts_gzip(std::string_view accept_encoding);

}  // namespace beyondtrust_exporter
