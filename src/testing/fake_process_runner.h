// A scripted ProcessRunner for tests: records every spec it is given and
// answers from a queue, so tests can make a child exit, fail to start or time
// out on demand without running anything.
#pragma once

#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "base/status.h"
#include "ports/process_runner.h"

namespace madre {

class FakeProcessRunner final : public ProcessRunner {
 public:
  FakeProcessRunner();

  // Queues the answer to the next Run() that finds the queue non-empty (FIFO).
  void Push(Result<ProcessResult> answer);
  // Shorthands: a child that exits with `exit_code` after printing `output`; a
  // child killed at its timeout (exit 128+SIGTERM); a child that cannot start.
  void PushExit(int exit_code, std::string output = "");
  void PushTimeout(std::string output = "");
  void PushFailure(Status status);

  // What Run() answers when the queue is empty (default: exit 0, no output).
  void SetDefault(Result<ProcessResult> answer);

  // ProcessRunner: records `spec`, then answers. The answer's output is cut to
  // spec.max_output_bytes (setting `truncated`; its end with spec.keep_tail), as a
  // real runner would.
  Result<ProcessResult> Run(const ProcessSpec& spec) override;

  std::vector<ProcessSpec> specs() const;
  // Each recorded argv joined with single spaces.
  std::vector<std::string> commands() const;
  std::size_t pending() const;

 private:
  mutable std::mutex mu_;
  std::deque<Result<ProcessResult>> queue_;          // guarded by mu_
  Result<ProcessResult> default_ = ProcessResult{};  // guarded by mu_
  std::vector<ProcessSpec> specs_;                   // guarded by mu_
};

}  // namespace madre
