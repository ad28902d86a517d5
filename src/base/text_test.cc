#include "base/text.h"

#include <gtest/gtest.h>

namespace madre {
namespace {

TEST(TrimBlanksTest, RemovesSpacesTabsAndLineEndsAtBothEndsOnly) {
  EXPECT_EQ(TrimBlanks("  abc\r\n"), "abc");
  EXPECT_EQ(TrimBlanks("\ta b\t"), "a b");
  EXPECT_EQ(TrimBlanks("abc"), "abc");
  EXPECT_EQ(TrimBlanks(" \r\n\t "), "");
  EXPECT_EQ(TrimBlanks(""), "");
}

}  // namespace
}  // namespace madre
