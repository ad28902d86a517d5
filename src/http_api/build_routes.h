// The build history's views (issue 11): GET /madre/builds[?service=S&limit=N] (newest first)
// and GET /madre/builds/{id} (the row and the end of its log). Without a build store both
// answer 404. The rows come from the BuildStore on the engine thread, as the other stores are
// read; the log file is read on the workers and answered on the engine thread.
//
// Threading: engine thread only (the log read runs on `workers`).
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "adapters/http/http_server.h"
#include "ports/build_store.h"
#include "ports/executor.h"

namespace madre {

// The last `max_bytes` of the file at `path` (whole when smaller; a cut UTF-8 sequence at its
// start is dropped); nullopt when it is not a readable regular file.
std::optional<std::string> ReadLogTail(const std::string& path, std::size_t max_bytes);

class BuildRoutes {
 public:
  static constexpr std::size_t kLogTailBytes = 64 * 1024;
  static constexpr int kDefaultLimit = 50;
  static constexpr int kMaxLimit = 1000;

  // `store` null: no build history (404).
  BuildRoutes(BuildStore* store, Executor& workers, Executor& loop);

  // GET /madre/builds: query `service` (one service's builds) and `limit` (1..1000, default
  // 50); anything else is a 400 naming it.
  void List(const HttpRequest& request, Responder respond);
  // GET /madre/builds/{id}: `id` a positive integer, else 404.
  void Get(const std::string& id, Responder respond);

 private:
  BuildStore* store_;
  Executor& workers_;
  Executor& loop_;
};

}  // namespace madre
