#include "daemon/config.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>


namespace madre {
namespace {

EnvLookup Env(std::map<std::string, std::string> values) {
  return [values](const std::string& name) -> std::optional<std::string> {
    auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

TEST(ConfigTest, DefaultsFollowTheSpec) {
  DaemonConfig c;
  ASSERT_TRUE(ApplyEnv(Env({}), c).ok());
  EXPECT_EQ(c.bind, "127.0.0.1");
  EXPECT_EQ(c.port, 8001);
  EXPECT_EQ(c.compose_project, "vx11");
  EXPECT_EQ(c.always_on, (std::set<std::string>{"madre", "redis"}));
  EXPECT_EQ(c.max_concurrent, 1);
  EXPECT_EQ(c.timeout_sec, 30);
  EXPECT_EQ(c.AuditDir(), std::filesystem::path("./data/madre/audit"));
  EXPECT_FALSE(c.allowlist.has_value());
}

TEST(ConfigTest, EnvironmentIsRead) {
  DaemonConfig c;
  ASSERT_TRUE(ApplyEnv(Env({{"VX11_MADRE_PORT", "9001"},
                            {"VX11_COMPOSE_PROJECT", "p"},
                            {"VX11_COMPOSE_FILES", "a.yml, b.yml"},
                            {"VX11_ALWAYS_ON", "madre,redis,db"},
                            {"VX11_POWER_WINDOWS_CORE_MODE", "1"},
                            {"VX11_ALLOWLIST", "web"},
                            {"VX11_POWER_WINDOWS_ENABLED", "0"},
                            {"VX11_POWER_WINDOWS_MAX_CONCURRENT", "3"},
                            {"VX11_CRASHLOOP_ACTION", "stop"},
                            {"VX11_STATE_DIR", "/tmp/s"}}),
                       c)
                  .ok());
  EXPECT_EQ(c.port, 9001);
  EXPECT_EQ(c.compose_project, "p");
  EXPECT_EQ(c.compose_files, (std::vector<std::string>{"a.yml", "b.yml"}));
  EXPECT_EQ(c.EffectiveAlwaysOn(), (std::set<std::string>{"db", "madre", "redis", "tentaculo_link"}));
  EXPECT_EQ(c.allowlist, (std::set<std::string>{"web"}));
  EXPECT_FALSE(c.windows_enabled);
  EXPECT_EQ(c.max_concurrent, 3);
  EXPECT_EQ(c.crashloop_action, "stop");
  EXPECT_EQ(c.AuditDir(), std::filesystem::path("/tmp/s/audit"));
}

TEST(ConfigTest, BadValuesNameTheVariable) {
  DaemonConfig c;
  Status s = ApplyEnv(Env({{"VX11_MADRE_PORT", "80x"}}), c);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "VX11_MADRE_PORT=80x is not an integer");
  EXPECT_EQ(ApplyEnv(Env({{"VX11_POWER_WINDOWS_MAX_CONCURRENT", "0"}}), c).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ApplyEnv(Env({{"VX11_POWER_WINDOWS_ENABLED", "maybe"}}), c).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ApplyEnv(Env({{"VX11_CRASHLOOP_ACTION", "explode"}}), c).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ApplyEnv(Env({{"VX11_POWER_WINDOWS_LOG_LEVEL", "LOUD"}}), c).code(),
            StatusCode::kInvalidArgument);
}

TEST(ConfigTest, TomlOverridesAndRejectsUnknownKeysWithTheLine) {
  DaemonConfig c;
  ASSERT_TRUE(ApplyToml("port = 9100\nalways_on = [\"madre\"]\nmax_concurrent = 2\n", "m.toml", c).ok());
  EXPECT_EQ(c.port, 9100);
  EXPECT_EQ(c.always_on, std::set<std::string>{"madre"});
  EXPECT_EQ(c.max_concurrent, 2);
  Status unknown = ApplyToml("prot = 1\n", "m.toml", c);
  EXPECT_EQ(unknown.message(), "m.toml: unknown setting 'prot'");
  Status syntax = ApplyToml("port = \n", "m.toml", c);
  EXPECT_EQ(syntax.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(syntax.message().find("m.toml:1"), std::string::npos) << syntax.message();
  EXPECT_EQ(ApplyToml("port = \"x\"\n", "m.toml", c).code(), StatusCode::kInvalidArgument);
}

TEST(ConfigTest, TokenComesFromTheEnvironmentThenAFileMadeOnce) {
  const auto dir = std::filesystem::temp_directory_path() / ("madre-config-test-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  DaemonConfig c;
  c.state_dir = dir;
  ASSERT_TRUE(ResolveToken(Env({{"VX11_TOKEN", "b"}, {"VX11_TENTACULO_LINK_TOKEN", "a"}}), c).ok());
  EXPECT_EQ(c.token, "a");
  ASSERT_TRUE(ResolveToken(Env({{"VX11_TOKEN", "b"}, {"VX11_TENTACULO_LINK_TOKEN", ""}}), c).ok());
  EXPECT_EQ(c.token, "b");
  ASSERT_TRUE(ResolveToken(Env({}), c).ok());
  const std::string generated = c.token;
  EXPECT_EQ(generated.size(), 48u);
  struct stat st {};
  ASSERT_EQ(::stat((dir / "token").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  DaemonConfig again;
  again.state_dir = dir;
  ASSERT_TRUE(ResolveToken(Env({}), again).ok());
  EXPECT_EQ(again.token, generated);  // stable across restarts
  std::filesystem::remove_all(dir);
}

TEST(ConfigTest, MetricsNeedTheTokenUnlessVx11MetricsPublicSaysOtherwise) {
  DaemonConfig config;
  EXPECT_FALSE(config.metrics_public);
  ASSERT_TRUE(ApplyEnv(Env({{"VX11_METRICS_PUBLIC", "1"}}), config).ok());
  EXPECT_TRUE(config.metrics_public);
  EXPECT_FALSE(ApplyEnv(Env({{"VX11_METRICS_PUBLIC", "maybe"}}), config).ok());
}

TEST(ConfigTest, TheDefaultAllowlistIsEveryServiceThatIsNotAlwaysOn) {
  DaemonConfig config;
  config.core_mode = true;  // adds tentaculo_link to the always-on set
  const std::set<std::string> services = {"redis", "db", "web", "tentaculo_link"};
  EXPECT_EQ(config.EffectiveAllowlist(services), (std::set<std::string>{"db", "web"}));
  config.allowlist = std::set<std::string>{"web"};
  EXPECT_EQ(config.EffectiveAllowlist(services), (std::set<std::string>{"web"}));
}

}  // namespace
}  // namespace madre
