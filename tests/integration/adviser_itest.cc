// Autofix's LLM adviser end to end (issue 12; docs/autofix.md "The adviser"): madre serve with
// VX11_AUTOFIX_LLM_URL pointed at a chat-completions stub on 127.0.0.1 (the stub of the
// adviser's unit tests, src/adapters/llm/llm_stub_server.h). A window service that fails makes
// one prompt per incident, carrying its exit code and log lines and none of its environment's
// secret values nor madre's token; an answer the adviser cannot use changes nothing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "adapters/llm/llm_stub_server.h"
#include "docker_env.h"
#include "madre_process.h"

namespace madre::itest {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kPassword = "s3cr3t-hunter2-value";
constexpr const char* kApiKey = "stub-api-key-0123456789";

class AdviserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MADRE_NEED_DOCKER();
    if (!RunCommandForTest({"docker-compose", "version"}, {}, std::chrono::seconds(30)).ok()) {
      MADRE_SKIP_OR_FAIL() << "docker-compose (v1) is not installed";
    }
    EnsureImages();
    project_ = UniqueProjectName("madvise");
    dir_ = std::filesystem::temp_directory_path() / ("madre_" + project_);
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "docker-compose.yml")
        << "services:\n"
           "  leaky:\n"
           "    image: madre-busybox:latest\n"
           "    environment:\n"
           "      DB_PASSWORD: "
        << kPassword
        << "\n"
           "    command: [\"sh\", \"-c\", \"echo \\\"connecting to db with $$DB_PASSWORD\\\"; "
           "echo 'fatal: cannot connect'; exit 3\"]\n";
    compose_ = std::make_unique<ComposeProject>(project_, dir_ / "docker-compose.yml");
    stub_ = std::make_unique<testing_llm::StubServer>(false);
    madre_ = std::make_unique<MadreProcess>(
        std::map<std::string, std::string>{{"VX11_COMPOSE_PROJECT", project_},
                                           {"VX11_COMPOSE_DIR", dir_.string()},
                                           {"VX11_COMPOSE_CMD", "docker-compose"},
                                           {"VX11_ALWAYS_ON", "madre"},
                                           {"VX11_THROTTLE_CPU_PCT", "0"},
                                           {"VX11_AUTOFIX_LLM_URL", stub_->Url()},
                                           {"VX11_AUTOFIX_LLM_MODEL", "stub-model"},
                                           {"VX11_DEEPSEEK_API_KEY", kApiKey}});
    ASSERT_TRUE(madre_->Start());
  }

  void TearDown() override {
    if (madre_ && HasFailure()) std::cerr << "madre log:\n" << madre_->log() << std::endl;
    madre_.reset();
    stub_.reset();
    compose_.reset();  // `down`
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // The incident of the window's failure, once its first cycle is proposed.
  json Incident() {
    json got;
    std::string id;
    EXPECT_TRUE(WaitUntil(
        [&] {
          if (id.empty()) {
            const json listed = madre_->Get("/madre/autofix/diagnoses").Json();
            for (const json& d : listed.value("diagnoses", json::array()))
              id = d.value("incident", "");
            if (id.empty()) return false;
          }
          got = madre_->Get("/madre/autofix/incidents/" + id).Json();
          return !got.value("cycles", json::array()).empty();
        },
        std::chrono::seconds(60)))
        << got.dump();
    return got;
  }

  std::string project_;
  std::filesystem::path dir_;
  std::unique_ptr<ComposeProject> compose_;
  std::unique_ptr<testing_llm::StubServer> stub_;
  std::unique_ptr<MadreProcess> madre_;
};

TEST_F(AdviserTest, OnePromptPerIncidentWithTheEvidenceAndNoSecret) {
  madre_->Post("/madre/power/windows/open",
               R"({"services":["leaky"],"ttl_sec":60,"wait":true,"wait_timeout_sec":30})");
  const json got = Incident();
  ASSERT_FALSE(got.empty());
  const std::vector<testing_llm::StubRequest> asked = stub_->requests();
  ASSERT_EQ(asked.size(), 1u) << got.dump();
  const std::string& body = asked[0].body;
  EXPECT_THAT(body, HasSubstr("crash_exit_code"));
  EXPECT_THAT(body, HasSubstr("3"));
  EXPECT_THAT(body, HasSubstr("fatal: cannot connect"));  // a log line
  EXPECT_THAT(body, HasSubstr("connecting to db with"));  // the line that held the secret
  EXPECT_THAT(body, Not(HasSubstr(kPassword)));           // ... masked
  EXPECT_THAT(body, Not(HasSubstr(madre_->token())));     // madre's token
  EXPECT_THAT(body, Not(HasSubstr(kApiKey)));             // the key is a header only
  EXPECT_EQ(asked[0].authorization, std::string("Bearer ") + kApiKey);
  // The stub's pick names a service that is not leaky's: recorded, rejected, nothing changes.
  const json& cycle = got["cycles"][0];
  EXPECT_EQ(cycle["from_adviser"], false) << got.dump();
  EXPECT_NE(cycle["adviser"].value("rejected", ""), "") << got.dump();
  EXPECT_EQ(cycle["remediation"]["kind"], "restart");
  EXPECT_EQ(cycle["approval"], "pending");
  // The masked prompt is in the forensic record, without the secret either.
  std::ifstream in(std::filesystem::path(got["forensic_dir"].get<std::string>()) / "cycle-1" /
                   "analysis.json");
  const std::string analysis((std::istreambuf_iterator<char>(in)), {});
  EXPECT_THAT(analysis, HasSubstr("masked_prompt"));
  EXPECT_THAT(analysis, Not(HasSubstr(kPassword)));
}

TEST_F(AdviserTest, AMalformedAnswerChangesNothing) {
  stub_->Script({testing_llm::StubReply::kMalformed});
  madre_->Post("/madre/power/windows/open",
               R"({"services":["leaky"],"ttl_sec":60,"wait":true,"wait_timeout_sec":30})");
  const json got = Incident();
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(stub_->requests().size(), 1u);
  const json& cycle = got["cycles"][0];
  EXPECT_NE(cycle["adviser"].value("rejected", ""), "") << got.dump();
  EXPECT_EQ(cycle["from_adviser"], false);
  EXPECT_EQ(cycle["remediation"]["kind"], "restart");  // the rules' own
  EXPECT_EQ(got["state"], "awaiting_approval");
}

}  // namespace
}  // namespace madre::itest
