#include "adapters/process/child_env.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>

namespace madre {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

TEST(ChildEnvTest, SecretNamesContainTokenKeyOrSecretInAnyCase) {
  EXPECT_TRUE(IsSecretEnvName("VX11_TOKEN"));
  EXPECT_TRUE(IsSecretEnvName("VX11_TENTACULO_LINK_TOKEN"));
  EXPECT_TRUE(IsSecretEnvName("aws_secret_access_key"));
  EXPECT_TRUE(IsSecretEnvName("ApiKey"));
  EXPECT_FALSE(IsSecretEnvName("PATH"));
  EXPECT_FALSE(IsSecretEnvName("DOCKER_HOST"));
  EXPECT_FALSE(IsSecretEnvName("VX11_COMPOSE_PROJECT"));
}

TEST(ChildEnvTest, ReferencedNamesFollowComposeInterpolation) {
  EXPECT_THAT(
      ReferencedEnvNames("image: x:${TAG}\n"
                         "env: [\"A=${API_KEY:-none}\", \"B=${B_SECRET?need it}\", "
                         "\"C=$PLAIN_TOKEN/x\", \"D=$${NOT_A_REF}\", \"E=${X-y}\", \"$1\"]"),
      ElementsAre("API_KEY", "B_SECRET", "PLAIN_TOKEN", "TAG", "X"));
  EXPECT_TRUE(ReferencedEnvNames("no dollars; a lone $ at the end $").empty());
}

TEST(ChildEnvTest, TheComposePolicyKeepsTheSecretNamesTheFilesAndDotEnvReference) {
  std::string pattern = "/tmp/madre-child-env-XXXXXX";
  ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
  const std::filesystem::path dir = pattern;
  std::ofstream(dir / "docker-compose.yml") << "services:\n  a:\n    environment:\n"
                                               "      - TOKEN=${APP_TOKEN}\n      - TAG=$TAG\n";
  std::ofstream(dir / "extra.yml") << "x: ${OTHER_SECRET:-}\n";
  std::ofstream(dir / ".env") << "DSN=postgres://${DB_KEY}@db\n";
  const ChildEnvPolicy policy =
      ComposeEnvPolicy(dir, {"docker-compose.yml", (dir / "extra.yml").string(), "missing.yml"});
  EXPECT_TRUE(policy.scrub_secrets);
  EXPECT_THAT(policy.keep, UnorderedElementsAre("APP_TOKEN", "OTHER_SECRET", "DB_KEY"));
  std::filesystem::remove_all(dir);
}

TEST(ChildEnvTest, FilterRemovesSecretsExceptTheKeptOnes) {
  ChildEnvPolicy policy;
  policy.keep = {"APP_TOKEN"};
  EXPECT_THAT(FilterEnvironment({"PATH=/bin", "VX11_TOKEN=x", "APP_TOKEN=y", "app_token=z",
                                 "EMPTY_KEY", "HOME=/root"},
                                policy),
              ElementsAre("PATH=/bin", "APP_TOKEN=y", "HOME=/root"));
}

}  // namespace
}  // namespace madre
