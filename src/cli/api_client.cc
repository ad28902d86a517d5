#include "cli/api_client.h"

#include <algorithm>
#include <cctype>

#include "adapters/httpclient/http_client.h"
#include "cli/exit_codes.h"

namespace madre::cli {

namespace {

bool IsAbsoluteUrl(std::string_view path) {
  return path.rfind("http://", 0) == 0 || path.rfind("https://", 0) == 0;
}

std::string JoinUrl(const std::string& base, std::string_view path) {
  if (IsAbsoluteUrl(path)) return std::string(path);
  std::string url = base;
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (path.empty() || path.front() != '/') url += '/';
  url += path;
  return url;
}

}  // namespace

HttpTransport::HttpTransport(std::string base_url, std::string token, Duration timeout)
    : base_url_(std::move(base_url)), token_(std::move(token)), timeout_(timeout) {}

Result<HttpReply> HttpTransport::Send(std::string_view method, std::string_view path,
                                      std::string_view body) {
  const std::string url = JoinUrl(base_url_, path);
  Result<ParsedHttpUrl> parsed = ParseHttpUrl(url);
  if (!parsed.ok()) {
    return Status::Unavailable("cannot connect to " + url + ": " + parsed.status().message());
  }
  HttpClientRequest request;
  request.method = std::string(method);
  request.target = parsed->target;
  request.host = parsed->host_header;
  request.headers.emplace_back("Accept", "application/json");
  if (request.method != "GET") request.headers.emplace_back("Content-Type", "application/json");
  // Only madre gets the token, never an absolute probe URL.
  if (!token_.empty() && !IsAbsoluteUrl(path)) request.headers.emplace_back("X-VX11-Token", token_);
  request.body = std::string(body);
  Result<HttpClientResponse> answer = HttpCall(parsed->endpoint, request, timeout_);
  if (!answer.ok()) {
    // kUnavailable (refused, reset, closed before answering), kDeadlineExceeded, kInternal.
    StatusCode code = answer.status().code();
    if (code != StatusCode::kUnavailable && code != StatusCode::kDeadlineExceeded) {
      code = StatusCode::kInternal;
    }
    return Status(code, request.method + " " + url + ": " + answer.status().message());
  }
  return HttpReply{answer->status, std::move(answer->body)};
}

int ExitCodeForTransportError(const Status& status) {
  switch (status.code()) {
    case StatusCode::kUnavailable:
      return kExitNoConnect;
    case StatusCode::kDeadlineExceeded:
      return kExitTimeout;
    default:
      return kExitError;
  }
}

std::string ErrorDetail(int http_status, const nlohmann::json& body, std::string_view raw) {
  if (body.is_object() && body.contains("detail")) {
    const nlohmann::json& detail = body["detail"];
    if (detail.is_string()) return detail.get<std::string>();
    return detail.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  // The autofix routes answer {"error": ..., "code": ...}.
  if (body.is_object() && body.contains("error") && body["error"].is_string()) {
    return body["error"].get<std::string>();
  }
  std::string text(raw.substr(0, 200));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  std::string out = "HTTP " + std::to_string(http_status);
  if (!text.empty()) out += ": " + text;
  return out;
}

ApiResponse CallApi(Transport& transport, std::string_view method, std::string_view path,
                    const nlohmann::json& body) {
  ApiResponse response;
  const std::string payload = body.is_null() ? std::string() : body.dump();
  Result<HttpReply> reply = transport.Send(method, path, payload);
  if (!reply.ok()) {
    response.exit_code = ExitCodeForTransportError(reply.status());
    response.detail = reply.status().message();
    return response;
  }
  response.http_status = reply->status;
  if (!reply->body.empty()) {
    response.body = nlohmann::json::parse(reply->body, nullptr, /*allow_exceptions=*/false);
    if (response.body.is_discarded()) response.body = nullptr;
  }
  response.exit_code = ExitCodeForHttpStatus(reply->status);
  if (!response.ok()) response.detail = ErrorDetail(reply->status, response.body, reply->body);
  return response;
}

std::string EscapePathSegment(std::string_view segment) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : segment) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

int ExitCodeForHttpStatus(int http_status) {
  if (http_status >= 200 && http_status < 300) return kExitOk;
  switch (http_status) {
    case 400:
      return kExitUsage;
    case 401:
    case 403:
      return kExitAuth;
    case 404:
      return kExitNotFound;
    case 409:
    case 422:
      return kExitConflict;
    case 500:
    case 503:
      return kExitDocker;
    case 504:
      return kExitTimeout;
    default:
      return kExitError;
  }
}

std::string ExitCodesHelp() {
  std::string out = "Exit codes:\n";
  for (const ExitCodeDoc& doc : kExitCodeTable) {
    out += "  " + std::to_string(doc.code) + "  " + doc.meaning + "\n";
  }
  return out;
}

}  // namespace madre::cli
