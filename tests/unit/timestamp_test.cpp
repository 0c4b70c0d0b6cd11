#include "timestamp.hpp"

#include <gtest/gtest.h>

#include <optional>

namespace beyondtrust_exporter {
namespace {

TEST(UnixSeconds, Digits) {
  EXPECT_EQ(parse_unix_seconds("1714566600"), 1714566600);
  EXPECT_EQ(parse_unix_seconds("0"), 0);
}

TEST(UnixSeconds, SurroundingWhitespace) {
  EXPECT_EQ(parse_unix_seconds(" \t\r\n1714566600\n "), 1714566600);
}

TEST(UnixSeconds, Int64Limit) {
  EXPECT_EQ(parse_unix_seconds("9223372036854775807"), INT64_MAX);
  EXPECT_EQ(parse_unix_seconds("9223372036854775808"), std::nullopt);
}

TEST(UnixSeconds, RejectsOtherText) {
  EXPECT_EQ(parse_unix_seconds(""), std::nullopt);
  EXPECT_EQ(parse_unix_seconds("  "), std::nullopt);
  EXPECT_EQ(parse_unix_seconds("-1"), std::nullopt);
  EXPECT_EQ(parse_unix_seconds("+1"), std::nullopt);
  EXPECT_EQ(parse_unix_seconds("1.5"), std::nullopt);
  EXPECT_EQ(parse_unix_seconds("12 34"), std::nullopt);
  EXPECT_EQ(parse_unix_seconds("0x10"), std::nullopt);
}

TEST(Timestamp, UnixSeconds) {
  EXPECT_EQ(parse_timestamp_seconds("1714566600"), 1714566600);
}

TEST(Timestamp, IsoWithZ) {
  EXPECT_EQ(parse_timestamp_seconds("2024-05-01T12:30:00Z"), 1714566600);
  EXPECT_EQ(parse_timestamp_seconds("2024-05-01t12:30:00z"), 1714566600);
}

TEST(Timestamp, IsoWithOffsets) {
  EXPECT_EQ(parse_timestamp_seconds("2024-05-01T14:30:00+02:00"), 1714566600);
  EXPECT_EQ(parse_timestamp_seconds("2024-05-01T07:30:00-0500"), 1714566600);
  EXPECT_EQ(parse_timestamp_seconds("2024-05-01T14:30:00+02"), 1714566600);
  EXPECT_EQ(parse_timestamp_seconds("2024-05-01T12:30:00+00:00"), 1714566600);
  EXPECT_EQ(parse_timestamp_seconds("2024-05-01T12:30:00-00:00"), 1714566600);
  EXPECT_EQ(parse_timestamp_seconds("2024-05-01T18:00:00+05:30"), 1714566600);
}

TEST(Timestamp, OffsetCrossesDate) {
  EXPECT_EQ(parse_timestamp_seconds("2024-01-01T01:00:00+02:00"), 1704063600);
  EXPECT_EQ(parse_timestamp_seconds("2023-12-31T19:00:00-05:00"), 1704067200);
}

TEST(Timestamp, FractionalSecondsDropped) {
  EXPECT_EQ(parse_timestamp_seconds("2024-05-01T12:30:00.999999Z"), 1714566600);
  EXPECT_EQ(parse_timestamp_seconds("2024-05-01T12:30:00,5Z"), 1714566600);
  EXPECT_EQ(parse_timestamp_seconds("2024-05-01T14:30:00.1+02:00"), 1714566600);
}

TEST(Timestamp, SpaceInsteadOfT) {
  EXPECT_EQ(parse_timestamp_seconds("2024-05-01 12:30:00Z"), 1714566600);
  EXPECT_EQ(parse_timestamp_seconds("2024-05-01 14:30:00+02:00"), 1714566600);
}

TEST(Timestamp, CalendarEdges) {
  EXPECT_EQ(parse_timestamp_seconds("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_timestamp_seconds("1969-12-31T23:59:59Z"), -1);
  EXPECT_EQ(parse_timestamp_seconds("2024-02-29T12:00:00Z"), 1709208000);
  EXPECT_EQ(parse_timestamp_seconds("2000-03-01T00:00:00Z"), 951868800);
  EXPECT_EQ(parse_timestamp_seconds("2038-01-19T03:14:08Z"), 2147483648);
  EXPECT_EQ(parse_timestamp_seconds("9999-12-31T23:59:59Z"), 253402300799);
  EXPECT_EQ(parse_timestamp_seconds("0001-01-01T00:00:00Z"), -62135596800);
}

TEST(Timestamp, LeapSecondIsNextMinute) {
  EXPECT_EQ(parse_timestamp_seconds("2016-12-31T23:59:60Z"), 1483228800);
}

TEST(Timestamp, RejectsImpossibleDates) {
  EXPECT_EQ(parse_timestamp_seconds("2023-02-29T12:00:00Z"), std::nullopt);
  EXPECT_EQ(parse_timestamp_seconds("2024-02-30T12:00:00Z"), std::nullopt);
  EXPECT_EQ(parse_timestamp_seconds("2024-04-31T12:00:00Z"), std::nullopt);
  EXPECT_EQ(parse_timestamp_seconds("2024-13-01T12:00:00Z"), std::nullopt);
  EXPECT_EQ(parse_timestamp_seconds("2024-00-01T12:00:00Z"), std::nullopt);
  EXPECT_EQ(parse_timestamp_seconds("2024-05-00T12:00:00Z"), std::nullopt);
  EXPECT_EQ(parse_timestamp_seconds("2024-05-01T24:00:00Z"), std::nullopt);
  EXPECT_EQ(parse_timestamp_seconds("2024-05-01T12:60:00Z"), std::nullopt);
  EXPECT_EQ(parse_timestamp_seconds("2024-05-01T12:30:61Z"), std::nullopt);
}

TEST(Timestamp, RejectsMissingOrBadZone) {
  EXPECT_EQ(parse_timestamp_seconds("2024-05-01T12:30:00"), std::nullopt);
  EXPECT_EQ(parse_timestamp_seconds("2024-05-01T12:30:00.5"), std::nullopt);
  EXPECT_EQ(parse_timestamp_seconds("2024-05-01T12:30:00+2:00"), std::nullopt);
  EXPECT_EQ(parse_timestamp_seconds("2024-05-01T12:30:00+24:00"), std::nullopt);
  EXPECT_EQ(parse_timestamp_seconds("2024-05-01T12:30:00+02:60"), std::nullopt);
  EXPECT_EQ(parse_timestamp_seconds("2024-05-01T12:30:00+02:0"), std::nullopt);
  EXPECT_EQ(parse_timestamp_seconds("2024-05-01T12:30:00ZZ"), std::nullopt);
  EXPECT_EQ(parse_timestamp_seconds("2024-05-01T12:30:00 UTC"), std::nullopt);
}

TEST(Timestamp, RejectsOtherShapes) {
  EXPECT_EQ(parse_timestamp_seconds(""), std::nullopt);
  EXPECT_EQ(parse_timestamp_seconds("yesterday"), std::nullopt);
  EXPECT_EQ(parse_timestamp_seconds("2024-05-01"), std::nullopt);
  EXPECT_EQ(parse_timestamp_seconds("2024-05-01T12:30Z"), std::nullopt);
  EXPECT_EQ(parse_timestamp_seconds("2024-05-01T12:30:00.Z"), std::nullopt);
  EXPECT_EQ(parse_timestamp_seconds("24-05-01T12:30:00Z"), std::nullopt);
  EXPECT_EQ(parse_timestamp_seconds("2024/05/01T12:30:00Z"), std::nullopt);
  EXPECT_EQ(parse_timestamp_seconds("Wed, 01 May 2024 12:30:00 +0000"),
            std::nullopt);
  EXPECT_EQ(parse_timestamp_seconds("-1714566600"), std::nullopt);
}

TEST(Timestamp, SurroundingWhitespace) {
  EXPECT_EQ(parse_timestamp_seconds("\n  2024-05-01T12:30:00Z \t"), 1714566600);
}

}  // namespace
}  // namespace beyondtrust_exporter
