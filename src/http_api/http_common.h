// What every route of the HTTP API shares: JSON answers, the error answer, the client's
// address, query integers, and the delayed job the throttle and the stats sampler run on.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "adapters/http/http_server.h"
#include "base/status.h"
#include "base/time.h"

namespace madre {

// Runs `job` on the engine thread after `delay`, on a timer: no thread waits meanwhile
// (HttpServer::PostAfter in the daemon; a test queue in unit tests).
using ScheduleAfter = std::function<void(Duration delay, std::function<void()> job)>;

HttpResponse JsonResponse(int status, const nlohmann::json& body);
// {"detail","code"} with the status of the code; 429 and 503 carry Retry-After: 5.
HttpResponse ErrorResponse(const Status& status);
// The client's address without the port: the actor of audit records.
std::string ClientOf(const HttpRequest& request);
bool StartsWith(std::string_view text, std::string_view prefix);
// The integer query parameter `name` in [min, max]; `fallback` when absent or empty.
Result<int> QueryInt(const HttpRequest& request, const char* name, int fallback, int min, int max);

}  // namespace madre
