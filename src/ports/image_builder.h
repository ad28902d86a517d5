// Builds a compose service's image (the `build` executor of issue 11). Never called from the
// API thread: a build takes minutes.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"

namespace madre {

struct BuildRequest {
  std::string service;   // a service of the model with `build:` (core/build.h CheckBuildRequest)
  std::string image;     // its image name (ServiceDef::image): the ids before and after
  std::string log_path;  // where the build's log goes (replaced; bounded, see BuildOutcome)
  // When set (core/build.h StagingImage): the build tags this name, and only a successful
  // build moves `image` onto it, so a build that outlives madre replaces nothing.
  // `staging_file` is where the compose file that says so is written (removed after).
  std::string staging_image;
  std::string staging_file;
};

struct BuildOutcome {
  bool ok = false;
  std::string error;         // why it failed ("" when ok)
  std::string image_before;  // the image's id before the build, "" when absent
  std::string image_after;   // `image` after it, "" when absent
  std::int64_t duration_ms = 0;
  // The log file holds the last `log_limit` bytes of the build's output; when more was
  // printed, its last line says so.
  bool log_truncated = false;
};

// Blocking; thread-safe.
class ImageBuilder {
 public:
  virtual ~ImageBuilder() = default;
  // A failed build is an outcome (ok false), not an error: an error means the build could not
  // be run at all (compose missing, the log file not writable, Docker not answering).
  virtual Result<BuildOutcome> Build(const BuildRequest& request) = 0;
};

}  // namespace madre
