#include "cli/window_json.h"

#include <gtest/gtest.h>

#include <limits>

namespace madre::cli {
namespace {

using nlohmann::json;

TEST(WindowJsonIntTest, ReadsIntegersAndWholeFloats) {
  EXPECT_EQ(Int(json{{"n", 42}}, "n"), 42);
  EXPECT_EQ(Int(json{{"n", -7}}, "n"), -7);
  EXPECT_EQ(Int(json{{"n", 12.9}}, "n"), 12);
  EXPECT_EQ(Int(json{{"n", std::numeric_limits<std::int64_t>::max()}}, "n"),
            std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(Int(json{{"n", std::numeric_limits<std::int64_t>::min()}}, "n"),
            std::numeric_limits<std::int64_t>::min());
}

TEST(WindowJsonIntTest, AValueBeyondInt64IsAbsentNotWrapped) {
  EXPECT_EQ(Int(json{{"n", 1e300}}, "n"), std::nullopt);
  EXPECT_EQ(Int(json{{"n", std::numeric_limits<double>::infinity()}}, "n"), std::nullopt);
  EXPECT_EQ(Int(json{{"n", -1e19}}, "n"), std::nullopt);
  EXPECT_EQ(Int(json{{"n", 9223372036854775808.0}}, "n"), std::nullopt);
  EXPECT_EQ(Int(json{{"n", std::numeric_limits<std::uint64_t>::max()}}, "n"), std::nullopt);
  EXPECT_EQ(Int(json::parse(R"({"n": 18446744073709551615})"), "n"), std::nullopt);
}

TEST(WindowJsonIntTest, NonNumbersAndMissingKeysAreAbsent) {
  EXPECT_EQ(Int(json{{"n", "12"}}, "n"), std::nullopt);
  EXPECT_EQ(Int(json{{"n", nullptr}}, "n"), std::nullopt);
  EXPECT_EQ(Int(json{{"m", 1}}, "n"), std::nullopt);
  EXPECT_EQ(Int(json::array({1, 2}), "n"), std::nullopt);
}

}  // namespace
}  // namespace madre::cli
