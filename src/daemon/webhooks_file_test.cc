#include "daemon/webhooks_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

namespace madre {
namespace {

using ::testing::HasSubstr;

// Secret files the parser may read, by absolute path.
std::map<std::string, std::string> g_files;

std::optional<std::string> ReadFake(const std::filesystem::path& path) {
  auto it = g_files.find(path.string());
  if (it == g_files.end()) return std::nullopt;
  return it->second;
}

Result<std::vector<WebhookEndpoint>> Parse(const std::string& text) {
  return ParseWebhooksFile(text, "/etc/madre/webhooks.toml", "/etc/madre", ReadFake);
}

std::string ErrorOf(const std::string& text) {
  Result<std::vector<WebhookEndpoint>> parsed = Parse(text);
  EXPECT_FALSE(parsed.ok()) << text;
  if (parsed.ok()) return "";
  EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
  return parsed.status().message();
}

TEST(WebhooksFile, ParsesEveryEndpointSortedByName) {
  g_files = {{"/etc/madre/ops.secret", "from-file\n"}};
  Result<std::vector<WebhookEndpoint>> parsed = Parse(
      "[webhooks.zeta]\nurl = \"http://127.0.0.1:9000/hook\"\nsecret = \"s1\"\n"
      "[webhooks.ops]\nurl = \"http://127.0.0.1:9001/\"\nevents = [\"window\", "
      "\"crash_loop.*\", \"intent.approved\"]\nsecret_file = \"ops.secret\"\n");
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ(parsed->at(0).name, "ops");
  EXPECT_EQ(parsed->at(0).url, "http://127.0.0.1:9001/");
  EXPECT_EQ(parsed->at(0).events,
            (std::vector<std::string>{"window", "crash_loop.*", "intent.approved"}));
  EXPECT_EQ(parsed->at(0).secret, "from-file");
  EXPECT_EQ(parsed->at(1).name, "zeta");
  EXPECT_TRUE(parsed->at(1).events.empty());
  EXPECT_EQ(parsed->at(1).secret, "s1");
}

TEST(WebhooksFile, AnEmptyFileHasNoEndpoints) {
  Result<std::vector<WebhookEndpoint>> parsed = Parse("# none yet\n");
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->empty());
}

TEST(WebhooksFile, HttpsWithACaFileBesideTheFile) {
  g_files = {{"/etc/madre/receiver-ca.pem", "-----BEGIN CERTIFICATE-----\n"}};
  Result<std::vector<WebhookEndpoint>> parsed = Parse(
      "[webhooks.chat]\nurl = \"https://hooks.example.org/madre\"\nsecret = \"s\"\n"
      "ca_file = \"receiver-ca.pem\"\n"
      "[webhooks.plain]\nurl = \"https://hooks.example.org:8443/x\"\nsecret = \"s\"\n");
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ(parsed->at(0).url, "https://hooks.example.org/madre");
  EXPECT_EQ(parsed->at(0).ca_file, "/etc/madre/receiver-ca.pem");
  EXPECT_EQ(parsed->at(1).ca_file, "");
}

TEST(WebhooksFile, ErrorsNameTheFileTheTableAndTheProblem) {
  g_files.clear();
  const std::string url = "url = \"http://127.0.0.1:9000/\"\n";
  EXPECT_THAT(ErrorOf("[webhooks.ops]\nsecret = \"s\"\n"),
              HasSubstr("webhooks file /etc/madre/webhooks.toml: [webhooks.ops]: url is missing"));
  EXPECT_THAT(ErrorOf("[webhooks.ops]\nurl = \"ftp://x/\"\nsecret = \"s\"\n"),
              HasSubstr("[webhooks.ops]: bad URL 'ftp://x/': expected https://"));
  EXPECT_THAT(ErrorOf("[webhooks.ops]\n" + url + "secret = \"s\"\nca_file = \"ca.pem\"\n"),
              HasSubstr("ca_file is for an https:// url"));
  EXPECT_THAT(
      ErrorOf("[webhooks.ops]\nurl = \"https://x/\"\nsecret = \"s\"\nca_file = \"gone.pem\"\n"),
      HasSubstr("cannot read ca_file /etc/madre/gone.pem"));
  EXPECT_THAT(ErrorOf("[webhooks.ops]\nurl = \"http://:x/\"\nsecret = \"s\"\n"),
              HasSubstr("[webhooks.ops]: bad URL"));
  EXPECT_THAT(ErrorOf("[webhooks.ops]\n" + url), HasSubstr("secret (or secret_file) is missing"));
  EXPECT_THAT(ErrorOf("[webhooks.ops]\n" + url + "secret = \"\"\n"),
              HasSubstr("the secret is empty"));
  EXPECT_THAT(ErrorOf("[webhooks.ops]\n" + url + "secret = \"s\"\nsecret_file = \"f\"\n"),
              HasSubstr("secret or secret_file, not both"));
  EXPECT_THAT(ErrorOf("[webhooks.ops]\n" + url + "secret_file = \"gone\"\n"),
              HasSubstr("cannot read secret_file /etc/madre/gone"));
  EXPECT_THAT(ErrorOf("[webhooks.ops]\n" + url + "secret = \"s\"\nevents = [\"windows\"]\n"),
              HasSubstr("unknown event filter 'windows'"));
  EXPECT_THAT(ErrorOf("[webhooks.ops]\n" + url + "secret = \"s\"\nevents = \"window\"\n"),
              HasSubstr("events must be a list"));
  EXPECT_THAT(ErrorOf("[webhooks.ops]\n" + url + "secret = \"s\"\nretries = 3\n"),
              HasSubstr("unknown key 'retries'"));
  EXPECT_THAT(ErrorOf("[webhooks.\"a b\"]\n" + url + "secret = \"s\"\n"),
              HasSubstr("the name must be"));
  EXPECT_THAT(ErrorOf("url = \"x\"\n"), HasSubstr("unknown key 'url' (only [webhooks.NAME])"));
  EXPECT_THAT(ErrorOf("[webhooks.ops\n"), HasSubstr("line 1"));
}

}  // namespace
}  // namespace madre
