#include "beyondtrust_exporter/gzip.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <optional>
#include <string>
#include <string_view>

namespace beyondtrust_exporter {
namespace {

// Inflates one gzip member; nothing when the data is not valid gzip.
std::optional<std::string> gunzip(std::string_view compressed) {
  z_stream stream{};
  if (inflateInit2(&stream, 15 + 16) != Z_OK) return std::nullopt;
  std::string output;
  std::string chunk(64 * 1024, '\0');
  stream.next_in =
      reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = static_cast<uInt>(compressed.size());
  int result = Z_OK;
  // Bounded: each round either produces output or ends.
  for (int round = 0; round < 1000 && result == Z_OK; ++round) {
    stream.next_out = reinterpret_cast<Bytef*>(chunk.data());
    stream.avail_out = static_cast<uInt>(chunk.size());
    result = inflate(&stream, Z_NO_FLUSH);
    output.append(chunk.data(), chunk.size() - stream.avail_out);
  }
  inflateEnd(&stream);
  if (result != Z_STREAM_END) return std::nullopt;
  return output;
}

TEST(GzipCompress, RoundTrip) {
  std::string text;
  for (int i = 0; i < 2000; ++i) {
    text += "beyondtrust_rep_support_sessions{appliance=\"a\",rep_id=\"" +
            std::to_string(i) + "\"} 3\n";
  }
  const std::optional<std::string> compressed = gzip_compress(text);
  ASSERT_TRUE(compressed.has_value());
  EXPECT_LT(compressed->size(), text.size() / 5);
  EXPECT_EQ(gunzip(*compressed), text);
}

TEST(GzipCompress, EmptyInput) {
  const std::optional<std::string> compressed = gzip_compress("");
  ASSERT_TRUE(compressed.has_value());
  EXPECT_EQ(gunzip(*compressed), "");
}

TEST(GzipCompress, GzipMagicBytes) {
  const std::optional<std::string> compressed = gzip_compress("abc");
  ASSERT_TRUE(compressed.has_value());
  ASSERT_GE(compressed->size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>((*compressed)[0]), 0x1fu);
  EXPECT_EQ(static_cast<unsigned char>((*compressed)[1]), 0x8bu);
}

TEST(GzipCompress, EveryLevel) {
  const std::string text(10000, 'x');
  for (int level = 1; level <= 9; ++level) {
    const std::optional<std::string> compressed = gzip_compress(text, level);
    ASSERT_TRUE(compressed.has_value()) << "level " << level;
    EXPECT_EQ(gunzip(*compressed), text) << "level " << level;
  }
}

struct AcceptCase {
  std::string_view header;
  bool accepted;
};

TEST(AcceptsGzip, HeaderValues) {
  const AcceptCase cases[] = {
      {"gzip", true},
      {"x-gzip", true},
      {"GZIP", true},
      {"gzip, deflate, br", true},
      {"deflate, gzip;q=1.0, *;q=0.5", true},
      {"br;q=1.0, gzip;q=0.8, *;q=0.1", true},
      {"gzip;q=0.001", true},
      {"GZIP;Q=0.5", true},
      {"gzip ; q=0.5", true},
      {"gzip;level=1", true},
      {"*", true},
      {"identity, *;q=1", true},
      {"gzip;q=0", false},
      {"gzip; q=0.0", false},
      {"gzip;q=0.000", false},
      {"identity;q=1, gzip;q=0.000", false},
      {"gzip;q=0, *", false},
      {"*;q=0", false},
      {"deflate", false},
      {"identity", false},
      {"", false},
      {"gzip;q=abc", false},
      {"gzip;q=1.5", false},
      {"gzip;q=0.0001", false},
      {"gzipx", false},
  };
  for (const AcceptCase& test : cases) {
    EXPECT_EQ(accepts_gzip(test.header), test.accepted)
        << "Accept-Encoding: " << test.header;
  }
}

}  // namespace
}  // namespace beyondtrust_exporter
