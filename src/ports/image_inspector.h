// The id of an image by its name (Engine API `GET /images/{name}/json`).
#pragma once

#include <string>

#include "base/status.h"

namespace madre {

// Blocking; thread-safe.
class ImageInspector {
 public:
  virtual ~ImageInspector() = default;
  // The image's id ("sha256:..."), "" when no image has that name. An error only when Docker
  // could not answer.
  virtual Result<std::string> ImageId(const std::string& name) = 0;
};

}  // namespace madre
