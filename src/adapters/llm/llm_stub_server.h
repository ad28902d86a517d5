// A chat-completions stub on 127.0.0.1 for the adviser's tests (plain HTTP or TLS with a
// self-signed certificate for 127.0.0.1): records every request and answers as scripted.
// Test-only (included by *_test.cc files; not part of madre_llm's sources).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace madre::testing_llm {

enum class StubReply {
  kGood,              // a restart of `api`, in ```json fences, with reasoning_content
  kTooManyRequests,   // 429
  kServerError,       // 503
  kHang,              // no answer: waits until the client gives up
  kMalformed,         // 200 with a body that is not a chat completion
  kOutsideCatalogue,  // 200, remediation "delete_volume"
  kMaskedNames,       // 200, start_dependency of service-2, in masked names
};

struct StubRequest {
  std::string target;
  std::string authorization;
  std::string body;
};

// The self-signed certificate the TLS stub presents (SAN IP:127.0.0.1, valid until 2126).
extern const char* const kStubCertPem;

// kStubCertPem in a temporary file (a client's CA file), removed with the object.
class StubCaFile {
 public:
  StubCaFile();
  ~StubCaFile();
  StubCaFile(const StubCaFile&) = delete;
  StubCaFile& operator=(const StubCaFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class StubServer {
 public:
  explicit StubServer(bool tls);
  ~StubServer();
  StubServer(const StubServer&) = delete;
  StubServer& operator=(const StubServer&) = delete;

  std::uint16_t port() const;
  std::string Url() const;  // "http(s)://127.0.0.1:PORT/v1/chat/completions"
  // The next answers, in order; kGood once they are used up.
  void Script(std::vector<StubReply> replies);
  std::vector<StubRequest> requests() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace madre::testing_llm
