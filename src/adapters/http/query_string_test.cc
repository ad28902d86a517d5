#include "adapters/http/query_string.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace madre {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

TEST(PercentDecodeTest, DecodesEscapesAndPlus) {
  EXPECT_EQ(PercentDecode("a%20b+c%2Bd", true), "a b c+d");
  EXPECT_EQ(PercentDecode("a+b", false), "a+b");
  EXPECT_EQ(PercentDecode("%e2%82%AC", true), "\xe2\x82\xac");
}

TEST(PercentDecodeTest, KeepsMalformedEscapes) {
  EXPECT_EQ(PercentDecode("100%", true), "100%");
  EXPECT_EQ(PercentDecode("%4", true), "%4");
  EXPECT_EQ(PercentDecode("%zz%41", true), "%zzA");
}

TEST(ParseQueryStringTest, DecodesKeysAndValuesFirstOccurrenceWins) {
  EXPECT_THAT(ParseQueryString("limit=5&q=hello%20world&q=ignored&flag&&x+y=a+b&e="),
              ElementsAre(Pair("e", ""), Pair("flag", ""), Pair("limit", "5"),
                          Pair("q", "hello world"), Pair("x y", "a b")));
  EXPECT_TRUE(ParseQueryString("").empty());
}

TEST(SplitTargetTest, SplitsAtFirstQuestionMark) {
  EXPECT_EQ(SplitTarget("/a/b?x=1?2"),
            std::make_pair(std::string_view("/a/b"), std::string_view("x=1?2")));
  EXPECT_EQ(SplitTarget("/a%20b"), std::make_pair(std::string_view("/a%20b"), std::string_view()));
}

}  // namespace
}  // namespace madre
