#include "adapters/compose/compose_config_hash.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace madre {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

// Printed by docker-compose 1.29.2 for a two-service project (`config --hash=*`).
constexpr char kV1Output[] =
    "app d90311a02a9769003e4162624be6ef921cde7ec2fb9ba20e4e2817d69a208286\n"
    "other bdeb1c8016bc3a96ca0a9215e4b9dbe7f176ac45afd5937b8209c85d6477190a\n";

TEST(ParseConfigHashesTest, ReadsOneServiceAndHashPerLine) {
  auto hashes = ParseConfigHashes(kV1Output);
  ASSERT_TRUE(hashes.ok()) << hashes.status().ToString();
  EXPECT_THAT(
      *hashes,
      ElementsAre(
          Pair("app", "d90311a02a9769003e4162624be6ef921cde7ec2fb9ba20e4e2817d69a208286"),
          Pair("other", "bdeb1c8016bc3a96ca0a9215e4b9dbe7f176ac45afd5937b8209c85d6477190a")));
}

TEST(ParseConfigHashesTest, SkipsWarningsInterleavedFromStderr) {
  auto hashes = ParseConfigHashes(
      "WARNING: The FOO variable is not set. Defaulting to a blank string.\r\n"
      "web 0a1b\r\n"
      "Some warning\n"
      "  \n"
      "db beef\n");
  ASSERT_TRUE(hashes.ok()) << hashes.status().ToString();
  EXPECT_THAT(*hashes, ElementsAre(Pair("db", "beef"), Pair("web", "0a1b")));
}

TEST(ParseConfigHashesTest, EmptyOutputIsNoService) {
  auto hashes = ParseConfigHashes("");
  ASSERT_TRUE(hashes.ok());
  EXPECT_THAT(*hashes, IsEmpty());
}

TEST(ParseConfigHashesTest, TextWithoutAnyHashLineIsInvalid) {
  for (const char* junk : {"services:\n  web:\n    image: x\n", "web NOT-A-HASH\n", "web\n",
                           "-rm abcdef\n", "web abc def\n"}) {
    EXPECT_EQ(ParseConfigHashes(junk).code(), StatusCode::kInvalidArgument) << junk;
  }
}

class ConfigHashInputsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("madre_config_hash_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
};

TEST_F(ConfigHashInputsTest, TheComposeFilesAndTheEnvFileOfTheWorkingDir) {
  ComposeTarget target;
  target.files = {"docker-compose.yml", "docker-compose.override.yml"};
  target.working_dir = dir_;
  EXPECT_THAT(ConfigHashInputs(target),
              ElementsAre(dir_ / "docker-compose.yml", dir_ / "docker-compose.override.yml",
                          dir_ / ".env"));
}

TEST_F(ConfigHashInputsTest, AlsoTheEnvFileBesideAFirstComposeFileElsewhere) {
  ComposeTarget target;
  target.files = {"/etc/vx11/docker-compose.yml"};
  target.working_dir = dir_;
  EXPECT_THAT(ConfigHashInputs(target),
              ElementsAre("/etc/vx11/docker-compose.yml", dir_ / ".env", "/etc/vx11/.env"));
}

TEST_F(ConfigHashInputsTest, NoFilesMeansTheDefaultOnes) {
  std::ofstream(dir_ / "compose.yaml") << "services: {}\n";
  ComposeTarget target;
  target.working_dir = dir_;
  EXPECT_THAT(ConfigHashInputs(target), ElementsAre(dir_ / "compose.yaml", dir_ / ".env"));
}

TEST_F(ConfigHashInputsTest, StampsChangeWithSizeMtimeAndCreation) {
  const std::filesystem::path file = dir_ / "docker-compose.yml";
  const std::filesystem::path env = dir_ / ".env";
  std::ofstream(file) << "a";
  const auto first = StampFiles({file, env});
  ASSERT_EQ(first.size(), 2u);
  EXPECT_TRUE(first[0].exists);
  EXPECT_EQ(first[0].size, 1);
  EXPECT_FALSE(first[1].exists);
  EXPECT_EQ(StampFiles({file, env}), first);  // nothing changed

  std::ofstream(file) << "bb";
  const auto resized = StampFiles({file, env});
  EXPECT_NE(resized, first);

  std::filesystem::last_write_time(
      file, std::filesystem::last_write_time(file) + std::chrono::seconds(5));
  const auto touched = StampFiles({file, env});
  EXPECT_NE(touched, resized);

  std::ofstream(env) << "FOO=1\n";
  EXPECT_NE(StampFiles({file, env}), touched);
}

}  // namespace
}  // namespace madre
