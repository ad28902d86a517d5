#include "cli/events_command.h"

#include <gtest/gtest.h>

namespace madre::cli {
namespace {

TEST(SseParserTest, SplitsEventsAcrossChunksAndSkipsComments) {
  std::vector<std::pair<std::string, std::string>> seen;
  SseParser parser([&](const std::string& e, const std::string& d) { seen.emplace_back(e, d); });
  parser.Feed(": madre events\n\nevent: win");
  parser.Feed("dow\ndata: {\"a\":1}\n");
  EXPECT_TRUE(seen.empty());
  parser.Feed("\r\ndata: x\ndata: y\n\n");
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], std::make_pair(std::string("window"), std::string("{\"a\":1}")));
  EXPECT_EQ(seen[1], std::make_pair(std::string("message"), std::string("x\ny")));
}

TEST(SseParserTest, FormatsWindowAndContainerEvents) {
  EXPECT_EQ(FormatEventLine("window", R"({"window_id":"w1","state":"closed","services":["a","b"],)"
                                      R"("close_reason":"ttl_expired","ttl_remaining_sec":null})"),
            "window w1 closed (a, b) ttl_expired");
  EXPECT_EQ(
      FormatEventLine(
          "window", R"({"window_id":"w1","state":"open","services":["a"],"ttl_remaining_sec":59})"),
      "window w1 open (a) ttl 59s");
  EXPECT_EQ(FormatEventLine("container", R"({"service":"db","action":"die","exit_code":1})"),
            "container db die (exit code 1)");
  EXPECT_EQ(
      FormatEventLine("intent", R"({"intent_id":"intent-1","type":"build","state":"approved",)"
                                R"("decided_by":"ops@10.0.0.2","detail":null,"reason":"ok"})"),
      "intent intent-1 build approved (by ops@10.0.0.2): ok");
  EXPECT_EQ(
      FormatEventLine("intent", R"({"intent_id":"intent-2","type":"window","state":"pending"})"),
      "intent intent-2 window pending");
  EXPECT_EQ(FormatEventLine("other", "not json"), "other not json");
}

}  // namespace
}  // namespace madre::cli
