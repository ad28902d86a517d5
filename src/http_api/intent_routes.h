// POST /madre/intent (and GET /madre/intent/{id}): components ask madre instead of acting.
// Each intent is recorded durably, decided by the policy (VX11_INTENT_POLICY_FILE: deny →
// rejected, auto_approve → approved, else pending) and audited (`intent.submitted`, then
// `intent.approved` / `intent.rejected`). GET /madre/intents lists them; POST
// /madre/intents/{id}/approve|reject|cancel decides a pending one; ExpireDue() expires the
// pending ones nobody decided (docs/intents.md). IntentRunner (intent_runner.h) executes the
// approved ones.
//
// Who may submit: a client with the token (identity "default"), or, without a token, a
// component whose `source` is in VX11_INTENT_OPEN_SOURCES (identity "open:<source>"), and then
// only with Content-Type application/json and a Host header naming an allowed host (loopback
// names, the bind address, VX11_UI_HOSTS: a page in a browser cannot post as a component),
// within a rate per source (429) and a cap on its pending intents (429). Token-less intents
// always require approval.
//
// POST /manifestator/builder/emit-intent (with VX11_MANIFESTATOR_EMIT_INTENT_ENABLED=1, else
// 404 naming it) takes the manifestator's build request through the same submission, and
// answers what the manifestator reads besides: "assigned_to" and "estimated_time_sec".
//
// Threading: engine thread only. A build request's check against the compose model and its
// files (check_build: canonical paths, a walk of the context for its size) runs on `workers`;
// the submission goes on, and is answered, back on `loop`.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "adapters/http/http_server.h"
#include "core/build.h"
#include "core/identity.h"
#include "core/intent.h"
#include "core/intent_executor.h"
#include "core/intent_policy.h"
#include "ports/audit_log.h"
#include "ports/build_store.h"
#include "ports/executor.h"
#include "ports/intent_store.h"

namespace madre {

// Why a build intent is rejected at submission when madre has no build executor (it needs the
// Engine API's image ids: VX11_PROVIDER=compose with a unix:// DOCKER_HOST).
inline constexpr const char* kNoBuildExecutor =
    "no build executor: image builds need VX11_PROVIDER=compose and the Engine API (a unix:// "
    "DOCKER_HOST)";

struct IntentRoutesOptions {
  std::set<std::string> open_sources;  // VX11_INTENT_OPEN_SOURCES
  int open_burst = 10;                 // token-less submissions at once per source ...
  Duration open_every = Seconds(6);    // ... then one per this (10 a minute)
  int open_max_pending = 100;          // pending token-less intents per source
  IntentPolicy policy;                 // VX11_INTENT_POLICY_FILE; empty: all need approval
  Duration pending_ttl = kDefaultIntentPendingTtl;  // VX11_INTENT_PENDING_TTL_SEC
  // Without a tokens file the one token ("default") submits and approves: it may approve its
  // own intents, audited as self_approved. Otherwise an approval by the requester is 403.
  bool allow_self_approval = false;
  std::int64_t max_ttl_sec = 7 * 24 * 3600;  // a window intent's ttl_sec at most
  bool build_executor = false;  // build intents are executed (else rejected when submitted)
  // VX11_MANIFESTATOR_EMIT_INTENT_ENABLED=1: POST /manifestator/builder/emit-intent is served.
  bool manifestator_emit_intent = false;
};

// The manifestator's estimated_time_sec when the service has no successful build in the
// history yet.
inline constexpr std::int64_t kDefaultBuildEstimateSec = 120;
// The estimate of a build: the median duration of the last (up to 5) successful builds among
// `newest_first` (a service's rows of the history, newest first), in whole seconds rounded up
// (at least 1); kDefaultBuildEstimateSec without any.
std::int64_t EstimateBuildSeconds(const std::vector<BuildRecord>& newest_first);

struct IntentRoutesDeps {
  IntentStore& store;
  std::function<Status(AuditRecord)> audit;  // durable; an error fails the answer (500)
  std::function<TimePoint()> now;
  std::function<std::string()> new_id;  // a UUID
  std::function<void()> on_approved;    // after an approval was answered: run what may run
  // A build request against the compose model and its files (the service has `build:`, the
  // given paths are its own, the context is under the size cap); kInvalidArgument says what is
  // wrong. Empty: only the payload's own checks. Blocking (file system): called on `workers`,
  // so it may read only what does not change while madre runs.
  std::function<Status(const BuildIntent&)> check_build = {};
  // Where check_build runs, and where its answer comes back (the engine thread). Null: it runs
  // in the caller (tests).
  Executor* workers = nullptr;
  Executor* loop = nullptr;
  // The build history, for the manifestator's estimated_time_sec. Null: the default estimate.
  BuildStore* builds = nullptr;
};

// `"type"` or `"intent_type"` (required), `"payload"` (an object; absent: the other keys of
// the body), `"correlation_id"`, `"source"` (strings). Exposed for tests.
struct IntentBody {
  std::string type;
  std::string payload = "{}";  // compact JSON object
  std::string correlation_id;
  std::string source;
};
Result<IntentBody> ParseIntentBody(const std::string& body);

class IntentRoutes {
 public:
  IntentRoutes(IntentRoutesOptions options, IntentRoutesDeps deps);
  IntentRoutes(const IntentRoutes&) = delete;
  IntentRoutes& operator=(const IntentRoutes&) = delete;

  // `caller`: who sent the request with a valid token; nullopt when it carried none (the
  // token-less path). A wrong token never reaches this. 403 below the submitter role.
  void Submit(const HttpRequest& request, const std::optional<Caller>& caller, Responder respond);
  // POST /manifestator/builder/emit-intent: {"intent_type": "build", "target_service",
  // "dockerfile_path", "build_context", "reason"} (and optionally "source", default
  // "manifestator", and "correlation_id"), submitted as Submit does; the answer adds
  // "assigned_to": "madre" and "estimated_time_sec" (EstimateBuildSeconds). 404 naming
  // VX11_MANIFESTATOR_EMIT_INTENT_ENABLED unless manifestator_emit_intent; 400 for another type.
  void EmitIntent(const HttpRequest& request, const std::optional<Caller>& caller,
                  Responder respond);
  // GET /madre/intents/{id} (and /madre/intent/{id}): the intent object. Viewer.
  void Get(const std::string& id, const Caller& caller, Responder respond);
  // GET /madre/intents?state=&source=&type=&limit= (newest first, limit 1-1000, default 100).
  void List(const HttpRequest& request, const Caller& caller, Responder respond);
  // POST /madre/intents/{id}/approve|reject|cancel, body empty or {"reason": "..."}.
  // approve/reject: operator and admin, or the roles the matching policy rule names; never the
  // requester itself (403 self_approval) unless allow_self_approval. cancel: the requester or
  // operator+. 404 unknown id, 409 wrong state (or a decision that lost the race), 400 bad
  // body. Persisted (compare-and-set) and audited before the answer.
  void Decide(const std::string& id, DecisionKind kind, const HttpRequest& request,
              const Caller& caller, Responder respond);
  // Expires every pending intent whose expires_at has passed (actor "madre"). Returns how many,
  // or the store's error. A decision that wins the race first is left alone.
  Result<int> ExpireDue();

 private:
  // The token-less checks: 401 when the request may not submit without a token, 403 for a
  // bad Host or Content-Type, 429 over the rate. Nullopt: go on.
  std::optional<HttpResponse> CheckOpen(const HttpRequest& request, const IntentBody& body);
  // What the submission answers: the intent (POST /madre/intent) or the manifestator's fields.
  enum class Answer { kIntent, kManifestator };
  // The submission after the body was read: the payload's checks (a build payload read once),
  // the token-less checks, the build request's check (on the workers), then Record.
  void Intake(const HttpRequest& request, const std::optional<Caller>& caller, IntentBody body,
              Answer answer, Responder respond);
  // Decides by the policy, persists, audits, answers; then runs what may run. `build_service`:
  // a build intent's target (the manifestator's estimate).
  void Record(const std::string& peer, const std::optional<Caller>& caller, IntentBody body,
              Answer answer, const std::string& build_service, Responder respond);
  std::int64_t EstimateBuild(const std::string& service);

  IntentRoutesOptions options_;
  IntentRoutesDeps deps_;
  RateLimiter limiter_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // a check's reply looks at it
};

}  // namespace madre
