#include "http_api/intent_routes.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "engine/audit_records.h"
#include "http_api/http_common.h"

namespace madre {

using nlohmann::json;

namespace {

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

json IntentView(const Intent& intent, bool duplicate) {
  return json{{"intent_id", intent.id},
              {"status", IntentStateName(intent.state)},
              {"task_id", nullptr},  // set once an intent runs (approvals, admission)
              {"type", intent.type},
              {"source", intent.source},
              {"correlation_id",
               intent.correlation_id.empty() ? json(nullptr) : json(intent.correlation_id)},
              {"requires_approval", intent.requires_approval},
              {"created_at", FormatRfc3339(intent.created_at)},
              {"duplicate", duplicate}};
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

std::string HostOf(const std::string& host_header) {
  std::string host = Lower(host_header);
  if (!host.empty() && host.front() == '[') {
    const auto close = host.find(']');
    return close == std::string::npos ? host : host.substr(0, close + 1);
  }
  const auto colon = host.find(':');
  return colon == std::string::npos ? host : host.substr(0, colon);
}

IntentRoutes::IntentRoutes(IntentRoutesOptions options, IntentRoutesDeps deps)
    : options_(std::move(options)),
      deps_(std::move(deps)),
      limiter_(options_.open_burst, options_.open_every) {
  for (const char* loopback : {"localhost", "127.0.0.1", "[::1]"}) {
    options_.allowed_hosts.insert(loopback);
  }
}

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
  auto host = request.headers.find("host");
  const std::string name = host == request.headers.end() ? "" : HostOf(host->second);
  if (!options_.allowed_hosts.count(name)) {
    return ErrorResponse(Status::PermissionDenied(
        "a token-less intent must name an allowed Host (loopback, the bind address or "
        "VX11_UI_HOSTS), not \"" +
        name + "\""));
  }
  if (!limiter_.Admit(body.source, deps_.now())) {
    return ErrorResponse(
        Status::ResourceExhausted("too many intents from source " + body.source + ": slow down"));
  }
  return std::nullopt;
}

void IntentRoutes::Submit(const HttpRequest& request,
                          const std::optional<std::string>& token_identity, Responder respond) {
  Result<IntentBody> body = ParseIntentBody(request.body);
  if (!body.ok()) return respond(ErrorResponse(body.status()));  // nothing recorded
  Intent intent;
  if (token_identity) {
    intent.identity = *token_identity;
  } else {
    if (std::optional<HttpResponse> refused = CheckOpen(request, *body)) {
      return respond(std::move(*refused));
    }
    intent.identity = "open:" + body->source;
  }
  intent.id = "intent-" + deps_.new_id();
  intent.source = body->source;
  intent.correlation_id = body->correlation_id;
  intent.type = body->type;
  intent.payload = body->payload;
  intent.peer = ClientOf(request);
  intent.created_at = deps_.now();
  intent.requires_approval = true;  // nothing decides or runs intents in this build
  if (!token_identity) {
    Result<int> pending = deps_.store.CountPending(intent.identity);
    if (!pending.ok()) return respond(ErrorResponse(pending.status()));
    if (*pending >= options_.open_max_pending) {
      return respond(ErrorResponse(Status::ResourceExhausted(
          std::to_string(*pending) + " intents of source " + body->source +
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
  }
  respond(JsonResponse(200, IntentView(submitted->intent, submitted->duplicate)));
}

void IntentRoutes::Get(const std::string& id, Responder respond) {
  Result<std::optional<Intent>> intent = deps_.store.Get(id);
  if (!intent.ok()) return respond(ErrorResponse(intent.status()));
  if (!intent->has_value()) return respond(ErrorResponse(Status::NotFound("No intent " + id)));
  json view = IntentView(**intent, false);
  view.erase("duplicate");
  view["payload"] = json::parse((*intent)->payload, nullptr, false);
  respond(JsonResponse(200, view));
}

}  // namespace madre
