// Runs one child process to completion, without a shell.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "base/time.h"

namespace madre {

struct ProcessSpec {
  std::vector<std::string> argv;             // argv[0] is looked up in PATH; never a shell string
  std::filesystem::path working_dir;         // empty: inherit
  Duration timeout = Seconds(30);            // measured on the monotonic clock
  std::size_t max_output_bytes = 64 * 1024;  // the rest is dropped and `truncated` is set
  // Keep the LAST max_output_bytes instead of the first (a build's log: its end says why).
  bool keep_tail = false;
  std::vector<std::pair<std::string, std::string>> extra_env;  // added to the inherited environment
};

struct ProcessResult {
  int exit_code = -1;      // meaningful when !timed_out; 128+N when killed by signal N
  bool timed_out = false;  // the whole process group was killed (TERM, grace, KILL)
  bool truncated = false;
  std::string output;  // stdout and stderr, interleaved
  std::int64_t elapsed_ms = 0;
};

// Fails only if the child could not be started (e.g. kNotFound for a missing
// program): a non-zero exit or a timeout is a result, not an error.
// Thread-safe: may be called from several threads at once.
class ProcessRunner {
 public:
  virtual ~ProcessRunner() = default;
  virtual Result<ProcessResult> Run(const ProcessSpec& spec) = 0;
};

}  // namespace madre
