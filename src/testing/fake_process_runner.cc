#include "testing/fake_process_runner.h"

#include <csignal>
#include <utility>

namespace madre {

FakeProcessRunner::FakeProcessRunner() {
  ProcessResult success;
  success.exit_code = 0;
  default_ = success;
}

void FakeProcessRunner::Push(Result<ProcessResult> answer) {
  std::lock_guard<std::mutex> lock(mu_);
  queue_.push_back(std::move(answer));
}

void FakeProcessRunner::PushExit(int exit_code, std::string output) {
  ProcessResult result;
  result.exit_code = exit_code;
  result.output = std::move(output);
  Push(std::move(result));
}

void FakeProcessRunner::PushTimeout(std::string output) {
  ProcessResult result;
  result.exit_code = 128 + SIGTERM;
  result.timed_out = true;
  result.output = std::move(output);
  Push(std::move(result));
}

void FakeProcessRunner::PushFailure(Status status) { Push(std::move(status)); }

void FakeProcessRunner::SetDefault(Result<ProcessResult> answer) {
  std::lock_guard<std::mutex> lock(mu_);
  default_ = std::move(answer);
}

Result<ProcessResult> FakeProcessRunner::Run(const ProcessSpec& spec) {
  std::lock_guard<std::mutex> lock(mu_);
  specs_.push_back(spec);
  Result<ProcessResult> answer = default_;
  if (!queue_.empty()) {
    answer = std::move(queue_.front());
    queue_.pop_front();
  }
  if (answer.ok() && answer->output.size() > spec.max_output_bytes) {
    if (spec.keep_tail) {
      answer->output.erase(0, answer->output.size() - spec.max_output_bytes);
    } else {
      answer->output.resize(spec.max_output_bytes);
    }
    answer->truncated = true;
  }
  return answer;
}

std::vector<ProcessSpec> FakeProcessRunner::specs() const {
  std::lock_guard<std::mutex> lock(mu_);
  return specs_;
}

std::vector<std::string> FakeProcessRunner::commands() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> commands;
  for (const ProcessSpec& spec : specs_) {
    std::string joined;
    for (const std::string& arg : spec.argv) {
      if (!joined.empty()) joined += ' ';
      joined += arg;
    }
    commands.push_back(std::move(joined));
  }
  return commands;
}

std::size_t FakeProcessRunner::pending() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size();
}

}  // namespace madre
