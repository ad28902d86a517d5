#include "testing/recording_audit_log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/audit_log_contract.h"

namespace madre {
namespace {

using ::testing::ElementsAre;

class RecordingAuditLogEnv {
 public:
  AuditLog& log() { return log_; }
  void BreakStorage() { log_.FailAll(Status::Internal("disk full")); }
  void RepairStorage() { log_.Heal(); }

 private:
  RecordingAuditLog log_;
};

INSTANTIATE_TYPED_TEST_SUITE_P(Recording, AuditLogContractTest,
                               ::testing::Types<RecordingAuditLogEnv>);

TEST(RecordingAuditLogTest, RecordsActionsInOrder) {
  RecordingAuditLog log;
  ASSERT_TRUE(log.Append(contract::SampleRecord("window.open")).ok());
  ASSERT_TRUE(log.Append(contract::SampleRecord("window.close")).ok());
  EXPECT_THAT(log.actions(), ElementsAre("window.open", "window.close"));
  EXPECT_EQ(log.records().size(), 2u);
}

TEST(RecordingAuditLogTest, FailNextAppendFailsOnceWithoutUsingASeq) {
  RecordingAuditLog log;
  log.FailNextAppend(Status::Internal("disk full"));
  EXPECT_EQ(log.Append(contract::SampleRecord("window.open")).status(),
            Status::Internal("disk full"));
  EXPECT_TRUE(log.records().empty());
  Result<AuditRecord> next = log.Append(contract::SampleRecord("window.open"));
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->seq, 1);
}

TEST(RecordingAuditLogTest, FailAllAlsoFailsQueryUntilHealed) {
  RecordingAuditLog log;
  log.FailAll(Status::Unavailable("gone"));
  EXPECT_FALSE(log.Query(10, std::nullopt).ok());
  EXPECT_FALSE(log.Append(contract::SampleRecord("x")).ok());
  log.Heal();
  EXPECT_TRUE(log.Append(contract::SampleRecord("x")).ok());
  EXPECT_TRUE(log.Query(10, std::nullopt).ok());
}

TEST(RecordingAuditLogTest, CutDoesNotSplitAUtf8Sequence) {
  RecordingAuditLog log;
  AuditRecord record = contract::SampleRecord("x");
  record.ops[0].output = std::string(4095, 'a') + "\xc3\xb1";  // 'ñ' straddles byte 4096
  Result<AuditRecord> appended = log.Append(record);
  ASSERT_TRUE(appended.ok());
  EXPECT_EQ(appended->ops[0].output, std::string(4095, 'a'));
}

}  // namespace
}  // namespace madre
