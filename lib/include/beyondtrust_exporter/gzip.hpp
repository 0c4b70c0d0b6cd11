#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace beyondtrust_exporter {

// Compresses `input` into one gzip member (RFC 1952) with zlib at `level`
// (1 fastest to 9 smallest). Returns nothing when zlib fails, which happens
// only when it cannot allocate memory.
std::optional<std::string> gzip_compress(std::string_view input, int level = 1);

// Checks whether an Accept-Encoding header value (RFC 9110, section 12.5.3)
// accepts gzip: "gzip" or "x-gzip" with a q-value above zero, or "*" above
// zero when gzip is not listed. Codings and parameter names are
// case-insensitive, so "GZIP;Q=0.5" accepts gzip and "gzip;q=0" does not.
bool accepts_gzip(std::string_view accept_encoding);

}  // namespace beyondtrust_exporter
