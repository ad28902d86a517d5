#include "adapters/compose/compose_parsers.h"

#include <climits>
#include <string>

#include "adapters/compose/compose_test_samples.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace madre {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

// ---- stop_grace_period durations

TEST(ParseComposeDurationTest, GoDurationsRoundUpToSeconds) {
  EXPECT_EQ(ParseComposeDurationSec("10s"), 10);
  EXPECT_EQ(ParseComposeDurationSec("1m30s"), 90);
  EXPECT_EQ(ParseComposeDurationSec("500ms"), 1);
  EXPECT_EQ(ParseComposeDurationSec("1.5s"), 2);
  EXPECT_EQ(ParseComposeDurationSec("1.0s"), 1);
  EXPECT_EQ(ParseComposeDurationSec("1h"), 3600);
  EXPECT_EQ(ParseComposeDurationSec("2m"), 120);
  EXPECT_EQ(ParseComposeDurationSec("0s"), 0);
  EXPECT_EQ(ParseComposeDurationSec("100ns"), 1);
  EXPECT_EQ(ParseComposeDurationSec("1m0.5s"), 61);
  EXPECT_EQ(ParseComposeDurationSec("90"), 90);
}

TEST(ParseComposeDurationTest, RejectsJunk) {
  EXPECT_EQ(ParseComposeDurationSec(""), std::nullopt);
  EXPECT_EQ(ParseComposeDurationSec("s"), std::nullopt);
  EXPECT_EQ(ParseComposeDurationSec("10x"), std::nullopt);
  EXPECT_EQ(ParseComposeDurationSec("-1s"), std::nullopt);
  EXPECT_EQ(ParseComposeDurationSec("1..2s"), std::nullopt);
  EXPECT_EQ(ParseComposeDurationSec("1m 30s"), std::nullopt);
  EXPECT_EQ(ParseComposeDurationSec("1s2"), std::nullopt);
  EXPECT_EQ(ParseComposeDurationSec("99999999999h"), std::nullopt);
}

// ---- v2 config JSON

TEST(ParseConfigJsonTest, ReadsTheServicesOfARealisticConfig) {
  Result<ServiceModel> model = ParseConfigJson(testdata::kV2ConfigJson);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  ASSERT_EQ(model->services.size(), 3u);

  const ServiceDef& hermes = model->services.at("hermes");
  EXPECT_EQ(hermes.name, "hermes");
  EXPECT_THAT(hermes.depends_on, ElementsAre("redis", "switch"));
  EXPECT_THAT(hermes.labels,
              UnorderedElementsAre(Pair("vx11.health.timeout_sec", "20"),
                                   Pair("vx11.health.url", "http://127.0.0.1:8003/health")));
  EXPECT_TRUE(hermes.has_healthcheck);
  EXPECT_THAT(hermes.profiles, ElementsAre("windows"));
  EXPECT_EQ(hermes.container_name, std::nullopt);
  EXPECT_EQ(hermes.stop_grace_sec, 90);

  const ServiceDef& redis = model->services.at("redis");
  EXPECT_TRUE(redis.depends_on.empty());
  EXPECT_TRUE(redis.has_healthcheck);
  EXPECT_EQ(redis.stop_grace_sec, 10);

  const ServiceDef& sw = model->services.at("switch");
  EXPECT_FALSE(sw.has_healthcheck);  // disable: true
  EXPECT_EQ(sw.container_name, "vx11-switch");
  EXPECT_EQ(sw.stop_grace_sec, 1);  // 500ms rounds up
  EXPECT_THAT(sw.depends_on, ElementsAre("redis"));
}

TEST(ParseConfigJsonTest, AcceptsListFormsOfDependsOnAndLabels) {
  Result<ServiceModel> model = ParseConfigJson(R"({"services": {
      "web": {"depends_on": ["db", "cache", "db"], "labels": ["a=b", "c=d=e", "flag"]},
      "db": {}, "cache": null}})");
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const ServiceDef& web = model->services.at("web");
  EXPECT_THAT(web.depends_on, ElementsAre("cache", "db"));
  EXPECT_THAT(web.labels, UnorderedElementsAre(Pair("a", "b"), Pair("c", "d=e"), Pair("flag", "")));
  EXPECT_TRUE(model->Has("cache"));
}

TEST(ParseConfigJsonTest, HealthcheckWithTestNoneIsNoHealthcheck) {
  Result<ServiceModel> model = ParseConfigJson(R"({"services": {
      "a": {"healthcheck": {"test": ["NONE"]}},
      "b": {"healthcheck": {"test": "NONE"}},
      "c": {"healthcheck": {"interval": "5s"}},
      "d": {"healthcheck": {"test": "curl -f http://localhost/"}},
      "e": {}}})");
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_FALSE(model->services.at("a").has_healthcheck);
  EXPECT_FALSE(model->services.at("b").has_healthcheck);
  EXPECT_TRUE(model->services.at("c").has_healthcheck);
  EXPECT_TRUE(model->services.at("d").has_healthcheck);
  EXPECT_FALSE(model->services.at("e").has_healthcheck);
}

TEST(ParseConfigJsonTest, SkipsWarningsAroundTheDocument) {
  const std::string text = std::string(
                               "WARN[0000] /srv/vx11/docker-compose.yml: `version` is obsolete\n"
                               "time=\"2026-11-24T10:00:00Z\" level=warning msg=\"The \\\"FOO\\\" "
                               "variable is not set.\"\n") +
                           testdata::kV2ConfigJson;
  Result<ServiceModel> model = ParseConfigJson(text);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_EQ(model->services.size(), 3u);
}

TEST(ParseConfigJsonTest, EmptyServicesIsAnEmptyModel) {
  Result<ServiceModel> model = ParseConfigJson(R"({"name": "x", "services": {}})");
  ASSERT_TRUE(model.ok());
  EXPECT_TRUE(model->services.empty());
}

TEST(ParseConfigJsonTest, JunkIsAnErrorNotACrash) {
  for (const char* junk :
       {"", "not json", "{", "[]", "42", "null", R"({"services": []})", R"({"nothing": {}})",
        R"({"services": {"web": 3}})", R"({"services": {"web": {"depends_on": 7}}})",
        R"({"services": {"web": {"depends_on": [1]}}})",
        R"({"services": {"web": {"labels": {"a": {}}}}})",
        R"({"services": {"web": {"profiles": "x"}}})",
        R"({"services": {"web": {"container_name": 5}}})",
        R"({"services": {"web": {"stop_grace_period": "soon"}}})", "\xff\xfe\x00garbage"}) {
    Result<ServiceModel> model = ParseConfigJson(junk);
    EXPECT_FALSE(model.ok()) << junk;
    EXPECT_EQ(model.code(), StatusCode::kInvalidArgument) << junk;
  }
}

TEST(ParseConfigJsonTest, ErrorsNameTheService) {
  Result<ServiceModel> model =
      ParseConfigJson(R"({"services": {"web": {"stop_grace_period": "soon"}}})");
  ASSERT_FALSE(model.ok());
  EXPECT_THAT(model.status().message(), HasSubstr("'web'"));
  EXPECT_THAT(model.status().message(), HasSubstr("stop_grace_period"));
}

TEST(ParseConfigJsonTest, RejectsServiceNamesThatCouldNotReachArgv) {
  Result<ServiceModel> model = ParseConfigJson(R"({"services": {"-rm": {}}})");
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(model.status().message(), HasSubstr("-rm"));
}

TEST(ParseConfigJsonTest, NumericStopGracePeriodIsSeconds) {
  Result<ServiceModel> model =
      ParseConfigJson(R"({"services": {"web": {"stop_grace_period": 2.5}}})");
  ASSERT_TRUE(model.ok());
  EXPECT_EQ(model->services.at("web").stop_grace_sec, 3);
}

// ---- v1 config YAML

TEST(ParseConfigYamlTest, ReadsRealDockerCompose129Output) {
  Result<ServiceModel> model = ParseConfigYaml(testdata::kV1ConfigYaml);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  ASSERT_EQ(model->services.size(), 3u);

  const ServiceDef& db = model->services.at("db");
  EXPECT_TRUE(db.has_healthcheck);
  EXPECT_EQ(db.stop_grace_sec, 90);
  EXPECT_THAT(db.labels, ElementsAre(Pair("vx11.health.timeout_sec", "20")));
  EXPECT_TRUE(db.depends_on.empty());

  const ServiceDef& web = model->services.at("web");
  EXPECT_THAT(web.depends_on, ElementsAre("db"));
  EXPECT_EQ(web.container_name, "madre_capture_web");
  EXPECT_THAT(web.profiles, ElementsAre("extra"));
  EXPECT_THAT(web.labels, ElementsAre(Pair("vx11.health.url", "http://127.0.0.1:8002/health")));
  EXPECT_FALSE(web.has_healthcheck);
  EXPECT_EQ(web.stop_grace_sec, 10);

  const ServiceDef& worker = model->services.at("worker");
  EXPECT_FALSE(worker.has_healthcheck);  // disable: true becomes test: [NONE] in v1
  EXPECT_THAT(worker.depends_on, ElementsAre("db"));
}

// `docker-compose config` 1.29.2 of a project with three kinds of `build:`.
constexpr char kV1BuildConfigYaml[] = R"(services:
  app:
    build:
      context: /tmp/wtb_s/ctx
      dockerfile: Dockerfile.x
  named:
    build:
      context: /tmp/wtb_s/ctx
    image: mine/named:1
  plain:
    image: redis:7
version: '3.9'
)";

// `docker compose config --format json` (v2) of the same project.
constexpr char kV2BuildConfigJson[] = R"({
  "name": "wtbs",
  "services": {
    "app": {"build": {"context": "/tmp/wtb_s/ctx", "dockerfile": "Dockerfile.x"},
            "networks": {"default": null}},
    "named": {"build": {"context": "/tmp/wtb_s/ctx", "dockerfile": "Dockerfile"},
              "image": "mine/named:1", "networks": {"default": null}},
    "plain": {"image": "redis:7", "networks": {"default": null}}
  }
})";

void ExpectBuildModel(const ServiceModel& model) {
  const ServiceDef& app = model.services.at("app");
  ASSERT_TRUE(app.build.has_value());
  EXPECT_EQ(app.build->context, "/tmp/wtb_s/ctx");
  EXPECT_EQ(app.build->dockerfile, "/tmp/wtb_s/ctx/Dockerfile.x");
  EXPECT_EQ(app.image, "");
  const ServiceDef& named = model.services.at("named");
  ASSERT_TRUE(named.build.has_value());
  EXPECT_EQ(named.build->dockerfile, "/tmp/wtb_s/ctx/Dockerfile");
  EXPECT_EQ(named.image, "mine/named:1");
  const ServiceDef& plain = model.services.at("plain");
  EXPECT_FALSE(plain.build.has_value());
  EXPECT_EQ(plain.image, "redis:7");
}

TEST(ParseConfigYamlTest, ReadsBuildAndImage) {
  Result<ServiceModel> model = ParseConfigYaml(kV1BuildConfigYaml);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  ExpectBuildModel(*model);
}

TEST(ParseConfigJsonTest, ReadsBuildAndImage) {
  Result<ServiceModel> model = ParseConfigJson(kV2BuildConfigJson);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  ExpectBuildModel(*model);
}

TEST(ParseConfigJsonTest, BuildShortFormIsTheContext) {
  Result<ServiceModel> model = ParseConfigJson(R"({"services": {"s": {"build": "/srv/app"}}})");
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const ServiceDef& s = model->services.at("s");
  ASSERT_TRUE(s.build.has_value());
  EXPECT_EQ(s.build->context, "/srv/app");
  EXPECT_EQ(s.build->dockerfile, "/srv/app/Dockerfile");
}

TEST(ParseConfigJsonTest, AbsoluteDockerfileIsKept) {
  Result<ServiceModel> model = ParseConfigJson(
      R"({"services": {"s": {"build": {"context": "/srv/app", "dockerfile": "/etc/df"}}}})");
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_EQ(model->services.at("s").build->dockerfile, "/etc/df");
}

TEST(ParseConfigJsonTest, BadBuildIsAnErrorNamingTheService) {
  Result<ServiceModel> model = ParseConfigJson(R"({"services": {"s": {"build": 3}}})");
  ASSERT_FALSE(model.ok());
  EXPECT_THAT(model.status().message(), HasSubstr("'s'"));
  EXPECT_FALSE(ParseConfigJson(R"({"services": {"s": {"image": []}}})").ok());
}

TEST(BuiltImageNameTest, V1JoinsWithUnderscoreV2WithDash) {
  EXPECT_EQ(BuiltImageName(ComposeFlavor::kV1, "vx11", "web"), "vx11_web");
  EXPECT_EQ(BuiltImageName(ComposeFlavor::kV2Plugin, "vx11", "web"), "vx11-web");
  EXPECT_EQ(BuiltImageName(ComposeFlavor::kV2Plugin, "VX11", "web"), "vx11-web");
}

TEST(BuiltImageNameTest, NamesOnlyBuildServicesWithoutImage) {
  Result<ServiceModel> model = ParseConfigYaml(kV1BuildConfigYaml);
  ASSERT_TRUE(model.ok());
  NameBuiltImages(*model, ComposeFlavor::kV1, "wtbs");
  EXPECT_EQ(model->services.at("app").image, "wtbs_app");
  EXPECT_EQ(model->services.at("named").image, "mine/named:1");
  EXPECT_EQ(model->services.at("plain").image, "redis:7");
  NameBuiltImages(*model, ComposeFlavor::kV2Plugin, "wtbs");
  EXPECT_EQ(model->services.at("app").image, "wtbs_app");  // already named: kept
}

TEST(ParseConfigYamlTest, AcceptsListFormsAndDisable) {
  Result<ServiceModel> model = ParseConfigYaml(R"(services:
  web:
    depends_on:
    - db
    labels:
    - a=b
    healthcheck:
      disable: true
    stop_grace_period: 1m
  db:
    image: postgres
)");
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const ServiceDef& web = model->services.at("web");
  EXPECT_THAT(web.depends_on, ElementsAre("db"));
  EXPECT_THAT(web.labels, ElementsAre(Pair("a", "b")));
  EXPECT_FALSE(web.has_healthcheck);
  EXPECT_EQ(web.stop_grace_sec, 60);
}

TEST(ParseConfigYamlTest, SkipsV1WarningLines) {
  const std::string text =
      std::string("WARNING: The FOO variable is not set. Defaulting to a blank string.\n") +
      testdata::kV1ConfigYaml;
  Result<ServiceModel> model = ParseConfigYaml(text);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_EQ(model->services.size(), 3u);
}

TEST(ParseConfigYamlTest, JunkIsAnErrorNotACrash) {
  for (const char* junk :
       {"", "just text", "services: [a, b]", "- a\n- b\n", "services:\n  web: [", "version: '3'\n",
        "services:\n  web:\n    depends_on: 5\n",
        "services:\n  web:\n    stop_grace_period: later\n", "a: &x [*x]\n", "{{{{"}) {
    Result<ServiceModel> model = ParseConfigYaml(junk);
    EXPECT_FALSE(model.ok()) << junk;
    EXPECT_EQ(model.code(), StatusCode::kInvalidArgument) << junk;
  }
}

// ---- v2 ps JSON

TEST(ParsePsJsonTest, ReadsTheArrayFormOfOlderCompose) {
  Result<std::vector<ContainerState>> ps = ParsePsJson(testdata::kV2PsArray);
  ASSERT_TRUE(ps.ok()) << ps.status().ToString();
  ASSERT_EQ(ps->size(), 2u);
  const ContainerState& redis = (*ps)[0];
  EXPECT_EQ(redis.service, "redis");
  EXPECT_EQ(redis.container, "vx11-redis-1");
  EXPECT_EQ(redis.id.substr(0, 12), "5d4b0b8c1f2e");
  EXPECT_EQ(redis.state, "running");
  EXPECT_EQ(redis.health, "healthy");
  EXPECT_EQ(redis.exit_code, std::nullopt);
  EXPECT_TRUE(redis.Running());
  const ContainerState& hermes = (*ps)[1];
  EXPECT_EQ(hermes.service, "hermes");
  EXPECT_EQ(hermes.state, "exited");
  EXPECT_EQ(hermes.health, "");
  EXPECT_EQ(hermes.exit_code, 137);
}

TEST(ParsePsJsonTest, ReadsOneObjectPerLineOfNewerCompose) {
  Result<std::vector<ContainerState>> ps = ParsePsJson(testdata::kV2PsLines);
  ASSERT_TRUE(ps.ok()) << ps.status().ToString();
  ASSERT_EQ(ps->size(), 2u);
  EXPECT_EQ((*ps)[0].service, "redis");
  EXPECT_EQ((*ps)[0].container, "vx11-redis-1");
  EXPECT_EQ((*ps)[0].id, "5d4b0b8c1f2e");
  EXPECT_EQ((*ps)[0].state, "running");
  EXPECT_EQ((*ps)[0].health, "healthy");
  EXPECT_EQ((*ps)[1].service, "hermes");
  EXPECT_EQ((*ps)[1].state, "exited");
  EXPECT_EQ((*ps)[1].exit_code, 137);
}

TEST(ParsePsJsonTest, ASingleLineIsOneContainer) {
  Result<std::vector<ContainerState>> ps =
      ParsePsJson(R"({"Service":"web","Name":"vx11-web-1","State":"running","Health":""})");
  ASSERT_TRUE(ps.ok()) << ps.status().ToString();
  ASSERT_EQ(ps->size(), 1u);
  EXPECT_EQ((*ps)[0].service, "web");
}

TEST(ParsePsJsonTest, EmptyOutputIsNoContainers) {
  for (const char* empty : {"", "\n", "  \n\n", "[]", "[]\n"}) {
    Result<std::vector<ContainerState>> ps = ParsePsJson(empty);
    ASSERT_TRUE(ps.ok()) << empty;
    EXPECT_TRUE(ps->empty());
  }
}

TEST(ParsePsJsonTest, HealthAndStateFromStatusTextWhenMissing) {
  Result<std::vector<ContainerState>> ps = ParsePsJson(
      R"json({"Service":"a","Name":"p-a-1","State":"running","Status":"Up 2 minutes (healthy)"}
{"Service":"b","Name":"p-b-1","State":"running","Status":"Up 5 seconds (health: starting)"}
{"Service":"c","Name":"p-c-1","Status":"Up 1 hour (unhealthy)"}
{"Service":"d","Name":"p-d-1","Status":"Exited (3) 5 seconds ago"}
{"Service":"e","Name":"p-e-1","Status":"Up 3 minutes (Paused)"}
{"Service":"f","Name":"p-f-1","Status":"Created"}
{"Service":"g","Name":"p-g-1","Status":"Restarting (1) 2 seconds ago"}
)json");
  ASSERT_TRUE(ps.ok()) << ps.status().ToString();
  ASSERT_EQ(ps->size(), 7u);
  EXPECT_EQ((*ps)[0].health, "healthy");
  EXPECT_EQ((*ps)[1].health, "starting");
  EXPECT_EQ((*ps)[2].state, "running");
  EXPECT_EQ((*ps)[2].health, "unhealthy");
  EXPECT_EQ((*ps)[3].state, "exited");
  EXPECT_EQ((*ps)[3].exit_code, 3);
  EXPECT_EQ((*ps)[4].state, "paused");
  EXPECT_EQ((*ps)[5].state, "created");
  EXPECT_EQ((*ps)[6].state, "restarting");
}

TEST(ParsePsJsonTest, SkipsComposeWarnings) {
  const std::string text =
      std::string("WARN[0000] The \"FOO\" variable is not set. Defaulting to a blank string.\n") +
      testdata::kV2PsLines;
  Result<std::vector<ContainerState>> ps = ParsePsJson(text);
  ASSERT_TRUE(ps.ok()) << ps.status().ToString();
  EXPECT_EQ(ps->size(), 2u);
}

TEST(ParsePsJsonTest, JunkIsAnErrorNotACrash) {
  for (const char* junk : {"no such service", "[", "[1, 2]", "{\"Service\": ", "42",
                           "{\"Service\":\"a\"}\nnot json\n", "\"text\"", "[{}, 5]"}) {
    Result<std::vector<ContainerState>> ps = ParsePsJson(junk);
    EXPECT_FALSE(ps.ok()) << junk;
    EXPECT_EQ(ps.code(), StatusCode::kInvalidArgument) << junk;
  }
}

TEST(ParsePsJsonTest, WrongFieldTypesAreIgnored) {
  Result<std::vector<ContainerState>> ps =
      ParsePsJson(R"({"Service":5,"Name":["x"],"State":null,"ExitCode":"3","Health":{}})");
  ASSERT_TRUE(ps.ok()) << ps.status().ToString();
  ASSERT_EQ(ps->size(), 1u);
  EXPECT_EQ((*ps)[0].service, "");
}

// Found by fuzz_compose_parsers (UBSan): a float exit code beyond int's range was cast as is.
TEST(ParsePsJsonTest, AnExitCodeBeyondIntsRangeIsClampedNotCast) {
  Result<std::vector<ContainerState>> ps = ParsePsJson(
      R"([{"Service":"w","Name":"p-w-1","ID":"ab","State":"exited","ExitCode":39223372036854775807},)"
      R"({"Service":"x","Name":"p-x-1","State":"exited","ExitCode":-1e300}])");
  ASSERT_TRUE(ps.ok()) << ps.status().ToString();
  ASSERT_EQ(ps->size(), 2u);
  ASSERT_TRUE((*ps)[0].exit_code.has_value());
  EXPECT_EQ(*(*ps)[0].exit_code, INT_MAX);
  ASSERT_TRUE((*ps)[1].exit_code.has_value());
  EXPECT_EQ(*(*ps)[1].exit_code, INT_MIN);
}

// ---- docker inspect JSON (v1 Ps)

TEST(ParseInspectJsonTest, ReadsRealDockerInspectOutput) {
  Result<std::vector<ContainerState>> containers = ParseInspectJson(testdata::kInspectJson);
  ASSERT_TRUE(containers.ok()) << containers.status().ToString();
  ASSERT_EQ(containers->size(), 2u);
  const ContainerState& db = (*containers)[0];
  EXPECT_EQ(db.service, "db");
  EXPECT_EQ(db.container, "madrecapture3041_db_1");
  EXPECT_EQ(db.id, "7290a692e2568839ea99f9cdb4c56faca72c22e45d3867cc3d408338a015fb25");
  EXPECT_EQ(db.state, "running");
  EXPECT_EQ(db.health, "healthy");
  EXPECT_EQ(db.restart_count, 0);
  EXPECT_EQ(db.exit_code, std::nullopt);
  const ContainerState& worker = (*containers)[1];
  EXPECT_EQ(worker.service, "worker");
  EXPECT_EQ(worker.container, "madrecapture3041_worker_1");
  EXPECT_EQ(worker.state, "exited");
  EXPECT_EQ(worker.health, "");
  EXPECT_EQ(worker.exit_code, 3);
}

TEST(ParseInspectJsonTest, ReadsRestartCountAndToleratesVanishedContainers) {
  const std::string text = R"([
    {"Id": "abc", "Name": "/p_web_1", "RestartCount": 4,
     "State": {"Status": "restarting", "ExitCode": 1},
     "Config": {"Labels": {"com.docker.compose.service": "web"}}}
]
Error: No such object: 025b1350d901
)";
  Result<std::vector<ContainerState>> containers = ParseInspectJson(text);
  ASSERT_TRUE(containers.ok()) << containers.status().ToString();
  ASSERT_EQ(containers->size(), 1u);
  EXPECT_EQ((*containers)[0].restart_count, 4);
  EXPECT_EQ((*containers)[0].state, "restarting");
  EXPECT_EQ((*containers)[0].exit_code, std::nullopt);
}

TEST(ParseInspectJsonTest, JunkIsAnErrorNotACrash) {
  for (const char* junk : {"Cannot connect to the Docker daemon", "{}", "[1]", "[", "null"}) {
    Result<std::vector<ContainerState>> containers = ParseInspectJson(junk);
    EXPECT_FALSE(containers.ok()) << junk;
    EXPECT_EQ(containers.code(), StatusCode::kInvalidArgument) << junk;
  }
  Result<std::vector<ContainerState>> odd =
      ParseInspectJson(R"([{"Name": 1, "State": "x", "Config": {"Labels": null}}])");
  ASSERT_TRUE(odd.ok()) << odd.status().ToString();
  EXPECT_EQ((*odd)[0].container, "");
}

TEST(ParseContainerIdsTest, KeepsIdsAndSkipsWarnings) {
  EXPECT_THAT(ParseContainerIds(testdata::kV1PsIds),
              ElementsAre("7290a692e2568839ea99f9cdb4c56faca72c22e45d3867cc3d408338a015fb25",
                          "025b1350d901baf1345a512ffe7d018bb501d5aa6f6223aebe7a4738c83c82ad"));
  EXPECT_THAT(ParseContainerIds("WARNING: The FOO variable is not set.\nabc123\n\n--rm\n"),
              ElementsAre("abc123"));
  EXPECT_TRUE(ParseContainerIds("").empty());
}

}  // namespace
}  // namespace madre
