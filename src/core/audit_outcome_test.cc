#include "core/audit_outcome.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace madre {
namespace {

constexpr AuditOutcome kEveryWrittenOutcome[] = {
    AuditOutcome::kOk,        AuditOutcome::kPartial,  AuditOutcome::kFail,
    AuditOutcome::kGaveUp,    AuditOutcome::kRejected, AuditOutcome::kAccepted,
    AuditOutcome::kCancelled, AuditOutcome::kReported, AuditOutcome::kStopped};

TEST(AuditOutcomeTest, EveryOutcomeRoundTripsThroughItsName) {
  std::set<std::string> names;
  for (AuditOutcome outcome : kEveryWrittenOutcome) {
    const std::string name = AuditOutcomeName(outcome);
    names.insert(name);
    EXPECT_EQ(ParseAuditOutcome(name), outcome) << name;
  }
  EXPECT_EQ(names.size(), std::size(kEveryWrittenOutcome));  // no two share a name
}

TEST(AuditOutcomeTest, TheNamesAreThoseOfTheAuditFiles) {
  EXPECT_STREQ(AuditOutcomeName(AuditOutcome::kOk), "ok");
  EXPECT_STREQ(AuditOutcomeName(AuditOutcome::kPartial), "partial");
  EXPECT_STREQ(AuditOutcomeName(AuditOutcome::kFail), "fail");
  EXPECT_STREQ(AuditOutcomeName(AuditOutcome::kGaveUp), "gave_up");
  EXPECT_STREQ(AuditOutcomeName(AuditOutcome::kRejected), "rejected");
  EXPECT_STREQ(AuditOutcomeName(AuditOutcome::kAccepted), "accepted");
  EXPECT_STREQ(AuditOutcomeName(AuditOutcome::kCancelled), "cancelled");
  EXPECT_STREQ(AuditOutcomeName(AuditOutcome::kReported), "reported");
  EXPECT_STREQ(AuditOutcomeName(AuditOutcome::kStopped), "stopped");
}

TEST(AuditOutcomeTest, UnknownIsOnlyTheReadFallbackAndDoesNotParse) {
  EXPECT_STREQ(AuditOutcomeName(AuditOutcome::kUnknown), "unknown");
  for (const char* text : {"unknown", "", "OK", "ok ", "failed", "gave-up", "error"}) {
    EXPECT_EQ(ParseAuditOutcome(text), std::nullopt) << text;
  }
}

}  // namespace
}  // namespace madre
