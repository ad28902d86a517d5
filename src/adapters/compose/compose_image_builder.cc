#include "adapters/compose/compose_image_builder.h"

#include <filesystem>
#include <fstream>
#include <system_error>

#include "core/build.h"

namespace madre {
namespace {

std::string LastLine(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  const std::size_t nl = text.rfind('\n');
  std::string_view line = nl == std::string_view::npos ? text : text.substr(nl + 1);
  constexpr std::size_t kMax = 300;
  if (line.size() > kMax) line = line.substr(0, kMax);
  return std::string(line);
}

Status WriteLog(const std::string& path, const std::string& text) {
  if (path.empty()) return Status::Ok();
  std::error_code ec;
  const std::filesystem::path file(path);
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), ec);
  if (ec) {
    return Status::Internal("cannot create the build log directory " + file.parent_path().string() +
                            ": " + ec.message());
  }
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return Status::Internal("cannot write the build log " + path);
  return Status::Ok();
}

}  // namespace

std::string BuildLogCutLine(std::size_t kept_bytes) {
  return "[madre: the build printed more; this log keeps only its last " +
         std::to_string(kept_bytes / 1024) + " KiB]\n";
}

Result<BuildOutcome> ComposeImageBuilder::Build(const BuildRequest& request) {
  if (!IsValidServiceName(request.service)) {
    return Status::InvalidArgument("invalid service name: " + request.service);
  }
  if (request.image.empty()) {
    return Status::InvalidArgument("service " + request.service + " has no image name");
  }
  BuildOutcome outcome;
  ASSIGN_OR_RETURN(outcome.image_before, images_.ImageId(request.image));

  ComposeTarget target = target_;
  const bool staged = !request.staging_image.empty();
  if (staged) {
    if (request.staging_file.empty()) {
      return Status::InvalidArgument("a staged build needs the path of its compose file");
    }
    RETURN_IF_ERROR(
        WriteLog(request.staging_file, StagingComposeFile(request.service, request.staging_image)));
    target.files.push_back(request.staging_file);
  }
  ProcessSpec spec;
  spec.argv = ComposeArgv(target, ComposeVerb::kBuild, {request.service});
  spec.working_dir = target_.working_dir;
  spec.timeout = options_.timeout;
  spec.max_output_bytes = options_.log_limit;
  spec.keep_tail = true;
  Result<ProcessResult> ran = processes_.Run(spec);
  if (staged) {
    std::error_code ignored;
    std::filesystem::remove(request.staging_file, ignored);
  }
  ASSIGN_OR_RETURN(ProcessResult run, std::move(ran));
  outcome.duration_ms = run.elapsed_ms;
  outcome.log_truncated = run.truncated;

  std::string log = run.output;
  if (!log.empty() && log.back() != '\n') log += '\n';
  if (run.truncated) log += BuildLogCutLine(options_.log_limit);
  RETURN_IF_ERROR(WriteLog(request.log_path, log));

  if (staged) {
    // Only a build that ran to its end moves the service's name onto what it built.
    ASSIGN_OR_RETURN(const std::string built, images_.ImageId(request.staging_image));
    if (!run.timed_out && run.exit_code == 0 && !built.empty()) {
      RETURN_IF_ERROR(images_.TagImage(request.staging_image, request.image));
    }
    if (!built.empty()) RETURN_IF_ERROR(images_.RemoveImageName(request.staging_image));
  }
  ASSIGN_OR_RETURN(outcome.image_after, images_.ImageId(request.image));
  if (run.timed_out) {
    outcome.error =
        "the build timed out after " +
        std::to_string(std::chrono::duration_cast<std::chrono::seconds>(options_.timeout).count()) +
        " s (VX11_BUILD_TIMEOUT_SEC)";
  } else if (run.exit_code != 0) {
    outcome.error = JoinArgv(spec.argv) + " exited with code " + std::to_string(run.exit_code);
    const std::string last = LastLine(run.output);
    if (!last.empty()) outcome.error += ": " + last;
  } else if (outcome.image_after.empty()) {
    outcome.error = "compose built no image named " + request.image;
  }
  outcome.ok = outcome.error.empty();
  return outcome;
}

}  // namespace madre
