// The HTTP API (SPEC §3-§5): authenticates, decodes, calls the Engine and
// encodes the answer. Runs on the engine thread (the HTTP server's io
// thread); reads of the real containers run on the workers.
#pragma once

#include <atomic>
#include <memory>
#include <set>
#include <string>

#include "adapters/http/http_server.h"
#include "engine/engine.h"
#include "ports/container_observer.h"
#include "ports/executor.h"

namespace madre {

struct RouterOptions {
  std::string token;
  bool windows_enabled = true;
  std::string version;
  std::set<std::string> always_on;
  Duration open_wait_timeout = Seconds(300);  // the compatible open waits for the result
};

class ApiRouter {
 public:
  ApiRouter(RouterOptions options, Engine& engine, ContainerObserver& observer, Executor& workers,
            Executor& loop);

  // HttpHandler. Call on the engine thread.
  void Handle(HttpRequest request, Responder respond);
  // Until Start() of the engine finished, /madre/power/* answers 503.
  void SetReady() { ready_ = true; }

 private:
  void Route(const HttpRequest& request, Responder respond);
  void Open(const HttpRequest& request, bool compatible, Responder respond);
  void Close(const HttpRequest& request, Responder respond);
  void Hold(const HttpRequest& request, Responder respond);
  void Extend(const HttpRequest& request, Responder respond);
  void State(Responder respond);
  void WindowsStatus(const HttpRequest& request, Responder respond);
  void WindowGet(const std::string& id, Responder respond);
  void Audit(const HttpRequest& request, Responder respond);
  void Services(Responder respond);
  void Status(Responder respond);
  void SoloMadreStatus(Responder respond);
  void SoloMadreApply(const HttpRequest& request, Responder respond);
  void ServiceOp(const HttpRequest& request, const std::string& name, const std::string& op,
                 Responder respond);
  // Lists the real containers on a worker, then calls `then` on the engine thread.
  void WithContainers(std::function<void(Result<std::vector<ContainerState>>)> then);

  RouterOptions options_;
  Engine& engine_;
  ContainerObserver& observer_;
  Executor& workers_;
  Executor& loop_;
  bool ready_ = false;
};

// Constant-time comparison of the token (no early exit on the first difference).
bool TokenMatches(const std::string& expected, const std::string& given);

}  // namespace madre
