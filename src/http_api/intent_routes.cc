#include "http_api/intent_routes.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <utility>

#include "api/intent_payload.h"
#include "api/intent_view.h"
#include "engine/audit_records.h"
#include "http_api/http_common.h"
#include "http_api/intent_runner.h"

namespace madre {

using nlohmann::json;

namespace {

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

HttpResponse Forbidden(const std::string& code, const std::string& detail) {
  return JsonResponse(403, {{"detail", detail}, {"code", code}});
}

// The optional decision body: empty, or an object with an optional string "reason".
Result<std::string> ParseReason(const std::string& body) {
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) return std::string();
  json object = json::parse(body, nullptr, false);
  if (object.is_discarded() || !object.is_object()) {
    return Status::InvalidArgument("the body must be empty or a JSON object {\"reason\": \"...\"}");
  }
  for (const auto& item : object.items()) {
    if (item.key() != "reason") {
      return Status::InvalidArgument("unknown key \"" + item.key() + "\": only reason is accepted");
    }
  }
  auto it = object.find("reason");
  if (it == object.end() || it->is_null()) return std::string();
  if (!it->is_string()) return Status::InvalidArgument("reason must be a string");
  std::string reason = it->get<std::string>();
  if (reason.size() > 500) return Status::InvalidArgument("reason is longer than 500 bytes");
  return reason;
}

// A string member of `object`, or "" when absent or null; an error for another type.
Result<std::string> OptionalString(const json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::string();
  if (!it->is_string()) return Status::InvalidArgument(std::string(key) + " must be a string");
  return it->get<std::string>();
}

}  // namespace

Result<IntentBody> ParseIntentBody(const std::string& body) {
  json object = json::parse(body, nullptr, false);
  if (object.is_discarded() || !object.is_object()) {
    return Status::InvalidArgument("the body must be a JSON object");
  }
  IntentBody out;
  ASSIGN_OR_RETURN(std::string type, OptionalString(object, "type"));
  ASSIGN_OR_RETURN(std::string intent_type, OptionalString(object, "intent_type"));
  if (!type.empty() && !intent_type.empty() && type != intent_type) {
    return Status::InvalidArgument("type and intent_type differ: give one");
  }
  out.type = type.empty() ? intent_type : type;
  if (out.type.empty()) return Status::InvalidArgument("type (or intent_type) is required");
  if (!IsValidIntentWord(out.type)) {
    return Status::InvalidArgument("type must be 1 to 64 of [A-Za-z0-9_.:-]");
  }
  ASSIGN_OR_RETURN(out.correlation_id, OptionalString(object, "correlation_id"));
  if (!out.correlation_id.empty() && !IsValidCorrelationId(out.correlation_id)) {
    return Status::InvalidArgument(
        "correlation_id must be 1 to 128 printable characters without spaces");
  }
  ASSIGN_OR_RETURN(out.source, OptionalString(object, "source"));
  if (!out.source.empty() && !IsValidIntentWord(out.source)) {
    return Status::InvalidArgument("source must be 1 to 64 of [A-Za-z0-9_.:-]");
  }
  if (auto payload = object.find("payload"); payload != object.end() && !payload->is_null()) {
    if (!payload->is_object()) return Status::InvalidArgument("payload must be an object");
    out.payload = payload->dump(-1, ' ', false, json::error_handler_t::replace);
  } else {
    json rest = object;  // the manifestator's shape: its fields are the payload
    for (const char* key : {"type", "intent_type", "correlation_id", "source", "payload"}) {
      rest.erase(key);
    }
    out.payload = rest.dump(-1, ' ', false, json::error_handler_t::replace);
  }
  return out;
}

IntentRoutes::IntentRoutes(IntentRoutesOptions options, IntentRoutesDeps deps)
    : options_(std::move(options)),
      deps_(std::move(deps)),
      limiter_(options_.open_burst, options_.open_every) {}

std::optional<HttpResponse> IntentRoutes::CheckOpen(const HttpRequest& request,
                                                    const IntentBody& body) {
  if (body.source.empty() || !options_.open_sources.count(body.source)) {
    return JsonResponse(401, {{"detail",
                               "auth_required: X-VX11-Token header missing (a component may "
                               "submit without a token only when its source is in "
                               "VX11_INTENT_OPEN_SOURCES)"},
                              {"code", "auth_required"}});
  }
  auto content_type = request.headers.find("content-type");
  const std::string type = content_type == request.headers.end() ? "" : Lower(content_type->second);
  if (!StartsWith(type, "application/json")) {
    return ErrorResponse(
        Status::PermissionDenied("a token-less intent needs Content-Type: application/json"));
  }
  if (!limiter_.Admit(body.source, deps_.now())) {
    return ErrorResponse(
        Status::ResourceExhausted("too many intents from source " + body.source + ": slow down"));
  }
  return std::nullopt;
}

void IntentRoutes::Submit(const HttpRequest& request, const std::optional<Caller>& caller,
                          Responder respond) {
  if (caller && !RoleAllows(caller->role, Role::kSubmitter)) {
    return respond(ErrorResponse(Status::PermissionDenied(
        "role " + std::string(RoleName(caller->role)) + " may not submit intents")));
  }
  Result<IntentBody> body = ParseIntentBody(request.body);
  if (!body.ok()) return respond(ErrorResponse(body.status()));  // nothing recorded
  Intake(request, caller, std::move(*body), Answer::kIntent, std::move(respond));
}

void IntentRoutes::EmitIntent(const HttpRequest& request, const std::optional<Caller>& caller,
                              Responder respond) {
  if (!options_.manifestator_emit_intent) {
    return respond(ErrorResponse(
        Status::NotFound("POST /manifestator/builder/emit-intent is off: set "
                         "VX11_MANIFESTATOR_EMIT_INTENT_ENABLED=1 to accept the manifestator's "
                         "build intents (or POST them to /madre/intent)")));
  }
  if (caller && !RoleAllows(caller->role, Role::kSubmitter)) {
    return respond(ErrorResponse(Status::PermissionDenied(
        "role " + std::string(RoleName(caller->role)) + " may not submit intents")));
  }
  Result<IntentBody> body = ParseIntentBody(request.body);
  if (!body.ok()) return respond(ErrorResponse(body.status()));  // nothing recorded
  if (ExecutorFor(body->type) != IntentExecutor::kBuild) {
    return respond(ErrorResponse(
        Status::InvalidArgument("intent_type must be \"build\" here, not \"" + body->type +
                                "\" (other intents go to POST /madre/intent)")));
  }
  if (body->source.empty()) body->source = "manifestator";
  Intake(request, caller, std::move(*body), Answer::kManifestator, std::move(respond));
}

void IntentRoutes::Intake(const HttpRequest& request, const std::optional<Caller>& caller,
                          IntentBody body, Answer answer, Responder respond) {
  // A payload its executor would not take: 400, nothing recorded. A build payload is read once.
  std::optional<BuildIntent> build;
  if (ExecutorFor(body.type) == IntentExecutor::kRemediate) {
    return respond(ErrorResponse(Status::InvalidArgument(
        "remediate intents are made by madre's autofix, not submitted (docs/autofix.md)")));
  }
  if (ExecutorFor(body.type) == IntentExecutor::kBuild) {
    Result<BuildIntent> parsed = ParseBuildPayload(body.payload);
    Status fits = parsed.ok() ? CheckBuildIntent(*parsed) : parsed.status();
    if (!fits.ok()) return respond(ErrorResponse(fits));
    build = std::move(*parsed);
  } else if (Status fits = CheckIntentPayload(body.type, body.payload, options_.max_ttl_sec);
             !fits.ok()) {
    return respond(ErrorResponse(fits));
  }
  if (!caller) {
    if (std::optional<HttpResponse> refused = CheckOpen(request, body)) {
      return respond(std::move(*refused));
    }
  }
  std::string peer = ClientOf(request);
  const std::string service = build ? build->target_service : std::string();
  if (!build || !options_.build_executor || !deps_.check_build) {
    return Record(peer, caller, std::move(body), answer, service, std::move(respond));
  }
  // The request against the compose model and its files (a build of what it names, only): file
  // system work, a walk of the whole context for its size, so off the engine thread.
  if (!deps_.workers || !deps_.loop) {
    if (Status fits = deps_.check_build(*build); !fits.ok()) return respond(ErrorResponse(fits));
    return Record(peer, caller, std::move(body), answer, service, std::move(respond));
  }
  std::weak_ptr<bool> alive = alive_;
  deps_.workers->Submit([this, alive, check = deps_.check_build, loop = deps_.loop,
                         request = std::move(*build), peer = std::move(peer), caller,
                         body = std::move(body), answer, service,
                         respond = std::move(respond)]() mutable {
    Status fits = check(request);
    loop->Submit([this, alive, fits = std::move(fits), peer = std::move(peer), caller,
                  body = std::move(body), answer, service, respond = std::move(respond)]() mutable {
      if (alive.expired()) return;  // the routes are gone: madre is stopping
      if (!fits.ok()) return respond(ErrorResponse(fits));
      Record(peer, caller, std::move(body), answer, service, std::move(respond));
    });
  });
}

void IntentRoutes::Record(const std::string& peer, const std::optional<Caller>& caller,
                          IntentBody body, Answer answer, const std::string& build_service,
                          Responder respond) {
  Intent intent = NewPendingIntent(deps_.new_id(), deps_.now(), options_.pending_ttl);
  intent.identity = caller ? caller->name : "open:" + body.source;
  intent.source = body.source;
  intent.correlation_id = body.correlation_id;
  intent.type = body.type;
  intent.payload = body.payload;
  intent.peer = peer;
  const PolicyVerdict verdict =
      MatchPolicy(options_.policy, intent.source, intent.type, !caller.has_value());
  intent.requires_approval = verdict.action != PolicyAction::kAutoApprove;
  std::optional<DecisionKind> decided;  // by the policy, in the same write as the submission
  if (verdict.action == PolicyAction::kDeny) {
    decided = DecisionKind::kReject;
    DecideAtSubmission(intent, IntentState::kRejected, "policy:" + verdict.rule,
                       "denied by policy rule " + verdict.rule);
  } else if (!IsExecutableIntentType(intent.type, options_.build_executor)) {
    // Recorded, and rejected at once: nobody should approve what nothing would run.
    decided = DecisionKind::kReject;
    DecideAtSubmission(intent, IntentState::kRejected, "madre",
                       ExecutorFor(intent.type) == IntentExecutor::kNone
                           ? NoExecutorReason(intent.type)
                       : ExecutorFor(intent.type) == IntentExecutor::kBuild
                           ? std::string(kNoBuildExecutor)
                           : "no executor for type " + intent.type + " in this build of madre yet");
  } else if (verdict.action == PolicyAction::kAutoApprove) {
    decided = DecisionKind::kApprove;
    DecideAtSubmission(intent, IntentState::kApproved, "policy:" + verdict.rule,
                       "auto-approved by policy rule " + verdict.rule);
  }
  if (!caller) {
    Result<int> pending = deps_.store.CountPending(intent.identity);
    if (!pending.ok()) return respond(ErrorResponse(pending.status()));
    if (*pending >= options_.open_max_pending) {
      return respond(ErrorResponse(
          Status::ResourceExhausted(std::to_string(*pending) + " intents of source " + body.source +
                                    " are pending: no more until some are decided")));
    }
  }
  Result<IntentStore::Submitted> submitted = deps_.store.Submit(intent);
  if (!submitted.ok()) {
    return respond(ErrorResponse(
        Status::Internal("cannot record the intent: " + submitted.status().message())));
  }
  if (!submitted->duplicate) {
    if (Status audited = deps_.audit(audit_records::IntentSubmitted(intent)); !audited.ok()) {
      return respond(ErrorResponse(audited));
    }
    if (decided) {
      if (Status audited = deps_.audit(audit_records::IntentDecided(intent, *decided));
          !audited.ok()) {
        return respond(ErrorResponse(audited));
      }
    }
  }
  json view = IntentSubmitView(submitted->intent, submitted->duplicate);
  if (answer == Answer::kManifestator) {
    view["assigned_to"] = "madre";
    view["estimated_time_sec"] = EstimateBuild(build_service);
  }
  respond(JsonResponse(200, view));
  if (!submitted->duplicate && intent.state == IntentState::kApproved && deps_.on_approved) {
    deps_.on_approved();
  }
}

std::int64_t EstimateBuildSeconds(const std::vector<BuildRecord>& newest_first) {
  constexpr std::size_t kSamples = 5;
  std::vector<std::int64_t> ms;
  for (const BuildRecord& build : newest_first) {
    if (build.outcome != BuildOutcomeKind::kSucceeded) continue;
    ms.push_back(std::max<std::int64_t>(build.duration_ms, 0));
    if (ms.size() == kSamples) break;
  }
  if (ms.empty()) return kDefaultBuildEstimateSec;
  std::sort(ms.begin(), ms.end());
  const std::size_t mid = ms.size() / 2;
  const std::int64_t median = ms.size() % 2 == 1 ? ms[mid] : (ms[mid - 1] + ms[mid]) / 2;
  return std::max<std::int64_t>(1, (median + 999) / 1000);
}

std::int64_t IntentRoutes::EstimateBuild(const std::string& service) {
  if (!deps_.builds || service.empty()) return kDefaultBuildEstimateSec;
  // The newest rows of the service: enough to find 5 successful ones among a few failures.
  Result<std::vector<BuildRecord>> rows = deps_.builds->List(BuildFilter{service, 50});
  if (!rows.ok()) return kDefaultBuildEstimateSec;  // an estimate: never fails the answer
  return EstimateBuildSeconds(*rows);
}

void IntentRoutes::Get(const std::string& id, const Caller& caller, Responder respond) {
  if (!RoleAllows(caller.role, Role::kViewer) || caller.token_less) {
    return respond(ErrorResponse(Status::PermissionDenied("reading intents needs a token")));
  }
  Result<std::optional<Intent>> intent = deps_.store.Get(id);
  if (!intent.ok()) return respond(ErrorResponse(intent.status()));
  if (!intent->has_value()) return respond(ErrorResponse(Status::NotFound("No intent " + id)));
  respond(JsonResponse(200, IntentView(**intent)));
}

void IntentRoutes::List(const HttpRequest& request, const Caller& caller, Responder respond) {
  if (!RoleAllows(caller.role, Role::kViewer) || caller.token_less) {
    return respond(ErrorResponse(Status::PermissionDenied("reading intents needs a token")));
  }
  IntentFilter filter;
  for (const auto& [key, value] : request.query) {
    if (key == "state") {
      std::optional<IntentState> state = ParseIntentState(value);
      if (!state) {
        return respond(ErrorResponse(Status::InvalidArgument(
            "state must be one of pending, approved, rejected, expired, cancelled, admitted, "
            "executing, succeeded, failed; not \"" +
            value + "\"")));
      }
      filter.state = state;
    } else if (key == "source") {
      filter.source = value;
    } else if (key == "type") {
      filter.type = value;
    } else if (key != "limit") {
      return respond(ErrorResponse(Status::InvalidArgument("unknown query parameter \"" + key +
                                                           "\": state, source, type, limit")));
    }
  }
  Result<int> limit = QueryInt(request, "limit", filter.limit, 1, 1000);
  if (!limit.ok()) return respond(ErrorResponse(limit.status()));
  filter.limit = *limit;
  Result<std::vector<Intent>> intents = deps_.store.List(filter);
  if (!intents.ok()) return respond(ErrorResponse(intents.status()));
  json list = json::array();
  for (const Intent& intent : *intents) list.push_back(IntentView(intent));
  respond(JsonResponse(200, {{"intents", std::move(list)}, {"count", intents->size()}}));
}

void IntentRoutes::Decide(const std::string& id, DecisionKind kind, const HttpRequest& request,
                          const Caller& caller, Responder respond) {
  Result<std::string> reason = ParseReason(request.body);
  if (!reason.ok()) return respond(ErrorResponse(reason.status()));
  Result<std::optional<Intent>> found = deps_.store.Get(id);
  if (!found.ok()) return respond(ErrorResponse(found.status()));
  if (!found->has_value()) return respond(ErrorResponse(Status::NotFound("No intent " + id)));
  const Intent& intent = **found;
  const bool own = caller.name == intent.identity;
  Decision decision{kind, caller.AuditActor(), *reason};
  if (caller.token_less) {
    return respond(ErrorResponse(Status::PermissionDenied("deciding intents needs a token")));
  }
  if (kind == DecisionKind::kCancel) {
    if (!own && !RoleAllows(caller.role, Role::kOperator)) {
      return respond(ErrorResponse(Status::PermissionDenied(
          "only the requester (" + intent.identity + ") or an operator may cancel " + id)));
    }
  } else {
    const PolicyVerdict verdict = MatchPolicy(options_.policy, intent.source, intent.type,
                                              intent.identity.rfind("open:", 0) == 0);
    if (!MayDecide(verdict, caller.role)) {
      return respond(ErrorResponse(Status::PermissionDenied(
          "role " + std::string(RoleName(caller.role)) + " may not " + DecisionKindName(kind) +
          " " + id + (verdict.rule.empty() ? "" : " (policy rule " + verdict.rule + ")"))));
    }
    if (own && kind == DecisionKind::kApprove) {
      if (!options_.allow_self_approval) {
        return respond(Forbidden("self_approval", caller.name + " submitted " + id +
                                                      ": nobody approves their own intent"));
      }
      decision.self_approved = true;
    }
  }
  Result<Intent> after = ApplyDecision(intent, decision, deps_.now());
  if (!after.ok()) return respond(ErrorResponse(after.status()));
  if (Status stored = deps_.store.Update(*after, intent.state); !stored.ok()) {
    if (stored.code() == StatusCode::kFailedPrecondition ||
        stored.code() == StatusCode::kNotFound) {
      return respond(ErrorResponse(stored));
    }
    return respond(ErrorResponse(
        Status::Internal("cannot record the decision on " + id + ": " + stored.message())));
  }
  if (Status audited = deps_.audit(audit_records::IntentDecided(*after, kind)); !audited.ok()) {
    return respond(ErrorResponse(audited));
  }
  respond(JsonResponse(200, IntentView(*after)));
  if (after->state == IntentState::kApproved && deps_.on_approved) deps_.on_approved();
}

Result<int> IntentRoutes::ExpireDue() {
  ASSIGN_OR_RETURN(std::vector<Intent> pending, deps_.store.ListByState(IntentState::kPending));
  const TimePoint now = deps_.now();
  const std::string reason =
      "nobody decided within " +
      std::to_string(
          std::chrono::duration_cast<std::chrono::seconds>(options_.pending_ttl).count()) +
      " s";
  int expired = 0;
  for (const Intent& intent : pending) {
    if (!IsPendingExpired(intent, now)) continue;
    Result<Intent> after =
        ApplyDecision(intent, Decision{DecisionKind::kExpire, "madre", reason}, now);
    if (!after.ok()) continue;  // cannot happen: it is pending
    Status stored = deps_.store.Update(*after, IntentState::kPending);
    if (stored.code() == StatusCode::kFailedPrecondition) continue;  // decided meanwhile
    RETURN_IF_ERROR(stored);
    RETURN_IF_ERROR(deps_.audit(audit_records::IntentDecided(*after, DecisionKind::kExpire)));
    ++expired;
  }
  return expired;
}

}  // namespace madre
