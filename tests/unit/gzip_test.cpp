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

// A /metrics-like body of `lines` sample lines followed by `tail`.
std::string metrics_body(int lines, const std::string& tail) {
  std::string text;
  for (int i = 0; i < lines; ++i) {
    text += "beyondtrust_rep_support_sessions{appliance=\"a\",rep_id=\"" +
            std::to_string(i) + "\"} " + std::to_string(i % 7) + "\n";
  }
  return text + tail;
}

TEST(GzipPrefixCompressor, SameTailChanges) {
  GzipPrefixCompressor compressor;
  // The first body has nothing to share, the second cuts the prefix and the
  // later ones reuse it.
  for (int scrape = 0; scrape < 5; ++scrape) {
    const std::string text = metrics_body(
        4000, "process_cpu_seconds_total " + std::to_string(scrape) + "\n");
    const std::optional<std::string> compressed = compressor.compress(text);
    ASSERT_TRUE(compressed.has_value()) << "scrape " << scrape;
    EXPECT_LT(compressed->size(), text.size() / 5) << "scrape " << scrape;
    EXPECT_EQ(gunzip(*compressed), text) << "scrape " << scrape;
  }
}

TEST(GzipPrefixCompressor, BodyChangesInside) {
  GzipPrefixCompressor compressor;
  const std::string first = metrics_body(4000, "process_open_fds 10\n");
  ASSERT_TRUE(compressor.compress(first).has_value());
  ASSERT_TRUE(compressor.compress(first).has_value());

  // A poll changed a line in the middle: the kept prefix no longer matches.
  std::string changed = first;
  changed[changed.size() / 2] = 'X';
  const std::optional<std::string> compressed = compressor.compress(changed);
  ASSERT_TRUE(compressed.has_value());
  EXPECT_EQ(gunzip(*compressed), changed);
}

TEST(GzipPrefixCompressor, BodyShrinks) {
  GzipPrefixCompressor compressor;
  const std::string long_body = metrics_body(4000, "process_open_fds 10\n");
  ASSERT_TRUE(compressor.compress(long_body).has_value());
  ASSERT_TRUE(compressor.compress(long_body).has_value());

  const std::string short_body = long_body.substr(0, 1000);
  const std::optional<std::string> shorter = compressor.compress(short_body);
  ASSERT_TRUE(shorter.has_value());
  EXPECT_EQ(gunzip(*shorter), short_body);

  const std::optional<std::string> empty = compressor.compress("");
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(gunzip(*empty), "");
}

TEST(GzipPrefixCompressor, TailIsPrefixEnd) {
  GzipPrefixCompressor compressor;
  const std::string text = metrics_body(4000, "");
  ASSERT_TRUE(compressor.compress(text + "process_open_fds 1\n").has_value());
  // The whole body is the shared prefix, so the rest is empty.
  const std::optional<std::string> compressed = compressor.compress(text);
  ASSERT_TRUE(compressed.has_value());
  EXPECT_EQ(gunzip(*compressed), text);
  const std::optional<std::string> again = compressor.compress(text);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(gunzip(*again), text);
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
