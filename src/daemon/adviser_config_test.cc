#include "daemon/adviser_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "daemon/config.h"
#include "testing/fake_clock.h"

namespace madre {
namespace {

using ::testing::HasSubstr;

EnvLookup Env(std::map<std::string, std::string> values) {
  return [values](const std::string& name) -> std::optional<std::string> {
    auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

Result<std::unique_ptr<Adviser>> Make(const DaemonConfig& c) {
  static FakeClock clock;
  return MakeAdviser(c.adviser, {"madre-token"}, clock, [](Duration) {});
}

TEST(AdviserConfigTest, OffWithoutAUrlWithTheDefaults) {
  DaemonConfig c;
  ASSERT_TRUE(ApplyEnv(Env({{"DEEPSEEK_API_KEY", "sk-x"}}), c).ok());
  EXPECT_FALSE(c.adviser.url.has_value());
  EXPECT_EQ(c.adviser.model, "deepseek-reasoner");
  EXPECT_EQ(c.adviser.rate_per_hour, 10);
  EXPECT_EQ(c.adviser.timeout_sec, 30);
  EXPECT_FALSE(c.adviser.mask_names);
  auto adviser = Make(c);
  ASSERT_TRUE(adviser.ok());
  EXPECT_EQ(*adviser, nullptr);
}

TEST(AdviserConfigTest, OnWithAUrlAndAKey) {
  DaemonConfig c;
  ASSERT_TRUE(
      ApplyEnv(Env({{"VX11_AUTOFIX_LLM_URL", "https://api.deepseek.com/v1/chat/completions"},
                    {"VX11_AUTOFIX_LLM_MODEL", "deepseek-chat"},
                    {"VX11_AUTOFIX_LLM_RATE_PER_HOUR", "5"},
                    {"VX11_AUTOFIX_LLM_TIMEOUT_SEC", "12"},
                    {"VX11_AUTOFIX_LLM_MASK_NAMES", "1"},
                    {"VX11_AUTOFIX_LLM_CA_FILE", "/etc/ca.pem"},
                    {"DEEPSEEK_API_TOKEN", "third"},
                    {"DEEPSEEK_API_KEY", "second"},
                    {"VX11_DEEPSEEK_API_KEY", " first\n"}}),
               c)
          .ok());
  EXPECT_EQ(c.adviser.url, "https://api.deepseek.com/v1/chat/completions");
  EXPECT_EQ(c.adviser.model, "deepseek-chat");
  EXPECT_EQ(c.adviser.rate_per_hour, 5);
  EXPECT_EQ(c.adviser.timeout_sec, 12);
  EXPECT_TRUE(c.adviser.mask_names);
  EXPECT_EQ(c.adviser.ca_file, std::filesystem::path("/etc/ca.pem"));
  EXPECT_EQ(c.adviser.key, "first");
  EXPECT_EQ(c.adviser.key_source, "VX11_DEEPSEEK_API_KEY");
  auto adviser = Make(c);
  ASSERT_TRUE(adviser.ok()) << adviser.status().message();
  EXPECT_NE(*adviser, nullptr);
}

TEST(AdviserConfigTest, TheKeyComesFromTheOtherNamesInOrder) {
  DaemonConfig c;
  ASSERT_TRUE(
      ApplyEnv(Env({{"DEEPSEEK_API_TOKEN", "third"}, {"DEEPSEEK_API_KEY", "second"}}), c).ok());
  EXPECT_EQ(c.adviser.key, "second");
  DaemonConfig d;
  ASSERT_TRUE(ApplyEnv(Env({{"DEEPSEEK_API_TOKEN", "third"}}), d).ok());
  EXPECT_EQ(d.adviser.key, "third");
}

TEST(AdviserConfigTest, PlainHttpIsRefusedUnlessLoopback) {
  DaemonConfig c;
  Status refused =
      ApplyEnv(Env({{"VX11_AUTOFIX_LLM_URL", "http://api.deepseek.com/v1/chat/completions"}}), c);
  EXPECT_EQ(refused.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.message(), HasSubstr("VX11_AUTOFIX_LLM_URL"));
  EXPECT_THAT(refused.message(), HasSubstr("loopback"));
  EXPECT_FALSE(c.adviser.url.has_value());
  EXPECT_TRUE(ApplyEnv(Env({{"VX11_AUTOFIX_LLM_URL", "http://127.0.0.1:9000/v1"}}), c).ok());
  EXPECT_TRUE(ApplyEnv(Env({{"VX11_AUTOFIX_LLM_URL", "http://localhost:9000/v1"}}), c).ok());
  EXPECT_FALSE(ApplyEnv(Env({{"VX11_AUTOFIX_LLM_URL", "ftp://127.0.0.1/x"}}), c).ok());
  EXPECT_FALSE(ApplyEnv(Env({{"VX11_AUTOFIX_LLM_RATE_PER_HOUR", "0"}}), c).ok());
  EXPECT_FALSE(ApplyEnv(Env({{"VX11_AUTOFIX_LLM_MASK_NAMES", "maybe"}}), c).ok());
}

TEST(AdviserConfigTest, AUrlWithoutAKeyStopsStartUp) {
  DaemonConfig c;
  ASSERT_TRUE(ApplyEnv(Env({{"VX11_AUTOFIX_LLM_URL", "https://example.com/v1"}}), c).ok());
  auto adviser = Make(c);
  ASSERT_FALSE(adviser.ok());
  EXPECT_THAT(adviser.status().message(), HasSubstr("DEEPSEEK_API_KEY"));
  c.adviser.key_file = "/nonexistent/key";
  EXPECT_EQ(Make(c).status().code(), StatusCode::kNotFound);
}

TEST(AdviserConfigTest, TheKeyFileIsReadWhenNoVariableIsSet) {
  char name[] = "/tmp/madre_llm_key_XXXXXX";
  int fd = ::mkstemp(name);
  ASSERT_GE(fd, 0);
  ::close(fd);
  std::ofstream(name) << "  sk-from-file \n";
  DaemonConfig c;
  ASSERT_TRUE(ApplyEnv(Env({{"VX11_AUTOFIX_LLM_URL", "https://example.com/v1"},
                            {"VX11_AUTOFIX_LLM_KEY_FILE", name}}),
                       c)
                  .ok());
  auto adviser = Make(c);
  EXPECT_TRUE(adviser.ok()) << adviser.status().message();
  EXPECT_NE(adviser.ok() ? adviser->get() : nullptr, nullptr);
  std::remove(name);
}

TEST(AdviserConfigTest, TomlKeysAreRead) {
  DaemonConfig c;
  ASSERT_TRUE(ApplyToml("autofix_llm_url = \"https://x.example/v1\"\n"
                        "autofix_llm_model = \"m\"\n"
                        "autofix_llm_rate_per_hour = 3\n"
                        "autofix_llm_timeout_sec = 4\n"
                        "autofix_llm_mask_names = true\n",
                        "m.toml", c)
                  .ok());
  EXPECT_EQ(c.adviser.url, "https://x.example/v1");
  EXPECT_EQ(c.adviser.model, "m");
  EXPECT_EQ(c.adviser.rate_per_hour, 3);
  EXPECT_EQ(c.adviser.timeout_sec, 4);
  EXPECT_TRUE(c.adviser.mask_names);
  EXPECT_FALSE(ApplyToml("autofix_llm_url = \"http://10.0.0.1/v1\"\n", "m.toml", c).ok());
}

TEST(AdviserConfigTest, EveryAdviserVariableIsAKnownSetting) {
  for (const char* name : {"VX11_AUTOFIX_LLM_URL", "VX11_AUTOFIX_LLM_MODEL",
                           "VX11_DEEPSEEK_API_KEY", "VX11_AUTOFIX_LLM_KEY_FILE",
                           "VX11_AUTOFIX_LLM_RATE_PER_HOUR", "VX11_AUTOFIX_LLM_TIMEOUT_SEC",
                           "VX11_AUTOFIX_LLM_MASK_NAMES", "VX11_AUTOFIX_LLM_CA_FILE"}) {
    EXPECT_TRUE(KnownSettings().count(name)) << name;
  }
}

}  // namespace
}  // namespace madre
