// ImageBuilder over compose's own build of one service (`docker-compose ... build SERVICE` / v2
// `docker compose ... build SERVICE`), run through a ProcessRunner; the image ids before and
// after from an ImageInspector (the Engine API).
#pragma once

#include <cstddef>

#include "adapters/compose/compose_argv.h"
#include "base/time.h"
#include "ports/image_builder.h"
#include "ports/image_inspector.h"
#include "ports/process_runner.h"

namespace madre {

struct ComposeImageBuilderOptions {
  Duration timeout = Seconds(600);     // VX11_BUILD_TIMEOUT_SEC: the process group is killed
  std::size_t log_limit = 256 * 1024;  // the last bytes of the build's output kept in its log
};

// Build():
// - kInvalidArgument (nothing run) for an invalid service name or an empty image name;
// - the image id before (an error when Docker does not answer), then one compose run (no
//   retry) with the target's -p/-f and working directory;
// - the log file (parent directories created) gets the last `log_limit` bytes of the output;
//   when more was printed, a last line says how much was cut;
// - the image id after; ok when compose exited 0 and an image of that name exists. `error`
//   says why not: the timeout, the exit code and the output's last line, or a missing image.
// An error is returned only when compose could not be started, the log could not be written
// or Docker did not answer; a failed build is an outcome. Thread-safe when its ports are.
class ComposeImageBuilder final : public ImageBuilder {
 public:
  ComposeImageBuilder(ComposeTarget target, ProcessRunner& processes, ImageInspector& images,
                      ComposeImageBuilderOptions options = {})
      : target_(std::move(target)), processes_(processes), images_(images), options_(options) {}

  Result<BuildOutcome> Build(const BuildRequest& request) override;

 private:
  const ComposeTarget target_;
  ProcessRunner& processes_;
  ImageInspector& images_;
  const ComposeImageBuilderOptions options_;
};

// The last line of a log that says it was cut.
std::string BuildLogCutLine(std::size_t kept_bytes);

}  // namespace madre
