#include "base/exceptions.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace madre {
namespace {

TEST(ThrownByTest, AJobThatReturnsThrewNothing) {
  int runs = 0;
  EXPECT_EQ(ThrownBy([&runs] { ++runs; }), std::nullopt);
  EXPECT_EQ(runs, 1);
}

TEST(ThrownByTest, AStdExceptionGivesItsWhat) {
  EXPECT_EQ(ThrownBy([] { throw std::runtime_error("disk full"); }), "disk full");
}

TEST(ThrownByTest, AnythingElseGivesASentence) {
  EXPECT_EQ(ThrownBy([] { throw 42; }), "an exception that is not a std::exception");
}

}  // namespace
}  // namespace madre
