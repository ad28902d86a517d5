// Test doubles for src/cli tests (header-only, included by *_test.cc only).
#pragma once

#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "base/clock.h"
#include "cli/api_client.h"
#include "cli/commands.h"

namespace madre::cli::testing {

struct RecordedCall {
  std::string method;
  std::string path;  // with query
  std::string body;
  nlohmann::json Json() const { return nlohmann::json::parse(body.empty() ? "null" : body); }
};

// A scripted Transport. Replies are keyed by "METHOD path-without-query"; each key
// holds a queue, and its last reply repeats. Unscripted requests get 404.
class FakeTransport final : public Transport {
 public:
  void On(const std::string& method, const std::string& path, Result<HttpReply> reply) {
    replies_[method + " " + path].push_back(std::move(reply));
  }
  void OnJson(const std::string& method, const std::string& path, int status,
              const nlohmann::json& body) {
    On(method, path, HttpReply{status, body.dump()});
  }
  void Clear(const std::string& method, const std::string& path) {
    replies_.erase(method + " " + path);
  }
  // Overrides everything when set.
  std::function<Result<HttpReply>(const RecordedCall&)> handler;

  Result<HttpReply> Send(std::string_view method, std::string_view path,
                         std::string_view body) override {
    RecordedCall call{std::string(method), std::string(path), std::string(body)};
    calls.push_back(call);
    if (handler) return handler(call);
    std::string key = call.method + " " + call.path.substr(0, call.path.find('?'));
    auto it = replies_.find(key);
    if (it == replies_.end() || it->second.empty()) {
      return HttpReply{404, R"({"detail":"not scripted: )" + key + R"(","code":"not_found"})"};
    }
    Result<HttpReply> reply = it->second.front();
    if (it->second.size() > 1) it->second.pop_front();
    return reply;
  }

  std::vector<RecordedCall> CallsTo(const std::string& method, const std::string& path) const {
    std::vector<RecordedCall> out;
    for (const RecordedCall& c : calls) {
      if (c.method == method && c.path.substr(0, c.path.find('?')) == path) out.push_back(c);
    }
    return out;
  }

  std::vector<RecordedCall> calls;

 private:
  std::map<std::string, std::deque<Result<HttpReply>>> replies_;
};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimePoint start) : now_(start) {}
  TimePoint Now() const override { return now_; }
  void Advance(Duration d) { now_ += d; }

 private:
  TimePoint now_;
};

// 2026-11-24T10:15:00Z
inline TimePoint kTestStart = FromMicros(1'795'515'300'000'000);

// A CommandEnv wired to fakes: a shared FakeTransport for madre and one for probes,
// string streams, a fake clock that the sleeper advances, a map-backed environment.
struct FakeWorld {
  std::shared_ptr<FakeTransport> madre = std::make_shared<FakeTransport>();
  std::shared_ptr<FakeTransport> probe = std::make_shared<FakeTransport>();
  std::shared_ptr<FakeClock> clock = std::make_shared<FakeClock>(kTestStart);
  std::map<std::string, std::string> env_vars;
  std::ostringstream out, err;
  std::istringstream in;  // stdin (madre token hash)
  std::vector<Duration> sleeps;
  std::vector<Connection> connections;
  bool tty = false;
  int follow_polls = 0;  // audit --follow: polls before "Ctrl-C"
  std::filesystem::path proc_root = "/nonexistent-proc";

  CommandEnv Env() {
    CommandEnv env;
    env.getenv = [this](const std::string& name) -> std::optional<std::string> {
      auto it = env_vars.find(name);
      if (it == env_vars.end()) return std::nullopt;
      return it->second;
    };
    env.make_transport = [this](const Connection& c) -> std::unique_ptr<Transport> {
      connections.push_back(c);
      return std::make_unique<Forward>(*madre);
    };
    env.make_probe_transport = [this](Duration) -> std::unique_ptr<Transport> {
      return std::make_unique<Forward>(*probe);
    };
    env.in = &in;
    env.out = &out;
    env.err = &err;
    env.out_is_tty = tty;
    env.clock = clock;
    env.sleep = [this](Duration d) {
      sleeps.push_back(d);
      clock->Advance(d);
    };
    env.interrupted = [this] { return follow_polls-- <= 0; };
    env.proc_root = proc_root;
    return env;
  }

 private:
  // Lets a command own a transport while the test keeps the FakeTransport.
  class Forward final : public Transport {
   public:
    explicit Forward(Transport& target) : target_(target) {}
    Result<HttpReply> Send(std::string_view m, std::string_view p, std::string_view b) override {
      return target_.Send(m, p, b);
    }

   private:
    Transport& target_;
  };
};

}  // namespace madre::cli::testing
