#include "adapters/sqlite/window_codec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "testing/window_store_contract.h"

namespace madre {
namespace {

using ::testing::HasSubstr;

TEST(WindowCodecTest, EveryFieldRoundTrips) {
  const Window window = contract::FullWindow("w-1");
  Result<Window> decoded = DecodeWindow(EncodeWindow(window));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, window);
}

TEST(WindowCodecTest, AbsentOptionalsAreNull) {
  Window window;
  window.id = "w";
  const nlohmann::json j = nlohmann::json::parse(EncodeWindow(window));
  for (const char* key : {"opened_at", "ttl_sec", "deadline", "closed_at", "cpu_limit"}) {
    EXPECT_TRUE(j.at(key).is_null()) << key;
  }
  Result<Window> decoded = DecodeWindow(j.dump());
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, window);
}

TEST(WindowCodecTest, MissingKeysTakeTheDefaults) {
  Result<Window> decoded = DecodeWindow(R"({"id":"w","state":"open"})");
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  Window expected;
  expected.id = "w";
  expected.state = WindowState::kOpen;
  EXPECT_EQ(*decoded, expected);
}

TEST(WindowCodecTest, CorruptBodiesAreInternalErrors) {
  for (const char* body :
       {"", "not json", "[]", R"({"state":"open"})", R"({"id":"w","state":"ajar"})",
        R"({"id":"w","close_reason":"bored"})", R"({"id":"w","hold":"yes"})",
        R"({"id":"w","services_status":{"web":3}})"}) {
    Result<Window> decoded = DecodeWindow(body);
    ASSERT_FALSE(decoded.ok()) << body;
    EXPECT_EQ(decoded.code(), StatusCode::kInternal);
    EXPECT_THAT(decoded.status().message(), HasSubstr("corrupt window body")) << body;
  }
}

TEST(WindowCodecTest, ServiceStatesAreStoredAsTheirNames) {
  Window window;
  window.id = "w";
  window.services_status["db"].state = ServiceState::kCrashloop;
  window.services_status["web"].state = ServiceState::kStopping;
  const nlohmann::json j = nlohmann::json::parse(EncodeWindow(window));
  EXPECT_EQ(j.at("services_status").at("db").at("state"), "crashloop");
  EXPECT_EQ(j.at("services_status").at("web").at("state"), "stopping");
}

TEST(WindowCodecTest, AnUnknownServiceStateReadsAsUnknownAndTheWindowStillLoads) {
  Result<Window> decoded = DecodeWindow(
      R"({"id":"w","state":"open","services_status":{"db":{"state":"hibernating","error":"x"},)"
      R"("web":{"state":"running"}}})");
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->state, WindowState::kOpen);
  EXPECT_EQ(decoded->services_status.at("db").state, ServiceState::kUnknown);
  EXPECT_EQ(decoded->services_status.at("db").error, "x");
  EXPECT_EQ(decoded->services_status.at("web").state, ServiceState::kRunning);
}

TEST(WindowCodecTest, AServiceStateOfTheWrongTypeIsCorrupt) {
  Result<Window> decoded = DecodeWindow(R"({"id":"w","services_status":{"db":{"state":3}}})");
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.code(), StatusCode::kInternal);
  EXPECT_THAT(decoded.status().message(), HasSubstr("corrupt window body"));
}

TEST(WindowCodecTest, InvalidUtf8IsReplacedInsteadOfThrowing) {
  Window window;
  window.id = "w";
  window.error = "bad \xff byte";
  Result<Window> decoded = DecodeWindow(EncodeWindow(window));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->error, "bad \xEF\xBF\xBD byte");
}

}  // namespace
}  // namespace madre
