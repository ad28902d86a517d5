#include "core/secret_mask.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace madre {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(MaskerTest, ExplicitSecretsNeverSurviveAndKeepTheirPlaceholder) {
  Masker masker({"hunter2-db-pass", "s3cr3t-token-of-madre"});
  std::string a = masker.Mask("connecting with hunter2-db-pass as admin");
  std::string b = masker.Mask("auth s3cr3t-token-of-madre then hunter2-db-pass again");
  EXPECT_EQ(a, "connecting with [SECRET-1] as admin");
  EXPECT_EQ(b, "auth [SECRET-2] then [SECRET-1] again");
}

TEST(MaskerTest, ShortSecretsAreIgnored) {
  Masker masker({"abc", "on"});
  EXPECT_EQ(masker.Mask("abc is on"), "abc is on");
}

TEST(MaskerTest, LongestSecretIsMaskedFirst) {
  Masker masker({"pass", "password123"});
  std::string out = masker.Mask("x password123 y pass");
  EXPECT_THAT(out, Not(HasSubstr("123")));
  EXPECT_EQ(out, "x [SECRET-1] y [SECRET-2]");
}

TEST(MaskerTest, ValuesAfterSecretKeysAreMasked) {
  Masker masker({});
  std::string out = masker.Mask(
      "DB_PASSWORD=opensesame api_key: \"abc-123-xyz\" token=tok_9 secret='s p a c e' "
      "mode=fast");
  EXPECT_THAT(out, Not(HasSubstr("opensesame")));
  EXPECT_THAT(out, Not(HasSubstr("abc-123-xyz")));
  EXPECT_THAT(out, Not(HasSubstr("tok_9")));
  EXPECT_THAT(out, Not(HasSubstr("s p a c e")));
  EXPECT_THAT(out, HasSubstr("mode=fast"));
  EXPECT_THAT(out, HasSubstr("DB_PASSWORD=[SECRET-"));
}

TEST(MaskerTest, AFoundSecretIsMaskedEverywhereItAppears) {
  Masker masker({});
  std::string out = masker.Mask("password=zebra99\nlogin failed for zebra99");
  EXPECT_THAT(out, Not(HasSubstr("zebra99")));
  EXPECT_EQ(masker.Mask("later: zebra99"), "later: [SECRET-1]");
}

TEST(MaskerTest, TokenShapesAreMasked) {
  Masker masker({});
  const std::string sk = "sk-abcdefghijklmnop1234";
  const std::string hex = "0123456789abcdef0123456789abcdef";
  const std::string b64 = "QWxhZGRpbjpvcGVuIHNlc2FtZQ1234abcdXYZ";
  const std::string bearer = "eyJhbGci.eyJzdWIi.sig";
  std::string out = masker.Mask("key " + sk + " digest sha256:" + hex + " blob " + b64 +
                                " Authorization: Bearer " + bearer);
  for (const std::string& s : {sk, hex, b64, bearer}) EXPECT_THAT(out, Not(HasSubstr(s))) << s;
  EXPECT_THAT(out, HasSubstr("sha256:[SECRET-"));
  EXPECT_THAT(out, HasSubstr("Bearer [SECRET-"));
}

TEST(MaskerTest, OrdinaryTextAndPathsStay) {
  Masker masker({});
  const std::string text =
      "exec /usr/local/bin/docker-entrypoint.sh: no such file or directory (exit 127) at "
      "/usr/lib/x86_64-linux-gnu/libssl.so.3";
  EXPECT_EQ(masker.Mask(text), text);
}

TEST(MaskerTest, NamesAreMaskedAtWordBoundariesAndRestored) {
  Masker masker({"topsecret"}, {"api", "redis", "redis-cache"});
  std::string out = masker.Mask("api cannot reach redis-cache or redis; rapid api2 topsecret");
  EXPECT_EQ(out, "service-1 cannot reach service-3 or service-2; rapid api2 [SECRET-1]");
  EXPECT_EQ(masker.Restore("restart service-2, then service-1 and service-3; service-9"),
            "restart redis, then api and redis-cache; service-9");
  // Secrets never come back.
  EXPECT_EQ(masker.Restore("[SECRET-1]"), "[SECRET-1]");
  EXPECT_EQ(masker.MaskedName("redis"), "service-2");
  EXPECT_EQ(masker.MaskedName("other"), "other");
}

TEST(MaskerTest, WithoutNamesRestoreChangesNothing) {
  Masker masker({});
  EXPECT_EQ(masker.Mask("api failed"), "api failed");
  EXPECT_EQ(masker.Restore("service-1 failed"), "service-1 failed");
}

}  // namespace
}  // namespace madre
