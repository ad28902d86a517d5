#include "http_api/build_routes.h"

#include <charconv>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <utility>
#include <vector>

#include "api/build_view.h"
#include "http_api/http_common.h"

namespace madre {

using nlohmann::json;

namespace {

Status NoHistory() {
  return Status::NotFound("this madre keeps no build history (no build store)");
}

// A positive decimal integer, nothing else ("+1", "01x", "0" and overflows are not).
std::optional<std::int64_t> ParseBuildId(const std::string& text) {
  if (text.empty() || text.front() < '1' || text.front() > '9') return std::nullopt;
  std::int64_t id = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, id);
  if (ec != std::errc() || ptr != end || id <= 0) return std::nullopt;
  return id;
}

}  // namespace

std::optional<std::string> ReadLogTail(const std::string& path, std::size_t max_bytes) {
  std::error_code ec;
  if (path.empty() || !std::filesystem::is_regular_file(path, ec)) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size < 0) return std::nullopt;
  const std::streamoff start = size > static_cast<std::streamoff>(max_bytes)
                                   ? size - static_cast<std::streamoff>(max_bytes)
                                   : 0;
  in.seekg(start);
  std::string tail(static_cast<std::size_t>(size - start), '\0');
  in.read(tail.data(), static_cast<std::streamsize>(tail.size()));
  tail.resize(static_cast<std::size_t>(in.gcount()));
  if (start > 0) {
    // The cut may fall inside a UTF-8 sequence: drop its continuation bytes (at most 3).
    std::size_t skip = 0;
    while (skip < 3 && skip < tail.size() &&
           (static_cast<unsigned char>(tail[skip]) & 0xC0) == 0x80) {
      ++skip;
    }
    tail.erase(0, skip);
  }
  return tail;
}

BuildRoutes::BuildRoutes(BuildStore* store, Executor& workers, Executor& loop)
    : store_(store), workers_(workers), loop_(loop) {}

void BuildRoutes::List(const HttpRequest& request, Responder respond) {
  if (!store_) return respond(ErrorResponse(NoHistory()));
  BuildFilter filter;
  filter.limit = kDefaultLimit;
  for (const auto& [key, value] : request.query) {
    if (key == "service") {
      filter.service = value;
    } else if (key != "limit") {
      return respond(ErrorResponse(
          Status::InvalidArgument("unknown query parameter \"" + key + "\": service, limit")));
    }
  }
  Result<int> limit = QueryInt(request, "limit", kDefaultLimit, 1, kMaxLimit);
  if (!limit.ok()) return respond(ErrorResponse(limit.status()));
  filter.limit = *limit;
  Result<std::vector<BuildRecord>> builds = store_->List(filter);
  if (!builds.ok()) return respond(ErrorResponse(builds.status()));
  json list = json::array();
  for (const BuildRecord& build : *builds) list.push_back(BuildView(build));
  respond(JsonResponse(200, {{"builds", std::move(list)}, {"count", builds->size()}}));
}

void BuildRoutes::Get(const std::string& id, Responder respond) {
  if (!store_) return respond(ErrorResponse(NoHistory()));
  const std::optional<std::int64_t> number = ParseBuildId(id);
  if (!number) return respond(ErrorResponse(Status::NotFound("No build " + id)));
  Result<std::optional<BuildRecord>> found = store_->Get(*number);
  if (!found.ok()) return respond(ErrorResponse(found.status()));
  if (!found->has_value()) return respond(ErrorResponse(Status::NotFound("No build " + id)));
  // The log is a file: read it off the engine thread.
  workers_.Submit([this, build = std::move(**found), respond = std::move(respond)]() mutable {
    std::optional<std::string> tail = ReadLogTail(build.log_path, kLogTailBytes);
    loop_.Submit(
        [build = std::move(build), tail = std::move(tail), respond = std::move(respond)]() mutable {
          respond(JsonResponse(200, BuildDetailView(build, tail)));
        });
  });
}

}  // namespace madre
