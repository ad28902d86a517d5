#include "daemon/print_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

namespace madre {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

EnvLookup Env(std::map<std::string, std::string> values) {
  return [values](const std::string& name) -> std::optional<std::string> {
    auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

SettingOrigins EnvOnly(const EnvLookup& env) {
  SettingOrigins origins;
  origins.env = env;
  return origins;
}

const EffectiveSetting& Find(const std::vector<EffectiveSetting>& settings,
                             const std::string& name) {
  for (const EffectiveSetting& s : settings) {
    if (s.name == name) return s;
  }
  static const EffectiveSetting kMissing{
      .name = "missing", .value = {}, .source = "", .secret = false};
  ADD_FAILURE() << name << " is not printed";
  return kMissing;
}

TEST(PrintConfigTest, EveryKnownSettingIsDescribedAndPrintedInItsOrder) {
  const std::vector<std::string> names = PrintedSettingNames();
  for (const std::string& name : KnownSettings()) {
    EXPECT_TRUE(IsDescribedSetting(name)) << name << ": add a row to print_config.cc";
  }
  EXPECT_TRUE(IsDescribedSetting("DOCKER_HOST"));
  std::vector<std::string> known(KnownSettings().begin(), KnownSettings().end());
  std::vector<std::string> without_docker_host;
  for (const std::string& n : names) {
    if (n != "DOCKER_HOST") without_docker_host.push_back(n);
  }
  EXPECT_EQ(without_docker_host, known);
  const std::vector<EffectiveSetting> rows = EffectiveSettings(DaemonConfig{}, EnvOnly(Env({})));
  ASSERT_EQ(rows.size(), names.size());
  for (std::size_t i = 0; i < rows.size(); ++i) EXPECT_EQ(rows[i].name, names[i]);
}

TEST(PrintConfigTest, SecretNamesAreRecognisedButPathsToThemAreNot) {
  EXPECT_TRUE(IsSecretSettingName("VX11_TOKEN"));
  EXPECT_TRUE(IsSecretSettingName("VX11_TENTACULO_LINK_TOKEN"));
  EXPECT_TRUE(IsSecretSettingName("VX11_DEEPSEEK_API_KEY"));
  EXPECT_TRUE(IsSecretSettingName("VX11_WEBHOOK_SECRET"));
  EXPECT_TRUE(IsSecretSettingName("VX11_DB_PASSWORD"));
  EXPECT_FALSE(IsSecretSettingName("VX11_TOKENS_FILE"));
  EXPECT_FALSE(IsSecretSettingName("VX11_AUDIT_HMAC_KEY_FILE"));
  EXPECT_FALSE(IsSecretSettingName("VX11_MADRE_BIND"));
}

TEST(PrintConfigTest, DefaultsEnvAndRedaction) {
  DaemonConfig config;
  const EnvLookup env = Env({{"VX11_MADRE_PORT", "9001"},
                             {"VX11_TOKEN", "super-secret-token-value"},
                             {"DEEPSEEK_API_KEY", "sk-very-secret"},
                             {"VX11_AUTOFIX_LLM_URL", "https://llm.example/v1/chat?key=sk-q"}});
  ASSERT_TRUE(ApplyEnv(env, config).ok());
  const std::vector<EffectiveSetting> rows = EffectiveSettings(config, EnvOnly(env));
  EXPECT_EQ(Find(rows, "VX11_MADRE_PORT").value, "9001");
  EXPECT_EQ(Find(rows, "VX11_MADRE_PORT").source, "env");
  EXPECT_EQ(Find(rows, "VX11_MADRE_BIND").value, "127.0.0.1");
  EXPECT_EQ(Find(rows, "VX11_MADRE_BIND").source, "default");
  EXPECT_EQ(Find(rows, "VX11_TOKEN").value, "<redacted>");
  EXPECT_TRUE(Find(rows, "VX11_TOKEN").secret);
  EXPECT_EQ(Find(rows, "VX11_TENTACULO_LINK_TOKEN").value, std::nullopt);
  EXPECT_EQ(Find(rows, "VX11_DEEPSEEK_API_KEY").value, "<redacted>");
  EXPECT_EQ(Find(rows, "VX11_DEEPSEEK_API_KEY").source, "env DEEPSEEK_API_KEY");
  EXPECT_EQ(Find(rows, "VX11_AUTOFIX_LLM_URL").value, "https://llm.example/v1/chat?<redacted>");
  EXPECT_EQ(Find(rows, "VX11_ALLOWLIST").value, std::nullopt);
  EXPECT_EQ(Find(rows, "VX11_ALWAYS_ON").value, "madre,redis");
  EXPECT_EQ(Find(rows, "VX11_AUDIT_DIR").value, "./data/madre/audit");
  EXPECT_EQ(Find(rows, "VX11_POWER_WINDOWS_ENABLED").value, "1");

  const std::string text = FormatSettingsText(rows);
  EXPECT_THAT(text, Not(HasSubstr("super-secret")));
  EXPECT_THAT(text, Not(HasSubstr("sk-very-secret")));
  EXPECT_THAT(text, Not(HasSubstr("sk-q")));
  EXPECT_THAT(text, HasSubstr("VX11_TENTACULO_LINK_TOKEN"));
  const std::string json_text = FormatSettingsJson(rows);
  EXPECT_THAT(json_text, Not(HasSubstr("super-secret")));
  const nlohmann::json parsed = nlohmann::json::parse(json_text);
  ASSERT_EQ(parsed["settings"].size(), rows.size());
  for (const auto& row : parsed["settings"]) {
    if (row["name"] == "VX11_ALLOWLIST") {
      EXPECT_TRUE(row["value"].is_null());
    }
    if (row["name"] == "VX11_MADRE_PORT") {
      EXPECT_EQ(row["value"], "9001");
    }
  }
}

TEST(PrintConfigTest, TextColumnsAreAligned) {
  const std::vector<EffectiveSetting> rows = {
      {.name = "A", .value = "1", .source = "env", .secret = false},
      {.name = "LONGER_NAME", .value = std::nullopt, .source = "default", .secret = false}};
  EXPECT_EQ(FormatSettingsText(rows).substr(FormatSettingsText(rows).find('\n') + 1),
            "SETTING      VALUE    SOURCE\n"
            "A            1        env\n"
            "LONGER_NAME  <unset>  default\n");
}

class PrintConfigRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("madre-print-config-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "docker-compose.yml") << "services: {}\n";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  int Run(const ServeFlags& flags, std::map<std::string, std::string> env) {
    out_.str("");
    err_.str("");
    return PrintConfig(flags, Env(std::move(env)), out_, err_);
  }

  std::filesystem::path dir_;
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(PrintConfigRunTest, SourcesFollowFlagsThenFileThenEnvAndNothingIsCreated) {
  std::ofstream(dir_ / "madre.toml") << "port = 9100\nthrottle_mode = \"refuse\"\n";
  ServeFlags flags;
  flags.config_file = (dir_ / "madre.toml").string();
  flags.bind = "127.0.0.2";
  const std::filesystem::path state = dir_ / "state";
  const int code = Run(flags, {{"VX11_COMPOSE_DIR", dir_.string()},
                               {"VX11_STATE_DIR", state.string()},
                               {"VX11_MADRE_PORT", "9001"},
                               {"VX11_MADRE_BIND", "127.0.0.3"},
                               {"VX11_RESYNC_SEC", "5"},
                               {"VX11_TOKEN", "a-token-nobody-may-see-0123456789"}});
  ASSERT_EQ(code, 0) << err_.str();
  const std::string text = out_.str();
  auto line_of = [&text](const std::string& name) {
    const std::size_t at = text.find("\n" + name + " ");
    if (at == std::string::npos) return std::string("(none)");
    return text.substr(at + 1, text.find('\n', at + 1) - at - 1);
  };
  EXPECT_THAT(line_of("VX11_MADRE_BIND"), HasSubstr("127.0.0.2"));
  EXPECT_THAT(line_of("VX11_MADRE_BIND"), HasSubstr("flag --bind"));
  EXPECT_THAT(line_of("VX11_MADRE_PORT"), HasSubstr("9100"));
  EXPECT_THAT(line_of("VX11_MADRE_PORT"), HasSubstr(flags.config_file));
  EXPECT_THAT(line_of("VX11_THROTTLE_MODE"), HasSubstr("refuse"));
  EXPECT_THAT(line_of("VX11_RESYNC_SEC"), HasSubstr("5"));
  EXPECT_THAT(line_of("VX11_RESYNC_SEC"), HasSubstr("env"));
  EXPECT_THAT(line_of("VX11_TOKEN"), HasSubstr("<redacted>"));
  EXPECT_THAT(line_of("VX11_COMPOSE_FILES"), HasSubstr("docker-compose.yml"));
  EXPECT_THAT(text, Not(HasSubstr("a-token-nobody-may-see")));
  EXPECT_THAT(text, HasSubstr("# the API token: VX11_TOKEN\n"));
  EXPECT_FALSE(std::filesystem::exists(state)) << "--print-config must create nothing";
  EXPECT_EQ(err_.str(), "");
}

TEST_F(PrintConfigRunTest, TheWebhooksFileIsShownByPathItsSecretsNeverAndABadOneExitsTwo) {
  std::ofstream(dir_ / "webhooks.toml")
      << "[webhooks.ops]\nurl = \"http://127.0.0.1:9000/\"\nsecret = \"hook-secret-42\"\n";
  ServeFlags flags;
  const std::map<std::string, std::string> env = {
      {"VX11_COMPOSE_DIR", dir_.string()},
      {"VX11_STATE_DIR", (dir_ / "state").string()},
      {"VX11_WEBHOOKS_FILE", (dir_ / "webhooks.toml").string()}};
  ASSERT_EQ(Run(flags, env), 0) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr((dir_ / "webhooks.toml").string()));
  EXPECT_THAT(out_.str(), Not(HasSubstr("hook-secret-42")));

  std::ofstream(dir_ / "webhooks.toml") << "[webhooks.ops]\nurl = \"http://127.0.0.1:9000/\"\n";
  EXPECT_EQ(Run(flags, env), 2);
  EXPECT_THAT(err_.str(), HasSubstr("[webhooks.ops]: secret (or secret_file) is missing"));
  EXPECT_EQ(out_.str(), "");
}

TEST_F(PrintConfigRunTest, JsonVariant) {
  ServeFlags flags;
  flags.json = true;
  const std::filesystem::path state = dir_ / "state";
  ASSERT_EQ(Run(flags, {{"VX11_COMPOSE_DIR", dir_.string()}, {"VX11_STATE_DIR", state.string()}}),
            0)
      << err_.str();
  const nlohmann::json parsed = nlohmann::json::parse(out_.str());
  EXPECT_EQ(parsed["settings"].size(), PrintedSettingNames().size());
  EXPECT_EQ(parsed["settings"][0]["name"], "DOCKER_HOST");
  // No token in the environment: the token file, which --print-config neither reads nor makes.
  EXPECT_EQ(parsed["token_source"],
            (state / "token").string() + " (read, or created at start when missing)");
  EXPECT_FALSE(std::filesystem::exists(state));
}

TEST_F(PrintConfigRunTest, BadSettingsExitTwoWithServesError) {
  ServeFlags flags;
  EXPECT_EQ(Run(flags, {{"VX11_COMPOSE_DIR", dir_.string()}, {"VX11_MADRE_PORT", "http"}}), 2);
  EXPECT_EQ(err_.str(), "madre: VX11_MADRE_PORT=http is not an integer\n");
  EXPECT_EQ(out_.str(), "");

  EXPECT_EQ(Run(flags, {{"VX11_COMPOSE_DIR", (dir_ / "nowhere").string()}}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("does not exist"));

  EXPECT_EQ(Run(flags, {{"VX11_COMPOSE_DIR", dir_.string()},
                        {"VX11_STOP_STRATEGY", "pause"},
                        {"DOCKER_HOST", "tcp://127.0.0.1:2375"}}),
            2);
  EXPECT_THAT(err_.str(), HasSubstr("needs the Engine API"));

  std::ofstream(dir_ / "bad.toml") << "no_such_setting = 1\n";
  flags.config_file = (dir_ / "bad.toml").string();
  EXPECT_EQ(Run(flags, {{"VX11_COMPOSE_DIR", dir_.string()}}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("unknown setting 'no_such_setting'"));
  EXPECT_EQ(out_.str(), "");
}

}  // namespace
}  // namespace madre
