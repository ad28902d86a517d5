// The command routes: open, close, hold, extend, service start/stop/restart and SOLO_MADRE
// apply. Each parses its body (api/json_codec.h), calls the engine and answers with the view
// of the result (api/views.h). A body that does not parse is audited as rejected and answered
// 400 without reaching the engine. Opens pass the OpenThrottle first. The actor of every
// audit record and of the engine's work is the caller's `AuditActor()` ("ci@10.0.0.7").
//
// Threading: engine thread only.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "adapters/http/http_server.h"
#include "core/identity.h"
#include "engine/engine.h"
#include "http_api/open_throttle.h"

namespace madre {

struct WindowRoutesOptions {
  Duration open_wait_timeout = Seconds(300);  // an open with "wait" and no wait_timeout_sec
  // POST /madre/power/window/open answers after this at most (VX11_COMPAT_OPEN_WAIT_SEC): 200
  // with the window as it is, while the engine goes on waiting for readiness.
  Duration compat_open_wait = Seconds(4);
  std::string stop_strategy = "stop";  // shown in every window view
};

class WindowRoutes {
 public:
  WindowRoutes(WindowRoutesOptions options, Engine& engine, OpenThrottle& throttle);

  // `compatible`: POST /madre/power/window/open, which always answers with the result.
  void Open(const HttpRequest& request, const Caller& caller, bool compatible, Responder respond);
  void Close(const HttpRequest& request, const Caller& caller, Responder respond);
  void Hold(const HttpRequest& request, const Caller& caller, Responder respond);
  void Extend(const HttpRequest& request, const Caller& caller, Responder respond);
  // op: start|stop|restart. `name` from the path; nullopt: the body form, which names the
  // service in the body ({"service": NAME}). `"apply": false` answers the plan, does nothing.
  void ServiceOp(const HttpRequest& request, const Caller& caller,
                 const std::optional<std::string>& name, const std::string& op, Responder respond);
  void SoloMadreApply(const HttpRequest& request, const Caller& caller, Responder respond);

 private:
  // Answers a window result with its view.
  Reply<Window> WindowReply(Responder respond);
  // What service `op` would do now, for `"apply": false`: {"status":"plan",...}.
  nlohmann::json ServicePlan(const std::string& name, const std::string& op) const;
  // `started`, and those of `requested` whose container runs as the engine last observed
  // them; sorted.
  nlohmann::json StartedOrRunning(const std::vector<std::string>& started,
                                  const std::vector<std::string>& requested) const;

  WindowRoutesOptions options_;
  Engine& engine_;
  OpenThrottle& throttle_;
};

}  // namespace madre
