// Images by name (Engine API): an image's id, and naming a built image (a build's staging tag
// moved onto the service's image name, core/build.h StagingImage).
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
  // Gives the image named `source` the name `target` too (`POST /images/{source}/tag`); a
  // previous image of that name keeps its other names.
  virtual Status TagImage(const std::string& source, const std::string& target) = 0;
  // Removes the name `name` (`DELETE /images/{name}`): the image itself goes only when no other
  // name or container holds it. An absent name is not an error.
  virtual Status RemoveImageName(const std::string& name) = 0;
};

}  // namespace madre
