// The behaviour every AuditLog has (RecordingAuditLog, SqliteAuditLog).
//
// Use: give a test environment class with a default constructor that sets up a fresh, empty log
// (and whose destructor cleans up) and:
//   AuditLog& log();
//   void BreakStorage();   // every Append fails until RepairStorage()
//   void RepairStorage();
// Then: INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, AuditLogContractTest, ::testing::Types<MyEnv>);
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <vector>

#include "ports/audit_log.h"

namespace madre {
namespace contract {

inline AuditRecord SampleRecord(const std::string& action, std::int64_t offset_ms = 0) {
  AuditRecord r;
  r.time = FromMicros(1'795'514'400'123'456 + offset_ms * 1000);  // 2026-11-24T10:00:00.123456Z
  r.actor = "127.0.0.1:40000";
  r.action = action;
  r.window_id = "w-1";
  r.services = {"hermes", "switch"};
  r.reason = "e2e";
  r.outcome = AuditOutcome::kOk;
  r.detail = "all \"good\" ñ";
  r.ops = {{"docker-compose -p vx11 up -d --no-deps switch", 0, 812, "Starting switch ... done\n"},
           {"POST /containers/vx11_hermes_1/start", -1, 5, ""}};
  return r;
}

inline bool IsSha256Hex(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!std::isxdigit(static_cast<unsigned char>(c)) ||
        std::isupper(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

inline std::vector<std::int64_t> Seqs(const std::vector<AuditRecord>& records) {
  std::vector<std::int64_t> seqs;
  for (const AuditRecord& r : records) seqs.push_back(r.seq);
  return seqs;
}

}  // namespace contract

template <typename Env>
class AuditLogContractTest : public ::testing::Test {
 protected:
  AuditLog& log() { return env_.log(); }

  AuditRecord AppendOk(AuditRecord record) {
    Result<AuditRecord> appended = log().Append(std::move(record));
    EXPECT_TRUE(appended.ok()) << appended.status().ToString();
    return appended.ok() ? *appended : AuditRecord{};
  }

  void AppendMany(int n) {
    for (int i = 0; i < n; ++i) AppendOk(contract::SampleRecord("a" + std::to_string(i), i));
  }

  Env env_;
};

TYPED_TEST_SUITE_P(AuditLogContractTest);

TYPED_TEST_P(AuditLogContractTest, FirstRecordHasSeqOneAndNoPrevHash) {
  const AuditRecord first = this->AppendOk(contract::SampleRecord("window.open"));
  EXPECT_EQ(first.seq, 1);
  EXPECT_EQ(first.prev_hash, "");
  EXPECT_TRUE(contract::IsSha256Hex(first.hash)) << first.hash;
}

TYPED_TEST_P(AuditLogContractTest, SeqsAreConsecutiveAndEachRecordChainsToThePrevious) {
  const AuditRecord a = this->AppendOk(contract::SampleRecord("window.open"));
  const AuditRecord b = this->AppendOk(contract::SampleRecord("window.open"));
  const AuditRecord c = this->AppendOk(contract::SampleRecord("window.close", 5));
  EXPECT_EQ(b.seq, 2);
  EXPECT_EQ(c.seq, 3);
  EXPECT_EQ(b.prev_hash, a.hash);
  EXPECT_EQ(c.prev_hash, b.hash);
  EXPECT_NE(a.hash, b.hash);  // same content, different place in the chain
}

TYPED_TEST_P(AuditLogContractTest, AppendKeepsTheFieldsAndAssignsSeqAndHashesItself) {
  AuditRecord record = contract::SampleRecord("window.open");
  record.seq = 99;
  record.prev_hash = "forged";
  record.hash = "forged";
  const AuditRecord appended = this->AppendOk(record);
  EXPECT_EQ(appended.seq, 1);
  EXPECT_EQ(appended.prev_hash, "");
  EXPECT_NE(appended.hash, "forged");
  AuditRecord expected = record;
  expected.seq = appended.seq;
  expected.prev_hash = appended.prev_hash;
  expected.hash = appended.hash;
  EXPECT_EQ(appended, expected);
}

TYPED_TEST_P(AuditLogContractTest, QueryReturnsWhatAppendReturned) {
  const AuditRecord a = this->AppendOk(contract::SampleRecord("window.open"));
  const AuditRecord b = this->AppendOk(contract::SampleRecord("window.close", 10));
  Result<std::vector<AuditRecord>> all = this->log().Query(10, std::nullopt);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_THAT(*all, ::testing::ElementsAre(b, a));
}

TYPED_TEST_P(AuditLogContractTest, QueryReturnsNewestFirstUpToTheLimit) {
  this->AppendMany(5);
  Result<std::vector<AuditRecord>> two = this->log().Query(2, std::nullopt);
  ASSERT_TRUE(two.ok());
  EXPECT_THAT(contract::Seqs(*two), ::testing::ElementsAre(5, 4));
  Result<std::vector<AuditRecord>> none = this->log().Query(0, std::nullopt);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TYPED_TEST_P(AuditLogContractTest, QueryAfterSeqReturnsOnlyLaterRecords) {
  this->AppendMany(5);
  Result<std::vector<AuditRecord>> later = this->log().Query(10, 3);
  ASSERT_TRUE(later.ok());
  EXPECT_THAT(contract::Seqs(*later), ::testing::ElementsAre(5, 4));
  Result<std::vector<AuditRecord>> newest_two = this->log().Query(2, 1);
  ASSERT_TRUE(newest_two.ok());
  EXPECT_THAT(contract::Seqs(*newest_two), ::testing::ElementsAre(5, 4));
  Result<std::vector<AuditRecord>> none = this->log().Query(10, 5);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TYPED_TEST_P(AuditLogContractTest, OpOutputIsCutTo4KiB) {
  AuditRecord record = contract::SampleRecord("service.stop");
  const std::string big(10'000, 'x');
  record.ops[0].output = big;
  const AuditRecord appended = this->AppendOk(record);
  EXPECT_EQ(appended.ops[0].output, big.substr(0, 4096));
  Result<std::vector<AuditRecord>> stored = this->log().Query(1, std::nullopt);
  ASSERT_TRUE(stored.ok() && stored->size() == 1);
  EXPECT_EQ(stored->front().ops[0].output.size(), 4096u);
}

TYPED_TEST_P(AuditLogContractTest, FailedAppendKeepsNothingAndItsSeqIsReused) {
  const AuditRecord first = this->AppendOk(contract::SampleRecord("window.open"));
  this->env_.BreakStorage();
  Result<AuditRecord> failed = this->log().Append(contract::SampleRecord("window.close"));
  EXPECT_FALSE(failed.ok());
  this->env_.RepairStorage();
  Result<std::vector<AuditRecord>> stored = this->log().Query(10, std::nullopt);
  ASSERT_TRUE(stored.ok());
  EXPECT_THAT(contract::Seqs(*stored), ::testing::ElementsAre(1));
  const AuditRecord second = this->AppendOk(contract::SampleRecord("window.close"));
  EXPECT_EQ(second.seq, 2);
  EXPECT_EQ(second.prev_hash, first.hash);
}

REGISTER_TYPED_TEST_SUITE_P(AuditLogContractTest, FirstRecordHasSeqOneAndNoPrevHash,
                            SeqsAreConsecutiveAndEachRecordChainsToThePrevious,
                            AppendKeepsTheFieldsAndAssignsSeqAndHashesItself,
                            QueryReturnsWhatAppendReturned, QueryReturnsNewestFirstUpToTheLimit,
                            QueryAfterSeqReturnsOnlyLaterRecords, OpOutputIsCutTo4KiB,
                            FailedAppendKeepsNothingAndItsSeqIsReused);

}  // namespace madre
