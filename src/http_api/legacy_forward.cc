#include "http_api/legacy_forward.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <memory>

#include "engine/audit_records.h"
#include "http_api/http_common.h"

namespace madre {

namespace {

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && Lower(a) == Lower(b);
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// The Connection field of `fields` (repeats joined), "" when none.
std::string ConnectionOf(const HeaderFields& fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    if (EqualsIgnoreCase(name, "connection")) out += (out.empty() ? "" : ",") + value;
  }
  return out;
}

long long MillisBetween(TimePoint from, TimePoint to) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(to - from).count();
}

HttpResponse UpstreamError(int status, const std::string& code, const std::string& detail) {
  HttpResponse response = JsonResponse(status, {{"detail", detail}, {"code", code}});
  return response;
}

}  // namespace

std::optional<std::string> LegacyPrefixOf(const std::string& path,
                                          const std::vector<std::string>& prefixes) {
  for (const std::string& prefix : prefixes) {
    if (prefix.empty() || !StartsWith(path, prefix)) continue;
    if (path.size() == prefix.size() || prefix.back() == '/' || path[prefix.size()] == '/') {
      return prefix;
    }
  }
  return std::nullopt;
}

LegacyAction DecideLegacy(const std::string& path, const std::vector<std::string>& prefixes,
                          bool forwarding) {
  if (!LegacyPrefixOf(path, prefixes)) return LegacyAction::kNotLegacy;
  return forwarding ? LegacyAction::kForward : LegacyAction::kNotFound;
}

bool NeedsMadreToken(std::string_view path) { return StartsWith(path, "/madre/power/"); }

bool IsHopByHop(std::string_view name, std::string_view connection) {
  const std::string lower = Lower(name);
  if (lower == "connection" || lower == "keep-alive" || lower == "te" || lower == "trailer" ||
      lower == "transfer-encoding" || lower == "upgrade" || StartsWith(lower, "proxy-")) {
    return true;
  }
  while (!connection.empty()) {
    const std::size_t comma = connection.find(',');
    const std::string_view token = Trim(connection.substr(0, comma));
    if (!token.empty() && EqualsIgnoreCase(token, lower)) return true;
    if (comma == std::string_view::npos) break;
    connection.remove_prefix(comma + 1);
  }
  return false;
}

HeaderFields ForwardedRequestHeaders(const HttpRequest& request, const std::string& client) {
  std::string connection;
  if (auto it = request.headers.find("connection"); it != request.headers.end()) {
    connection = it->second;
  }
  HeaderFields out;
  std::string forwarded_for;
  for (const auto& [name, value] : request.headers) {  // names are lower-case
    if (name == "host" || name == "content-length" || IsHopByHop(name, connection)) continue;
    if (name == "x-forwarded-for") {
      forwarded_for = value;
      continue;
    }
    out.emplace_back(name, value);
  }
  out.emplace_back("x-forwarded-for",
                   forwarded_for.empty() ? client : forwarded_for + ", " + client);
  return out;
}

HeaderFields ReturnedHeaders(const HeaderFields& upstream) {
  const std::string connection = ConnectionOf(upstream);
  HeaderFields out;
  for (const auto& [name, value] : upstream) {
    if (IsHopByHop(name, connection) || EqualsIgnoreCase(name, "content-length") ||
        EqualsIgnoreCase(name, "content-type") || EqualsIgnoreCase(name, "server")) {
      continue;
    }
    out.emplace_back(name, value);
  }
  return out;
}

std::string JoinUpstreamTarget(const std::string& path_prefix, const std::string& target) {
  std::string prefix = path_prefix;
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  if (target.empty() || target.front() != '/') return prefix + "/" + target;
  return prefix + target;
}

LegacyCall BuildLegacyCall(const HttpRequest& request, const std::string& client,
                           const LegacyForwardOptions& options) {
  LegacyCall call;
  call.method = request.method;
  call.target = JoinUpstreamTarget(options.path_prefix, request.target);
  call.host = options.host;
  call.headers = ForwardedRequestHeaders(request, client);
  call.body = request.body;
  return call;
}

HttpResponse ResponseFromUpstream(LegacyAnswer answer) {
  HttpResponse response;
  response.status = answer.status;
  response.content_type.clear();
  for (const auto& [name, value] : answer.headers) {
    if (EqualsIgnoreCase(name, "content-type")) response.content_type = value;
  }
  response.headers = ReturnedHeaders(answer.headers);
  response.body = std::move(answer.body);
  return response;
}

HttpResponse UpstreamFailure(const Status& failure, const LegacyForwardOptions& options) {
  const std::string& url = options.url;
  switch (failure.code()) {
    case StatusCode::kDeadlineExceeded:
      return UpstreamError(
          504, "upstream_timeout",
          "the original madre at " + url + " did not answer within " +
              std::to_string(
                  std::chrono::duration_cast<std::chrono::seconds>(options.timeout).count()) +
              " s (VX11_LEGACY_FORWARD_TIMEOUT_SEC)");
    case StatusCode::kPayloadTooLarge:
      return UpstreamError(502, "upstream_too_large",
                           "the answer of the original madre at " + url + " is larger than " +
                               std::to_string(options.max_body_bytes) + " bytes");
    default:
      return UpstreamError(
          502, "upstream_unavailable",
          "cannot forward to the original madre at " + url + ": " + failure.message());
  }
}

LegacyForwarder::LegacyForwarder(LegacyForwardOptions options, Deps deps)
    : options_(std::move(options)), deps_(std::move(deps)) {}

void LegacyForwarder::Forward(const HttpRequest& request, Responder respond) {
  const TimePoint started = deps_.now();
  if (request.body.size() > options_.max_body_bytes) {
    return Refuse(request, started,
                  Status::PayloadTooLarge("the request body is larger than " +
                                          std::to_string(options_.max_body_bytes) +
                                          " bytes, the limit of a forwarded request"),
                  respond);
  }
  if (in_flight_ >= options_.max_in_flight) {
    return Refuse(request, started,
                  Status::Unavailable(std::to_string(options_.max_in_flight) +
                                      " requests to the original madre are already in flight"),
                  respond);
  }
  ++in_flight_;
  // What the audit record needs comes back with the answer (the request is the server's).
  auto seen = std::make_shared<HttpRequest>();
  seen->method = request.method;
  seen->path = request.path;
  seen->target = request.target;
  seen->remote_address = request.remote_address;
  LegacyCall call = BuildLegacyCall(request, ClientOf(request), options_);
  deps_.workers.Submit(
      [this, call = std::move(call), seen, started, respond = std::move(respond)]() mutable {
        Result<LegacyAnswer> answer = deps_.transport(call);
        deps_.loop.Submit([this, seen, started, answer = std::move(answer),
                           respond = std::move(respond)]() mutable {
          --in_flight_;
          if (answer.ok()) {
            Answer(*seen, started, ResponseFromUpstream(std::move(*answer)), AuditOutcome::kOk, "",
                   respond);
          } else {
            Answer(*seen, started, UpstreamFailure(answer.status(), options_), AuditOutcome::kFail,
                   answer.status().message(), respond);
          }
        });
      });
}

void LegacyForwarder::Refuse(const HttpRequest& request, TimePoint started, const Status& why,
                             const Responder& respond) {
  Answer(request, started, ErrorResponse(why), AuditOutcome::kRejected, why.message(), respond);
}

void LegacyForwarder::Answer(const HttpRequest& request, TimePoint started, HttpResponse response,
                             AuditOutcome outcome, const std::string& error,
                             const Responder& respond) {
  // The path only: a query may carry secrets (a token, a session).
  const bool has_query = request.target.find('?') != std::string::npos;
  deps_.audit(audit_records::LegacyForward(
      ClientOf(request), request.method, request.path + (has_query ? "?..." : ""), response.status,
      MillisBetween(started, deps_.now()), outcome, error));
  respond(std::move(response));
}

}  // namespace madre
