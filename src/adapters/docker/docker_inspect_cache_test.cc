#include "adapters/docker/docker_inspect_cache.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace madre {
namespace {

const TimePoint kT0 = FromMicros(1'795'514'400'000'000);

ContainerState Inspected(int restart_count) {
  ContainerState c;
  c.service = "web";
  c.container = "p_web_1";
  c.id = "w1";
  c.state = "running";
  c.restart_count = restart_count;
  return c;
}

TEST(ParseListStatusTextsTest, ReadsIdAndStatusOfEveryEntryInOrder) {
  Result<std::vector<ListedStatus>> listed = ParseListStatusTexts(
      R"js([{"Id":"b","Status":"Up 2 hours (healthy)"},{"Id":"a","State":"created"}])js");
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].id, "b");
  EXPECT_EQ((*listed)[0].status_text, "Up 2 hours (healthy)");
  EXPECT_EQ((*listed)[1].id, "a");
  EXPECT_EQ((*listed)[1].status_text, "");
}

TEST(ParseListStatusTextsTest, SomethingElseIsInternal) {
  EXPECT_EQ(ParseListStatusTexts("{}").code(), StatusCode::kInternal);
  EXPECT_EQ(ParseListStatusTexts("[{\"Status\":\"Up\"}]").code(), StatusCode::kInternal);
  EXPECT_EQ(ParseListStatusTexts("<html>").code(), StatusCode::kInternal);
}

TEST(InspectCacheKeyTest, ChangesWithStateNameOrStatusText) {
  ContainerState listed;
  listed.container = "p_web_1";
  listed.state = "running";
  const std::string key = InspectCacheKey(listed, "Up 5 minutes");
  EXPECT_EQ(InspectCacheKey(listed, "Up 5 minutes"), key);
  EXPECT_NE(InspectCacheKey(listed, "Up 1 second"), key);
  ContainerState paused = listed;
  paused.state = "paused";
  EXPECT_NE(InspectCacheKey(paused, "Up 5 minutes"), key);
  ContainerState renamed = listed;
  renamed.container = "p_web_2";
  EXPECT_NE(InspectCacheKey(renamed, "Up 5 minutes"), key);
}

ContainerState Listed(const std::string& id = "w1") {
  ContainerState c;
  c.container = "p_web_1";
  c.id = id;
  c.state = "running";
  return c;
}

TEST(MinElapsedInStatusTest, ReadsTheEnginesHumanDurations) {
  EXPECT_EQ(MinElapsedInStatus("Up Less than a second"), Duration::zero());
  EXPECT_EQ(MinElapsedInStatus("Up 1 second (health: starting)"), Seconds(1));
  EXPECT_EQ(MinElapsedInStatus("Up 42 seconds (healthy)"), Seconds(42));
  EXPECT_EQ(MinElapsedInStatus("Up About a minute (Paused)"), Seconds(60));
  EXPECT_EQ(MinElapsedInStatus("Up 5 minutes (unhealthy)"), Seconds(300));
  EXPECT_EQ(MinElapsedInStatus("Up About an hour"), Seconds(3600));
  EXPECT_EQ(MinElapsedInStatus("Up 3 days"), Seconds(3600));
  EXPECT_EQ(MinElapsedInStatus("Exited (137) 7 seconds ago"), Seconds(7));
  EXPECT_EQ(MinElapsedInStatus("Exited (0) Less than a second ago"), Duration::zero());
  EXPECT_EQ(MinElapsedInStatus("Restarting (1) 2 seconds ago"), Seconds(2));
}

TEST(MinElapsedInStatusTest, TextsWithoutATimeHaveNoneAndUnreadableOnesAreZero) {
  EXPECT_EQ(MinElapsedInStatus("Created"), std::nullopt);
  EXPECT_EQ(MinElapsedInStatus("Dead"), std::nullopt);
  EXPECT_EQ(MinElapsedInStatus("Removal In Progress"), std::nullopt);
  EXPECT_EQ(MinElapsedInStatus("Up"), Duration::zero());
  EXPECT_EQ(MinElapsedInStatus("Up for a while"), Duration::zero());
  EXPECT_EQ(MinElapsedInStatus("Exited (0)"), Duration::zero());
}

TEST(InspectCacheTest, AnEntryServesTheSameListViewUntilItsMaxAge) {
  InspectCache cache(Seconds(30));
  cache.Put(Listed(), "Up 5 minutes", Inspected(1), kT0);
  EXPECT_EQ(cache.Find(Listed(), "Up 5 minutes", kT0 + Seconds(29)), Inspected(1));
  EXPECT_EQ(cache.Find(Listed(), "Up 6 minutes", kT0), std::nullopt);
  EXPECT_EQ(cache.Find(Listed("w2"), "Up 5 minutes", kT0), std::nullopt);
  EXPECT_EQ(cache.Find(Listed(), "Up 5 minutes", kT0 + Seconds(30)), std::nullopt);
  EXPECT_EQ(cache.Find(Listed(), "Up 5 minutes", kT0 - Seconds(1)), std::nullopt);
}

TEST(InspectCacheTest, AYoungContainersEntryLastsNoLongerThanItsUptime) {
  InspectCache cache(Seconds(30));
  cache.Put(Listed(), "Up 3 seconds", Inspected(1), kT0);
  EXPECT_EQ(cache.Find(Listed(), "Up 3 seconds", kT0 + Millis(2999)), Inspected(1));
  EXPECT_EQ(cache.Find(Listed(), "Up 3 seconds", kT0 + Seconds(3)), std::nullopt);
  cache.Put(Listed("w2"), "Up Less than a second", Inspected(1), kT0);
  EXPECT_EQ(cache.Find(Listed("w2"), "Up Less than a second", kT0), std::nullopt);
  EXPECT_EQ(cache.size(), 1u);
}

TEST(InspectCacheTest, AnAnswerForAnOlderListDoesNotReplaceANewerOne) {
  InspectCache cache(Seconds(30));
  cache.Put(Listed(), "Up 7 minutes", Inspected(2), kT0 + Seconds(5));
  cache.Put(Listed(), "Up 6 minutes", Inspected(1), kT0);  // a slower call that listed earlier
  EXPECT_EQ(cache.Find(Listed(), "Up 7 minutes", kT0 + Seconds(6)), Inspected(2));
  cache.Put(Listed(), "Up 8 minutes", Inspected(3), kT0 + Seconds(7));
  EXPECT_EQ(cache.Find(Listed(), "Up 8 minutes", kT0 + Seconds(8)), Inspected(3));
}

// A pause between the list and the inspect: the answer ("paused") must not come back for a
// later list that shows the container running again with the same Status text.
TEST(InspectCacheTest, AnAnswerOfAnotherMomentThanItsListIsNotKept) {
  InspectCache cache(Seconds(30));
  ContainerState paused = Inspected(0);
  paused.state = "paused";
  cache.Put(Listed(), "Up 5 minutes (unhealthy)", paused, kT0);
  EXPECT_EQ(cache.Find(Listed(), "Up 5 minutes (unhealthy)", kT0 + Seconds(1)), std::nullopt);
  EXPECT_EQ(cache.size(), 0u);

  ContainerState listed = Listed();
  listed.health = "unhealthy";
  ContainerState healthy = Inspected(0);
  healthy.health = "healthy";
  cache.Put(listed, "Up 5 minutes (unhealthy)", healthy, kT0);
  EXPECT_EQ(cache.size(), 0u);
  healthy.health = "unhealthy";
  cache.Put(listed, "Up 5 minutes (unhealthy)", healthy, kT0);
  EXPECT_EQ(cache.Find(listed, "Up 5 minutes (unhealthy)", kT0 + Seconds(1)), healthy);
}

TEST(InspectCacheTest, RetainOnlyDropsTheOthers) {
  InspectCache cache(Seconds(30));
  cache.Put(Listed("a"), "Created", Inspected(0), kT0);
  cache.Put(Listed("b"), "Created", Inspected(0), kT0);
  cache.RetainOnly({"b", "c"});
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.Find(Listed("a"), "Created", kT0), std::nullopt);
  EXPECT_NE(cache.Find(Listed("b"), "Created", kT0), std::nullopt);
}

TEST(InspectCacheTest, ANonPositiveMaxAgeCachesNothing) {
  InspectCache cache(Duration::zero());
  cache.Put(Listed(), "Created", Inspected(0), kT0);
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.Find(Listed(), "Created", kT0), std::nullopt);
}

}  // namespace
}  // namespace madre
