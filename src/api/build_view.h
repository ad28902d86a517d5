// The wire form of the build history (GET /madre/builds, GET /madre/builds/{id};
// docs/http_api.md "Builds"). Pure: a BuildRecord in, JSON out.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/build.h"

namespace madre {

// {"id", "intent_id" (or null), "service", "outcome" (running|succeeded|failed), "started_at",
// "finished_at" (RFC 3339, or null while running), "duration_ms", "image_before",
// "image_after" ("" when none), "error" (or null), "log_path"}.
nlohmann::json BuildView(const BuildRecord& build);

// GET /madre/builds/{id}: BuildView plus "log_tail", the end of its log file (null when the
// file is gone).
nlohmann::json BuildDetailView(const BuildRecord& build,
                               const std::optional<std::string>& log_tail);

}  // namespace madre
