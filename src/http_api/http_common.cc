#include "http_api/http_common.h"

#include "api/json_codec.h"

namespace madre {

HttpResponse JsonResponse(int status, const nlohmann::json& body) {
  HttpResponse response;
  response.status = status;
  response.body = Dump(body);
  return response;
}

HttpResponse ErrorResponse(const Status& status) {
  HttpResponse response = JsonResponse(HttpStatusFor(status.code()), ErrorToJson(status));
  if (status.code() == StatusCode::kResourceExhausted ||
      status.code() == StatusCode::kUnavailable) {
    response.headers.emplace_back("Retry-After", "5");
  }
  return response;
}

std::string ClientOf(const HttpRequest& request) {
  const auto colon = request.remote_address.rfind(':');
  return colon == std::string::npos ? request.remote_address
                                    : request.remote_address.substr(0, colon);
}

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && text.compare(0, prefix.size(), prefix) == 0;
}

Result<int> QueryInt(const HttpRequest& request, const char* name, int fallback, int min, int max) {
  auto it = request.query.find(name);
  if (it == request.query.end() || it->second.empty()) return fallback;
  std::size_t pos = 0;
  long long v = 0;
  try {
    v = std::stoll(it->second, &pos);
  } catch (...) {
    pos = 0;
  }
  if (pos != it->second.size() || v < min || v > max) {
    return Status::InvalidArgument(std::string(name) + " must be an integer between " +
                                   std::to_string(min) + " and " + std::to_string(max));
  }
  return static_cast<int>(v);
}

}  // namespace madre
