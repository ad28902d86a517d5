#include "adapters/webclient/web_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "adapters/llm/llm_stub_server.h"

namespace madre {
namespace {

using ::testing::HasSubstr;
using testing_llm::StubReply;
using testing_llm::StubServer;

TEST(ParseWebUrlTest, HttpsDefaultsToPort443) {
  auto url = ParseWebUrl("https://api.deepseek.com/v1/chat/completions");
  ASSERT_TRUE(url.ok());
  EXPECT_TRUE(url->tls);
  EXPECT_EQ(url->host, "api.deepseek.com");
  EXPECT_EQ(url->port, 443);
  EXPECT_EQ(url->target, "/v1/chat/completions");
  auto plain = ParseWebUrl("http://127.0.0.1:9000/x");
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->tls);
  EXPECT_EQ(plain->port, 9000);
  auto v6 = ParseWebUrl("https://[::1]/x");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->port, 443);
  EXPECT_FALSE(ParseWebUrl("api.deepseek.com").ok());
}

WebCallOptions Options(Duration timeout, std::string ca_file = "", HttpCancel* cancel = nullptr) {
  WebCallOptions options;
  options.timeout = timeout;
  options.ca_file = std::move(ca_file);
  options.cancel = cancel;
  return options;
}

HttpClientRequest Post(const WebUrl& url) {
  HttpClientRequest request;
  request.method = "POST";
  request.target = url.target;
  request.host = url.host_header;
  request.headers = {{"Content-Type", "application/json"}};
  request.body = R"({"event":"window.open"})";
  return request;
}

TEST(WebCallTest, TlsIsVerifiedAgainstTheCaFile) {
  StubServer stub(/*tls=*/true);
  Result<WebUrl> url = ParseWebUrl(stub.Url());
  ASSERT_TRUE(url.ok());
  ASSERT_TRUE(url->tls);
  Result<HttpClientResponse> untrusted = WebCall(*url, Post(*url), Options(Seconds(30)));
  ASSERT_FALSE(untrusted.ok());
  EXPECT_EQ(untrusted.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(untrusted.status().message(), HasSubstr("certificate"));
  testing_llm::StubCaFile ca;
  Result<HttpClientResponse> answer = WebCall(*url, Post(*url), Options(Seconds(30), ca.path()));
  ASSERT_TRUE(answer.ok()) << answer.status().message();
  EXPECT_EQ(answer->status, 200);
  ASSERT_EQ(stub.requests().size(), 1u);
  EXPECT_EQ(stub.requests()[0].body, R"({"event":"window.open"})");
}

TEST(WebCallTest, ACancelEndsATlsCallThatGetsNoAnswer) {
  StubServer stub(/*tls=*/true);
  stub.Script({StubReply::kHang});
  Result<WebUrl> url = ParseWebUrl(stub.Url());
  ASSERT_TRUE(url.ok());
  testing_llm::StubCaFile ca;
  HttpCancel cancel;
  std::thread canceller([&stub, &cancel] {
    while (stub.requests().empty()) std::this_thread::yield();  // the request is in
    cancel.Cancel();
  });
  Result<HttpClientResponse> answer =
      WebCall(*url, Post(*url), Options(Seconds(600), ca.path(), &cancel));
  canceller.join();
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(answer.status().message(), HasSubstr("cancelled"));
  // Cancelled before it starts: no connection at all.
  Result<HttpClientResponse> again =
      WebCall(*url, Post(*url), Options(Seconds(600), ca.path(), &cancel));
  EXPECT_THAT(again.status().message(), HasSubstr("cancelled"));
  EXPECT_EQ(stub.requests().size(), 1u);
}

TEST(WebCallTest, PlainHttpGoesThroughTheHttpClientWithTheCancel) {
  StubServer stub(/*tls=*/false);
  Result<WebUrl> url = ParseWebUrl(stub.Url());
  ASSERT_TRUE(url.ok());
  Result<HttpClientResponse> answer = WebCall(*url, Post(*url), Options(Seconds(30)));
  ASSERT_TRUE(answer.ok()) << answer.status().message();
  EXPECT_EQ(answer->status, 200);
  HttpCancel cancel;
  cancel.Cancel();
  Result<HttpClientResponse> cancelled =
      WebCall(*url, Post(*url), Options(Seconds(30), "", &cancel));
  EXPECT_THAT(cancelled.status().message(), HasSubstr("cancelled"));
  EXPECT_EQ(stub.requests().size(), 1u);
}

}  // namespace
}  // namespace madre
