#include "daemon/config.h"

#include <gmock/gmock.h>
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
  EXPECT_EQ(c.EffectiveAlwaysOn(),
            (std::set<std::string>{"db", "madre", "redis", "tentaculo_link"}));
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

TEST(ConfigTest, TheStopStrategiesAreStopPauseAndCpuIdle) {
  for (const char* strategy : {"stop", "pause", "cpu_idle"}) {
    DaemonConfig c;
    ASSERT_TRUE(ApplyEnv(Env({{"VX11_STOP_STRATEGY", strategy}}), c).ok()) << strategy;
    EXPECT_EQ(c.stop_strategy, strategy);
  }
  DaemonConfig c;
  Status s = ApplyEnv(Env({{"VX11_STOP_STRATEGY", "throttle"}}), c);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "VX11_STOP_STRATEGY=throttle must be stop, pause or cpu_idle");
}

TEST(ConfigTest, TheProviderIsComposeOrSwarm) {
  DaemonConfig c;
  EXPECT_EQ(c.provider, "compose");
  EXPECT_TRUE(CheckProviderSettings(c).ok());
  ASSERT_TRUE(ApplyEnv(Env({{"VX11_PROVIDER", "swarm"}}), c).ok());
  EXPECT_EQ(c.provider, "swarm");
  c.docker_host = "unix:///var/run/docker.sock";
  EXPECT_TRUE(CheckProviderSettings(c).ok());
  Status s = ApplyEnv(Env({{"VX11_PROVIDER", "kubernetes"}}), c);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "VX11_PROVIDER=kubernetes must be compose or swarm");
  EXPECT_EQ(c.provider, "swarm");  // unchanged

  DaemonConfig toml;
  ASSERT_TRUE(ApplyToml("provider = \"swarm\"\n", "madre.toml", toml).ok());
  EXPECT_EQ(toml.provider, "swarm");
  EXPECT_EQ(ApplyToml("provider = \"nomad\"\n", "madre.toml", toml).code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(KnownSettings().count("VX11_PROVIDER"));
}

TEST(ConfigTest, SwarmRefusesWhatItCannotDo) {
  DaemonConfig c;
  c.provider = "swarm";
  c.docker_host = "tcp://127.0.0.1:2375";
  Status s = CheckProviderSettings(c);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("unix://"), std::string::npos);
  c.docker_host = "unix:///var/run/docker.sock";
  for (const char* strategy : {"pause", "cpu_idle"}) {
    c.stop_strategy = strategy;
    s = CheckProviderSettings(c);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << strategy;
    EXPECT_NE(s.message().find("VX11_STOP_STRATEGY=" + std::string(strategy)), std::string::npos);
  }
  c.provider = "compose";
  EXPECT_TRUE(CheckProviderSettings(c).ok());  // compose: the other checks apply
}

TEST(ConfigTest, SwarmWarnsOfTheLabelsItDoesNotActOn) {
  ServiceModel model;
  model.services["web"].labels = {{"vx11.health.exec", "1"},
                                  {"vx11.health.url", "http://127.0.0.1:8080/health"},
                                  {"vx11.role", "always-on"}};
  model.services["db"].labels = {{"vx11.cpu.limit", "0.5"}};
  DaemonConfig c;
  EXPECT_TRUE(ProviderModelWarnings(c, model).empty());  // compose acts on all of them
  c.provider = "swarm";
  const std::vector<std::string> warnings = ProviderModelWarnings(c, model);
  ASSERT_EQ(warnings.size(), 3u);
  EXPECT_THAT(warnings[0], ::testing::HasSubstr("service db: label vx11.cpu.limit is not applied"));
  EXPECT_THAT(warnings[1], ::testing::HasSubstr("service web: label vx11.health.exec is not used"));
  EXPECT_THAT(warnings[2],
              ::testing::HasSubstr("service web: label vx11.health.url dials 127.0.0.1"));
}

TEST(ConfigTest, DockerEventsAreFollowedOverAUnixSocketOnly) {
  DaemonConfig c;
  c.docker_host = "unix:///var/run/docker.sock";
  EXPECT_TRUE(FollowsContainerEvents(c));
  c.provider = "swarm";  // the stack's task and service events (ParseStackEvent)
  EXPECT_TRUE(FollowsContainerEvents(c));
  c.provider = "compose";
  c.docker_host = "tcp://127.0.0.1:2375";
  EXPECT_FALSE(FollowsContainerEvents(c));
}

TEST(ConfigTest, TheOriginalSoloMadreOneIsAcceptedSilently) {
  for (const char* value : {"1", "true", ""}) {
    DaemonConfig c;
    EXPECT_TRUE(ApplyEnv(Env({{"VX11_SOLO_MADRE", value}}), c).ok()) << value;
  }
}

TEST(ConfigTest, TheOriginalSoloMadreZeroIsRefusedNamingWhatToUseInstead) {
  DaemonConfig c;
  Status s = ApplyEnv(Env({{"VX11_SOLO_MADRE", "0"}}), c);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("VX11_SOLO_MADRE=0 is not supported"), std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("power window"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("VX11_ALWAYS_ON"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("VX11_ALLOWLIST"), std::string::npos) << s.message();
  EXPECT_EQ(ApplyEnv(Env({{"VX11_SOLO_MADRE", "false"}}), c).code(), StatusCode::kInvalidArgument);
  Status garbage = ApplyEnv(Env({{"VX11_SOLO_MADRE", "maybe"}}), c);
  EXPECT_NE(garbage.message().find("VX11_SOLO_MADRE=maybe is not a boolean"), std::string::npos)
      << garbage.message();
}

TEST(ConfigTest, TheOriginalWindowServicesIsRefusedNamingTheAllowlist) {
  DaemonConfig c;
  Status s =
      ApplyEnv(Env({{"VX11_SOLO_MADRE", "1"}, {"VX11_WINDOW_SERVICES", "switch,hermes"}}), c);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("VX11_WINDOW_SERVICES is not supported"), std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("VX11_ALLOWLIST"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("VX11_ALWAYS_ON"), std::string::npos) << s.message();
}

TEST(ConfigTest, TheLegacyForwardTimeoutIs30SecondsUnlessSetWithinBounds) {
  DaemonConfig c;
  ASSERT_TRUE(ApplyEnv(Env({}), c).ok());
  EXPECT_EQ(c.legacy_forward_timeout_sec, 30);
  ASSERT_TRUE(ApplyEnv(Env({{"VX11_LEGACY_FORWARD_TIMEOUT_SEC", "5"}}), c).ok());
  EXPECT_EQ(c.legacy_forward_timeout_sec, 5);
  Status zero = ApplyEnv(Env({{"VX11_LEGACY_FORWARD_TIMEOUT_SEC", "0"}}), c);
  EXPECT_FALSE(zero.ok());
  EXPECT_NE(zero.message().find("VX11_LEGACY_FORWARD_TIMEOUT_SEC"), std::string::npos);
  ASSERT_TRUE(ApplyToml("legacy_forward_timeout_sec = 7\n", "m.toml", c).ok());
  EXPECT_EQ(c.legacy_forward_timeout_sec, 7);
}

TEST(ConfigTest, TheLegacyMadreUrlIsUnsetByDefaultAndParsedWhenGiven) {
  DaemonConfig c;
  ASSERT_TRUE(ApplyEnv(Env({}), c).ok());
  EXPECT_FALSE(c.legacy_madre_url.has_value());
  EXPECT_FALSE(c.legacy_forward_prefixes.has_value());
  ASSERT_TRUE(ApplyEnv(Env({{"VX11_LEGACY_MADRE_URL", "http://madre-legacy:8001"}}), c).ok());
  ASSERT_TRUE(c.legacy_madre_url.has_value());
  EXPECT_EQ(c.legacy_madre_url->host, "madre-legacy");
  EXPECT_EQ(c.legacy_madre_url->port, 8001);
  EXPECT_EQ(c.legacy_madre_url->prefix, "");
  Result<LegacyMadreUrl> with_prefix = ParseLegacyMadreUrl("X", "http://10.0.0.5:9000/old/");
  ASSERT_TRUE(with_prefix.ok()) << with_prefix.status().message();
  EXPECT_EQ(with_prefix->host, "10.0.0.5");
  EXPECT_EQ(with_prefix->port, 9000);
  EXPECT_EQ(with_prefix->prefix, "/old");
  Result<LegacyMadreUrl> v6 = ParseLegacyMadreUrl("X", "http://[::1]:8001");
  ASSERT_TRUE(v6.ok()) << v6.status().message();
  EXPECT_EQ(v6->host, "[::1]");
  Result<LegacyMadreUrl> no_port = ParseLegacyMadreUrl("X", "http://legacy");
  ASSERT_TRUE(no_port.ok());
  EXPECT_EQ(no_port->port, 80);
}

TEST(ConfigTest, ABadLegacyMadreUrlIsAStartUpErrorNamingTheSetting) {
  for (const char* bad :
       {"https://legacy:8001", "legacy:8001", "http://", "http://:8001",
        "http://legacy:", "http://legacy:0", "http://legacy:65536", "http://legacy:80x",
        "http://user@legacy:8001", "http://legacy:8001?x=1", "http://legacy:8001#f",
        "http://leg acy:8001", "http://[::1", "http://[nothost]:80"}) {
    DaemonConfig c;
    Status s = ApplyEnv(Env({{"VX11_LEGACY_MADRE_URL", bad}}), c);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(s.message().rfind(std::string("VX11_LEGACY_MADRE_URL=") + bad, 0), 0u) << s.message();
  }
  DaemonConfig c;
  Status toml = ApplyToml("legacy_madre_url = \"ftp://x\"\n", "m.toml", c);
  EXPECT_EQ(toml.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(toml.message().find("m.toml: legacy_madre_url"), std::string::npos) << toml.message();
}

TEST(ConfigTest, LegacyForwardPrefixesAreReadAndMustBePaths) {
  DaemonConfig c;
  ASSERT_TRUE(ApplyEnv(Env({{"VX11_LEGACY_FORWARD_PREFIXES", "/madre/chat, /ui/"}}), c).ok());
  EXPECT_EQ(c.legacy_forward_prefixes, (std::vector<std::string>{"/madre/chat", "/ui/"}));
  Status s = ApplyEnv(Env({{"VX11_LEGACY_FORWARD_PREFIXES", "/ok/,chat"}}), c);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("VX11_LEGACY_FORWARD_PREFIXES"), std::string::npos);
  ASSERT_TRUE(ApplyToml("legacy_forward_prefixes = [\"/vx11/\"]\nlegacy_madre_url = "
                        "\"http://legacy:8001\"\n",
                        "m.toml", c)
                  .ok());
  EXPECT_EQ(c.legacy_forward_prefixes, (std::vector<std::string>{"/vx11/"}));
  EXPECT_EQ(c.legacy_madre_url->host, "legacy");
}

TEST(ConfigTest, TomlOverridesAndRejectsUnknownKeysWithTheLine) {
  DaemonConfig c;
  ASSERT_TRUE(
      ApplyToml("port = 9100\nalways_on = [\"madre\"]\nmax_concurrent = 2\n", "m.toml", c).ok());
  {
    DaemonConfig d;
    ASSERT_TRUE(ApplyToml("compose_dir = \".\"\n", "/srv/stack/madre.toml", d).ok());
    EXPECT_EQ(d.compose_dir, std::filesystem::path("/srv/stack/."))
        << "a relative compose_dir is the file's directory's";
    ASSERT_TRUE(ApplyToml("compose_dir = \"/abs\"\n", "/srv/stack/madre.toml", d).ok());
    EXPECT_EQ(d.compose_dir, std::filesystem::path("/abs"));
  }
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
  const auto dir =
      std::filesystem::temp_directory_path() / ("madre-config-test-" + std::to_string(getpid()));
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

TEST(ConfigTest, TheTokenFileIsTrimmedAsTheCliTrimsIt) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("madre-config-trim-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "token") << "  0123456789abcdef0123\r\n\n";
  DaemonConfig c;
  c.state_dir = dir;
  ASSERT_TRUE(ResolveToken(Env({}), c).ok());
  EXPECT_EQ(c.token, "0123456789abcdef0123");
  std::filesystem::remove_all(dir);
}

TEST(ConfigTest, ABlankTokenFileIsRefusedAndLeftAsItIs) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("madre-config-blank-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "token") << " \r\n";
  DaemonConfig c;
  c.state_dir = dir;
  Status status = ResolveToken(Env({}), c);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("is empty"), std::string::npos) << status.message();
  EXPECT_TRUE(c.token.empty());
  EXPECT_EQ(std::filesystem::file_size(dir / "token"), 3u);
  std::filesystem::remove_all(dir);
}

TEST(ConfigTest, AShortTokenIsAcceptedWithAWarningThatDoesNotShowIt) {
  DaemonConfig c;
  ASSERT_TRUE(ResolveToken(Env({{"VX11_TOKEN", "dev"}}), c).ok());
  const std::vector<std::string> warnings = ConfigWarnings(c);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("VX11_TOKEN has 3 characters"), std::string::npos) << warnings[0];
  c.token = "0123456789abcdef";
  EXPECT_TRUE(ConfigWarnings(c).empty());
}

TEST(ConfigTest, LoopbackAddressesAreRecognised) {
  for (const char* address :
       {"127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "::ffff:127.0.0.1"}) {
    EXPECT_TRUE(IsLoopbackAddress(address)) << address;
  }
  for (const char* address : {"0.0.0.0", "::", "192.168.1.10", "10.0.0.1", "128.0.0.1",
                              "example.com", "", "127.0.0.1.evil", "::ffff:10.0.0.1"}) {
    EXPECT_FALSE(IsLoopbackAddress(address)) << address;
  }
}

TEST(ConfigTest, ANonLoopbackBindIsWarnedAboutClearText) {
  DaemonConfig c;
  c.token = "0123456789abcdef";
  EXPECT_TRUE(ConfigWarnings(c).empty());
  c.bind = "0.0.0.0";
  const std::vector<std::string> warnings = ConfigWarnings(c);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("clear text"), std::string::npos) << warnings[0];
}

TEST(ConfigTest, TheAuditKeyFileIsReadTrimmedAndMustLiveOutsideTheStateDir) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("madre-config-key-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir / "state");
  DaemonConfig c;
  c.state_dir = dir / "state";
  Result<std::optional<std::string>> none = ReadAuditHmacKey(c);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  ASSERT_TRUE(ApplyEnv(Env({{"VX11_AUDIT_HMAC_KEY_FILE", (dir / "key").string()}}), c).ok());
  std::ofstream(dir / "key") << "0123456789abcdef-key\n";
  Result<std::optional<std::string>> key = ReadAuditHmacKey(c);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(**key, "0123456789abcdef-key");

  std::ofstream(dir / "key", std::ios::trunc) << "short\n";
  EXPECT_EQ(ReadAuditHmacKey(c).code(), StatusCode::kInvalidArgument);

  c.audit_hmac_key_file = dir / "state" / "audit" / ".." / "key";
  Result<std::optional<std::string>> inside = ReadAuditHmacKey(c);
  EXPECT_EQ(inside.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(inside.status().message().find("inside the state"), std::string::npos);

  c.audit_hmac_key_file = dir / "missing";
  EXPECT_EQ(ReadAuditHmacKey(c).code(), StatusCode::kNotFound);
  std::filesystem::remove_all(dir);
}

TEST(ConfigTest, RetentionDefaultsToKeepingEverythingAndIsReadFromEnvAndToml) {
  DaemonConfig c;
  EXPECT_EQ(c.audit_retention_days, 0);
  EXPECT_EQ(c.window_history_retention_days, 0);
  ASSERT_TRUE(ApplyEnv(Env({{"VX11_AUDIT_RETENTION_DAYS", "90"},
                            {"VX11_WINDOW_HISTORY_RETENTION_DAYS", "30"}}),
                       c)
                  .ok());
  EXPECT_EQ(c.audit_retention_days, 90);
  EXPECT_EQ(c.window_history_retention_days, 30);
  ASSERT_TRUE(
      ApplyToml("audit_retention_days = 7\nwindow_history_retention_days = 0\n", "m.toml", c).ok());
  EXPECT_EQ(c.audit_retention_days, 7);
  EXPECT_EQ(c.window_history_retention_days, 0);
  EXPECT_EQ(ApplyEnv(Env({{"VX11_AUDIT_RETENTION_DAYS", "-1"}}), c).code(),
            StatusCode::kInvalidArgument);
}

TEST(ConfigTest, TheCompatOpenWaitIsFourSecondsAndReadFromEnvAndToml) {
  DaemonConfig c;
  EXPECT_EQ(c.compat_open_wait_sec, 4);
  ASSERT_TRUE(ApplyEnv(Env({{"VX11_COMPAT_OPEN_WAIT_SEC", "9"}}), c).ok());
  EXPECT_EQ(c.compat_open_wait_sec, 9);
  ASSERT_TRUE(ApplyToml("compat_open_wait_sec = 0\n", "m.toml", c).ok());
  EXPECT_EQ(c.compat_open_wait_sec, 0);
  Status bad = ApplyEnv(Env({{"VX11_COMPAT_OPEN_WAIT_SEC", "-1"}}), c);
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.message().find("VX11_COMPAT_OPEN_WAIT_SEC"), std::string::npos);
  EXPECT_EQ(c.compat_open_wait_sec, 0) << "a bad value changes nothing";
}

TEST(ConfigTest, TheIntentPolicyFileAndPendingTtlAreReadFromEnvAndToml) {
  DaemonConfig c;
  EXPECT_EQ(c.intent_policy_file, std::nullopt);
  EXPECT_EQ(c.intent_pending_ttl_sec, 900);
  ASSERT_TRUE(ApplyEnv(Env({{"VX11_INTENT_POLICY_FILE", "/etc/madre/policy.toml"},
                            {"VX11_INTENT_PENDING_TTL_SEC", "60"}}),
                       c)
                  .ok());
  EXPECT_EQ(c.intent_policy_file, std::filesystem::path("/etc/madre/policy.toml"));
  EXPECT_EQ(c.intent_pending_ttl_sec, 60);
  ASSERT_TRUE(ApplyToml("intent_policy_file = \"policy.toml\"\nintent_pending_ttl_sec = 120\n",
                        "/srv/madre/madre.toml", c)
                  .ok());
  EXPECT_EQ(c.intent_policy_file, std::filesystem::path("/srv/madre/policy.toml"))
      << "relative to the config file";
  EXPECT_EQ(c.intent_pending_ttl_sec, 120);
  Status bad = ApplyEnv(Env({{"VX11_INTENT_PENDING_TTL_SEC", "0"}}), c);
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.message().find("VX11_INTENT_PENDING_TTL_SEC"), std::string::npos);
  EXPECT_EQ(c.intent_pending_ttl_sec, 120);
}

TEST(ConfigTest, MetricsNeedTheTokenUnlessVx11MetricsPublicSaysOtherwise) {
  DaemonConfig config;
  EXPECT_FALSE(config.metrics_public);
  ASSERT_TRUE(ApplyEnv(Env({{"VX11_METRICS_PUBLIC", "1"}}), config).ok());
  EXPECT_TRUE(config.metrics_public);
  EXPECT_FALSE(ApplyEnv(Env({{"VX11_METRICS_PUBLIC", "maybe"}}), config).ok());
}

TEST(ConfigTest, TheManifestatorRouteIsOffUnlessItsVariableIsOne) {
  DaemonConfig c;
  ASSERT_TRUE(ApplyEnv(Env({}), c).ok());
  EXPECT_FALSE(c.manifestator_emit_intent_enabled);
  ASSERT_TRUE(ApplyEnv(Env({{"VX11_MANIFESTATOR_EMIT_INTENT_ENABLED", "1"}}), c).ok());
  EXPECT_TRUE(c.manifestator_emit_intent_enabled);
  Status bad = ApplyEnv(Env({{"VX11_MANIFESTATOR_EMIT_INTENT_ENABLED", "yes please"}}), c);
  EXPECT_NE(bad.message().find("VX11_MANIFESTATOR_EMIT_INTENT_ENABLED"), std::string::npos);
  DaemonConfig t;
  ASSERT_TRUE(ApplyToml("manifestator_emit_intent_enabled = true\n", "m.toml", t).ok());
  EXPECT_TRUE(t.manifestator_emit_intent_enabled);
  EXPECT_TRUE(UnreadSettings({"VX11_MANIFESTATOR_EMIT_INTENT_ENABLED=1"}).empty());
}

TEST(ConfigTest, PerSourceAdmissionIsOffUnlessVx11IneeEnabled) {
  DaemonConfig config;
  EXPECT_FALSE(config.inee_enabled);
  ASSERT_TRUE(ApplyEnv(Env({{"VX11_INEE_ENABLED", "1"}}), config).ok());
  EXPECT_TRUE(config.inee_enabled);
  Status bad = ApplyEnv(Env({{"VX11_INEE_ENABLED", "yes please"}}), config);
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.message().find("VX11_INEE_ENABLED"), std::string::npos);
  EXPECT_TRUE(KnownSettings().count("VX11_INEE_ENABLED"));
}

TEST(ConfigTest, TheTokensFileIsUnsetByDefaultAndReadFromEnvAndToml) {
  DaemonConfig c;
  ASSERT_TRUE(ApplyEnv(Env({}), c).ok());
  EXPECT_FALSE(c.tokens_file.has_value());
  ASSERT_TRUE(ApplyEnv(Env({{"VX11_TOKENS_FILE", "/etc/madre/tokens.toml"}}), c).ok());
  EXPECT_EQ(c.tokens_file, std::filesystem::path("/etc/madre/tokens.toml"));
  ASSERT_TRUE(ApplyToml("tokens_file = \"/srv/tokens.toml\"\n", "madre.toml", c).ok());
  EXPECT_EQ(c.tokens_file, std::filesystem::path("/srv/tokens.toml"));
  EXPECT_NE(SettingsHelp().find("VX11_TOKENS_FILE"), std::string::npos);
}

TEST(ConfigTest, TheWebhooksFileIsUnsetByDefaultAndReadFromEnvAndToml) {
  DaemonConfig c;
  ASSERT_TRUE(ApplyEnv(Env({}), c).ok());
  EXPECT_FALSE(c.webhooks_file.has_value());
  ASSERT_TRUE(ApplyEnv(Env({{"VX11_WEBHOOKS_FILE", "/etc/madre/webhooks.toml"}}), c).ok());
  EXPECT_EQ(c.webhooks_file, std::filesystem::path("/etc/madre/webhooks.toml"));
  ASSERT_TRUE(ApplyToml("webhooks_file = \"/srv/webhooks.toml\"\n", "madre.toml", c).ok());
  EXPECT_EQ(c.webhooks_file, std::filesystem::path("/srv/webhooks.toml"));
  EXPECT_TRUE(KnownSettings().count("VX11_WEBHOOKS_FILE"));
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

namespace madre {
namespace {

// Every name madre asks the environment for is a known setting: the list that the unread-setting
// warning trusts cannot miss one (and SettingsHelp documents each).
TEST(KnownSettingsTest, EveryNameReadIsKnown) {
  std::set<std::string> asked;
  EnvLookup recorder = [&asked](const std::string& name) -> std::optional<std::string> {
    asked.insert(name);
    if (name == "VX11_TOKEN") return std::string("a-token-of-twenty-four-chars");
    return std::nullopt;
  };
  DaemonConfig config;
  ASSERT_TRUE(ApplyEnv(recorder, config).ok());
  ASSERT_TRUE(ResolveToken(recorder, config).ok());
  EXPECT_GT(asked.size(), 30u);
  for (const std::string& name : asked) {
    if (name.rfind("VX11_", 0) != 0) continue;
    EXPECT_TRUE(KnownSettings().count(name)) << name << " is read but not in SettingsHelp()";
  }
}

TEST(KnownSettingsTest, UnreadVx11NamesAreReportedOnceAndSorted) {
  EXPECT_EQ(UnreadSettings({"VX11_INEE_FORWARD_ENABLED=1", "PATH=/bin", "VX11_TOKEN=x",
                            "VX11_TOKNE=y", "VX11_INEE_FORWARD_ENABLED=0", "VX11_MADRE_URL=u",
                            "VX11_STOP_STRATEGY=pause", "vx11_lower=1"}),
            (std::vector<std::string>{"VX11_INEE_FORWARD_ENABLED", "VX11_TOKNE"}));
  EXPECT_TRUE(UnreadSettings({}).empty());
  // A name the compose files interpolate is used (by compose, through madre's environment).
  EXPECT_EQ(UnreadSettings({"VX11_HEALTH_INTERVAL=1s", "VX11_X=1"}, {"VX11_HEALTH_INTERVAL"}),
            (std::vector<std::string>{"VX11_X"}));
}

}  // namespace
}  // namespace madre

namespace madre {
namespace {

TEST(ConfigTest, AutofixSuggestsOnlyUnlessAutoActionsAreListed) {
  DaemonConfig config;
  EXPECT_TRUE(config.autofix_auto_actions.empty());
  EXPECT_EQ(config.autofix_max_cycles, 3);
  ASSERT_TRUE(ApplyEnv(Env({{"VX11_AUTOFIX_AUTO_ACTIONS", "restart,start_dependency"},
                            {"VX11_AUTOFIX_MAX_CYCLES", "5"}}),
                       config)
                  .ok());
  EXPECT_EQ(
      config.autofix_auto_actions,
      (std::set<RemediationKind>{RemediationKind::kRestart, RemediationKind::kStartDependency}));
  EXPECT_EQ(config.autofix_max_cycles, 5);
  Status bad = ApplyEnv(Env({{"VX11_AUTOFIX_AUTO_ACTIONS", "restart,reboot"}}), config);
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.message().find("reboot"), std::string::npos);
  EXPECT_EQ(ApplyEnv(Env({{"VX11_AUTOFIX_MAX_CYCLES", "0"}}), config).code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(KnownSettings().count("VX11_AUTOFIX_AUTO_ACTIONS"));
  EXPECT_TRUE(KnownSettings().count("VX11_AUTOFIX_MAX_CYCLES"));
}

}  // namespace
}  // namespace madre
