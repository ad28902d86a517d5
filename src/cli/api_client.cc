#include "cli/api_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <mutex>

#include "cli/exit_codes.h"

namespace madre::cli {

namespace {

std::size_t AppendToString(char* data, std::size_t size, std::size_t nmemb, void* user) {
  auto* out = static_cast<std::string*>(user);
  out->append(data, size * nmemb);
  return size * nmemb;
}

struct EasyDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

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

Status CurlError(CURLcode code, const std::string& url, const char* error_buffer) {
  std::string what = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(code);
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return Status::Unavailable("cannot connect to madre at " + url + ": " + what);
    case CURLE_OPERATION_TIMEDOUT:
      return Status::DeadlineExceeded("request to " + url + " timed out: " + what);
    default:
      return Status::Internal("request to " + url + " failed: " + what);
  }
}

}  // namespace

void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

CurlTransport::CurlTransport(std::string base_url, std::string token, Duration timeout)
    : base_url_(std::move(base_url)), token_(std::move(token)), timeout_(timeout) {}

Result<HttpReply> CurlTransport::Send(std::string_view method, std::string_view path,
                                      std::string_view body) {
  InitCurlOnce();
  std::unique_ptr<CURL, EasyDeleter> curl(curl_easy_init());
  if (!curl) return Status::Internal("curl_easy_init failed");
  const std::string url = JoinUrl(base_url_, path);
  const std::string method_str(method);
  const std::string body_str(body);
  std::string response;
  char error_buffer[CURL_ERROR_SIZE] = {0};

  std::unique_ptr<curl_slist, SlistDeleter> headers;
  auto add_header = [&headers](const std::string& line) {
    curl_slist* next = curl_slist_append(headers.get(), line.c_str());
    if (next != nullptr) {
      headers.release();  // now owned by `next`
      headers.reset(next);
    }
  };
  add_header("Accept: application/json");
  if (method_str != "GET") add_header("Content-Type: application/json");
  // Only madre gets the token, never an absolute probe URL.
  if (!token_.empty() && !IsAbsoluteUrl(path)) add_header("X-VX11-Token: " + token_);

  const long timeout_ms = static_cast<long>(std::max<std::int64_t>(
      1, std::chrono::duration_cast<std::chrono::milliseconds>(timeout_).count()));
  curl_write_callback write_cb = &AppendToString;  // a variable: curl_easy_setopt is a macro
  CURL* h = curl.get();
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, std::min(timeout_ms, 10'000L));
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &response);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_PROXY, "");  // loopback only: never go through a proxy
  if (method_str == "GET") {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else {
    if (method_str != "POST") curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method_str.c_str());
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body_str.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(body_str.size()));
  }

  const CURLcode code = curl_easy_perform(h);
  if (code != CURLE_OK) return CurlError(code, url, error_buffer);
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  return HttpReply{static_cast<int>(status), std::move(response)};
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
