// Runs the real `madre serve` binary for an integration test: its own state
// dir, port and compose project; HTTP calls with the token; kill -9 and restart.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace madre::itest {

struct HttpAnswer {
  long status = 0;  // 0: no connection
  std::string body;
  nlohmann::json Json() const;
};

// One blocking HTTP call to 127.0.0.1 (libcurl). `token` empty: no header.
HttpAnswer Http(const std::string& method, const std::string& url, const std::string& body,
                const std::string& token, long timeout_sec = 120);

class MadreProcess {
 public:
  // `env` is added to the current environment. The state dir is made unique under /tmp.
  MadreProcess(std::map<std::string, std::string> env, std::vector<std::string> extra_args = {});
  // SIGTERM, then SIGKILL. Then removes the state dir, unless the current gtest test failed
  // (or, outside a test, e.g. in TearDownTestSuite, the current test suite did): then the dir is
  // kept for diagnosis and its path printed.
  ~MadreProcess();
  MadreProcess(const MadreProcess&) = delete;
  MadreProcess& operator=(const MadreProcess&) = delete;

  // Starts and waits until /health answers and /madre/power/state is ready. False on failure
  // (the log is printed).
  bool Start();
  void Kill9();
  // SIGTERM, then waits up to 10 s for the exit (else SIGKILL). Returns the exit status, or -1
  // when madre had to be killed or died of a signal; 0 when it was not running.
  int Terminate();
  bool Running() const { return pid_ > 0; }

  HttpAnswer Get(const std::string& path) const;
  HttpAnswer Post(const std::string& path, const std::string& body) const;
  std::string Url(const std::string& path) const;
  std::string log() const;

  int port() const { return port_; }
  const std::string& token() const { return token_; }
  const std::filesystem::path& state_dir() const { return state_dir_; }

 private:
  std::map<std::string, std::string> env_;
  std::vector<std::string> extra_args_;
  std::filesystem::path state_dir_;
  std::filesystem::path log_path_;
  std::string token_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace madre::itest
