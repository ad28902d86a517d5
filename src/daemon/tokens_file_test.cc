#include "daemon/tokens_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "base/sha256.h"

namespace madre {
namespace {

using ::testing::HasSubstr;

const std::string kHashA = Sha256Hex("token-a");
const std::string kHashB = Sha256Hex("token-b");

std::string Entry(const std::string& name, const std::string& role, const std::string& hash) {
  return "[tokens." + name + "]\nrole = \"" + role + "\"\ntoken_sha256 = \"" + hash + "\"\n";
}

std::string ErrorOf(const std::string& text) {
  Result<std::vector<TokenEntry>> parsed = ParseTokensFile(text, "/etc/madre/tokens.toml");
  EXPECT_FALSE(parsed.ok()) << text;
  if (parsed.ok()) return "";
  EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
  return parsed.status().message();
}

TEST(TokensFile, ParsesEveryEntryWithItsRoleAndLowerCaseHash) {
  std::string upper = kHashB;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  Result<std::vector<TokenEntry>> parsed = ParseTokensFile(
      Entry("ci", "operator", kHashA) + Entry("\"ui.viewer-1\"", "viewer", upper), "tokens.toml");
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(*parsed, (std::vector<TokenEntry>{{"ci", Role::kOperator, kHashA},
                                              {"ui.viewer-1", Role::kViewer, kHashB}}));
}

TEST(TokensFile, AnEmptyFileHasNoEntries) {
  Result<std::vector<TokenEntry>> parsed = ParseTokensFile("# nobody yet\n", "tokens.toml");
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->empty());
}

TEST(TokensFile, EveryRoleParses) {
  for (const char* role : {"viewer", "submitter", "operator", "admin"}) {
    Result<std::vector<TokenEntry>> parsed = ParseTokensFile(Entry("x", role, kHashA), "f");
    ASSERT_TRUE(parsed.ok()) << role;
    EXPECT_STREQ(RoleName(parsed->at(0).role), role);
  }
}

TEST(TokensFile, ErrorsNameTheFileTheTableAndTheProblem) {
  EXPECT_THAT(ErrorOf(Entry("ci", "boss", kHashA)),
              HasSubstr("tokens file /etc/madre/tokens.toml: [tokens.ci]: unknown role 'boss'"));
  EXPECT_THAT(ErrorOf("[tokens.ci]\ntoken_sha256 = \"" + kHashA + "\"\n"),
              HasSubstr("[tokens.ci]: role is missing"));
  EXPECT_THAT(ErrorOf("[tokens.ci]\nrole = 3\ntoken_sha256 = \"" + kHashA + "\"\n"),
              HasSubstr("[tokens.ci]: unknown role"));
}

TEST(TokensFile, RefusesAMissingOrMalformedHash) {
  EXPECT_THAT(ErrorOf("[tokens.ci]\nrole = \"viewer\"\n"),
              HasSubstr("[tokens.ci]: token_sha256 is missing"));
  EXPECT_THAT(ErrorOf(Entry("ci", "viewer", kHashA.substr(1))),
              HasSubstr("[tokens.ci]: token_sha256 must be 64 hex characters"));
  EXPECT_THAT(ErrorOf(Entry("ci", "viewer", "z" + kHashA.substr(1))),
              HasSubstr("token_sha256 must be 64 hex characters"));
  EXPECT_THAT(ErrorOf(Entry("ci", "viewer", "my-plain-token")),
              HasSubstr("never the token itself"));
}

TEST(TokensFile, RefusesUnknownKeys) {
  EXPECT_THAT(ErrorOf(Entry("ci", "viewer", kHashA) + "token = \"plain\"\n"),
              HasSubstr("[tokens.ci]: unknown key 'token'"));
  EXPECT_THAT(ErrorOf("role = \"admin\"\n"), HasSubstr("unknown key 'role'"));
  EXPECT_THAT(ErrorOf("tokens = 3\n"), HasSubstr("tokens must be tables"));
  EXPECT_THAT(ErrorOf("[tokens]\nci = 3\n"), HasSubstr("[tokens.ci]: must be a table"));
}

TEST(TokensFile, ADottedNameWithoutQuotesIsExplained) {
  EXPECT_THAT(ErrorOf(Entry("ui.viewer", "viewer", kHashA)),
              HasSubstr("[tokens.ui.viewer]: a name with a dot needs quotes: "
                        "[tokens.\"ui.viewer\"]"));
}

TEST(TokensFile, RefusesBadNamesAndTheReservedDefault) {
  EXPECT_THAT(ErrorOf(Entry("\"a b\"", "viewer", kHashA)),
              HasSubstr("[tokens.a b]: the name must be 1 to 64 of [A-Za-z0-9_.-]"));
  EXPECT_THAT(ErrorOf(Entry(std::string(65, 'n'), "viewer", kHashA)),
              HasSubstr("the name must be 1 to 64"));
  EXPECT_THAT(ErrorOf(Entry("default", "admin", kHashA)),
              HasSubstr("[tokens.default]: the name default is reserved for VX11_TOKEN"));
  EXPECT_TRUE(IsValidTokenName(std::string(64, 'n')));
  EXPECT_FALSE(IsValidTokenName(""));
  EXPECT_FALSE(IsValidTokenName("a@b"));
}

TEST(TokensFile, RefusesTwoEntriesWithTheSameHash) {
  std::string upper = kHashA;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_THAT(ErrorOf(Entry("a", "viewer", kHashA) + Entry("b", "admin", upper)),
              HasSubstr("[tokens.b]: the same token_sha256 as [tokens.a]"));
}

TEST(TokensFile, ReportsTomlErrorsWithTheLine) {
  EXPECT_THAT(ErrorOf("[tokens.ci\n"), HasSubstr("tokens file /etc/madre/tokens.toml: line 1"));
}

TEST(TokensFile, LoadReadsTheFileAndNamesItWhenItCannot) {
  const std::filesystem::path dir = testing::TempDir();
  const std::filesystem::path path = dir / "madre_tokens_file_test.toml";
  {
    std::ofstream out(path);
    out << Entry("ci", "submitter", kHashA);
  }
  Result<std::vector<TokenEntry>> loaded = LoadTokensFile(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(loaded->at(0).role, Role::kSubmitter);
  std::filesystem::remove(path);
  Result<std::vector<TokenEntry>> missing = LoadTokensFile(path);
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(),
              HasSubstr("cannot read VX11_TOKENS_FILE " + path.string()));
}

}  // namespace
}  // namespace madre
