#include "cli/client_options.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <map>

namespace madre::cli {
namespace {

class ClientOptionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("madre_cli_opts_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  GetEnvFn Env() {
    return [this](const std::string& name) -> std::optional<std::string> {
      auto it = vars_.find(name);
      if (it == vars_.end()) return std::nullopt;
      return it->second;
    };
  }
  std::string WriteFile(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return (dir_ / name).string();
  }

  std::filesystem::path dir_;
  std::map<std::string, std::string> vars_;
};

TEST_F(ClientOptionsTest, TokenFlagWinsOverEverything) {
  vars_ = {{"VX11_TENTACULO_LINK_TOKEN", "link"}, {"VX11_TOKEN", "plain"}};
  WriteFile("token", "file\n");
  vars_["VX11_STATE_DIR"] = dir_.string();
  Result<ResolvedToken> t = ResolveToken("flag", "", Env());
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->token, "flag");
  EXPECT_EQ(t->source, "--token");
}

TEST_F(ClientOptionsTest, TokenFileFlagComesBeforeEnvironment) {
  vars_ = {{"VX11_TENTACULO_LINK_TOKEN", "link"}};
  const std::string file = WriteFile("mine", "  from-file \n");
  Result<ResolvedToken> t = ResolveToken("", file, Env());
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->token, "from-file");
}

TEST_F(ClientOptionsTest, TentaculoLinkTokenBeatsVx11Token) {
  vars_ = {{"VX11_TENTACULO_LINK_TOKEN", "link"}, {"VX11_TOKEN", "plain"}};
  EXPECT_EQ(ResolveToken("", "", Env())->token, "link");
}

TEST_F(ClientOptionsTest, EmptyTentaculoLinkTokenFallsThroughToVx11Token) {
  vars_ = {{"VX11_TENTACULO_LINK_TOKEN", ""}, {"VX11_TOKEN", "plain"}};
  Result<ResolvedToken> t = ResolveToken("", "", Env());
  EXPECT_EQ(t->token, "plain");
  EXPECT_EQ(t->source, "VX11_TOKEN");
}

TEST_F(ClientOptionsTest, DaemonTokenFileInStateDirIsTheLastResort) {
  vars_ = {{"VX11_STATE_DIR", dir_.string()}};
  WriteFile("token", "generated-token\n");
  Result<ResolvedToken> t = ResolveToken("", "", Env());
  EXPECT_EQ(t->token, "generated-token");
  EXPECT_EQ(t->source, "token file " + (dir_ / "token").string());
}

TEST_F(ClientOptionsTest, NoTokenAnywhereIsEmptyNotAnError) {
  vars_ = {{"VX11_STATE_DIR", (dir_ / "missing").string()}};
  Result<ResolvedToken> t = ResolveToken("", "", Env());
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->token, "");
  EXPECT_EQ(t->source, "none");
}

TEST_F(ClientOptionsTest, UnreadableTokenFileFlagIsAnError) {
  Result<ResolvedToken> t = ResolveToken("", (dir_ / "nope").string(), Env());
  EXPECT_EQ(t.code(), StatusCode::kNotFound);
}

TEST_F(ClientOptionsTest, DefaultStateDirIsDataMadre) {
  EXPECT_EQ(DefaultTokenFile(Env()), std::filesystem::path("./data/madre/token"));
}

TEST_F(ClientOptionsTest, UrlFlagThenMadreUrlThenBindAndPort) {
  EXPECT_EQ(ResolveUrl("", Env()), "http://127.0.0.1:8001");
  vars_ = {{"VX11_MADRE_BIND", "0.0.0.0"}, {"VX11_MADRE_PORT", "9001"}};
  EXPECT_EQ(ResolveUrl("", Env()), "http://127.0.0.1:9001");
  vars_["VX11_MADRE_BIND"] = "127.0.0.2";
  EXPECT_EQ(ResolveUrl("", Env()), "http://127.0.0.2:9001");
  vars_["VX11_MADRE_URL"] = "http://127.0.0.1:7000/";
  EXPECT_EQ(ResolveUrl("", Env()), "http://127.0.0.1:7000");
  EXPECT_EQ(ResolveUrl("127.0.0.1:6000", Env()), "http://127.0.0.1:6000");
}

}  // namespace
}  // namespace madre::cli
