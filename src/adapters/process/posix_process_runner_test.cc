#include "adapters/process/posix_process_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace madre {
namespace {

using ::testing::HasSubstr;

ProcessSpec Sh(const std::string& script, Duration timeout = Seconds(10)) {
  ProcessSpec spec;
  spec.argv = {"/bin/sh", "-c", script};
  spec.timeout = timeout;
  return spec;
}

ProcessResult RunOk(const ProcessSpec& spec) {
  PosixProcessRunner runner;
  Result<ProcessResult> result = runner.Run(spec);
  EXPECT_TRUE(result.ok()) << result.status().ToString();
  return result.ok() ? *result : ProcessResult{};
}

// A process is gone when /proc has no entry for it or it is a zombie waiting
// for init to reap it (kill(pid, 0) still succeeds on zombies).
bool IsGoneOrZombie(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return true;
  std::string line;
  std::getline(stat, line);
  const auto paren = line.rfind(')');
  return paren == std::string::npos || paren + 2 >= line.size() || line[paren + 2] == 'Z' ||
         line[paren + 2] == 'X';
}

// Waits (bounded) for the kernel to finish delivering SIGKILL to a process that is not our
// child: a pidfd becomes readable when its process exits. No sleeping.
bool BecomesGone(pid_t pid) {
  const int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) return errno == ESRCH || IsGoneOrZombie(pid);
  pollfd pfd{fd, POLLIN, 0};
  const int ready = ::poll(&pfd, 1, 30000);
  ::close(fd);
  return ready == 1 || IsGoneOrZombie(pid);
}

TEST(PosixProcessRunnerTest, ReportsTheExitCode) {
  ProcessResult result = RunOk(Sh("exit 3"));
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_FALSE(result.timed_out);
  EXPECT_FALSE(result.truncated);
}

TEST(PosixProcessRunnerTest, CapturesStdoutAndStderrTogether) {
  ProcessResult result = RunOk(Sh("echo out; echo err >&2"));
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.output, "out\nerr\n");
}

TEST(PosixProcessRunnerTest, ExitCodeIs128PlusSignalWhenKilled) {
  ProcessResult result = RunOk(Sh("kill -9 $$"));
  EXPECT_EQ(result.exit_code, 128 + SIGKILL);
  EXPECT_FALSE(result.timed_out);
}

// The child would sleep an hour: only the timeout's kill ends it (else ctest's timeout fails).
TEST(PosixProcessRunnerTest, TimeoutKillsTheChild) {
  ProcessResult result = RunOk(Sh("sleep 3600", Millis(200)));
  EXPECT_TRUE(result.timed_out);
  EXPECT_EQ(result.exit_code, 128 + SIGTERM);
  EXPECT_GE(result.elapsed_ms, 200);
}

TEST(PosixProcessRunnerTest, TimeoutKillsTheWholeProcessGroup) {
  // The grandchild prints its pid, then both sleep far past the timeout.
  ProcessResult result = RunOk(Sh("sleep 30 & echo $!; sleep 30", Millis(300)));
  ASSERT_TRUE(result.timed_out);
  const pid_t grandchild = static_cast<pid_t>(std::atol(result.output.c_str()));
  ASSERT_GT(grandchild, 0) << result.output;
  EXPECT_TRUE(BecomesGone(grandchild));
}

TEST(PosixProcessRunnerTest, TimeoutEscalatesToSigkill) {
  PosixProcessRunner runner(Millis(100));
  Result<ProcessResult> result = runner.Run(Sh("trap '' TERM; echo ready; sleep 30", Millis(300)));
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->timed_out);
  EXPECT_EQ(result->exit_code, 128 + SIGKILL);
}

TEST(PosixProcessRunnerTest, DoesNotWaitForGrandchildrenHoldingThePipe) {
  // The leader exits at once; its background child keeps stdout open.
  ProcessResult result = RunOk(Sh("sleep 30 & echo $!; echo done", Seconds(10)));
  EXPECT_FALSE(result.timed_out);
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_THAT(result.output, HasSubstr("done\n"));
  const pid_t grandchild = static_cast<pid_t>(std::atol(result.output.c_str()));
  if (grandchild > 0) ::kill(grandchild, SIGKILL);
}

TEST(PosixProcessRunnerTest, CapsAFloodOfOutput) {
  ProcessSpec spec = Sh("yes | head -c 10000000");
  spec.max_output_bytes = 1000;
  ProcessResult result = RunOk(spec);
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_TRUE(result.truncated);
  EXPECT_EQ(result.output.size(), 1000u);
  EXPECT_EQ(result.output.substr(0, 4), "y\ny\n");
}

TEST(PosixProcessRunnerTest, KeepTailKeepsTheEndOfAFlood) {
  ProcessSpec spec = Sh("yes | head -c 100000; printf END");
  spec.max_output_bytes = 1000;
  spec.keep_tail = true;
  ProcessResult result = RunOk(spec);
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_TRUE(result.truncated);
  EXPECT_EQ(result.output.size(), 1000u);
  EXPECT_EQ(result.output.substr(result.output.size() - 5), "y\nEND");
}

TEST(PosixProcessRunnerTest, AnEndlessFloodStillTimesOut) {
  ProcessSpec spec;
  spec.argv = {"yes"};
  spec.timeout = Millis(300);
  spec.max_output_bytes = 1000;
  ProcessResult result = RunOk(spec);
  EXPECT_TRUE(result.timed_out);
  EXPECT_TRUE(result.truncated);
  EXPECT_EQ(result.output.size(), 1000u);
}

TEST(PosixProcessRunnerTest, OutputExactlyAtTheCapIsNotTruncated) {
  ProcessSpec spec = Sh("printf abcd");
  spec.max_output_bytes = 4;
  ProcessResult result = RunOk(spec);
  EXPECT_EQ(result.output, "abcd");
  EXPECT_FALSE(result.truncated);
}

TEST(PosixProcessRunnerTest, MissingProgramIsNotFound) {
  PosixProcessRunner runner;
  ProcessSpec spec;
  spec.argv = {"madre-no-such-program-xyz"};
  Result<ProcessResult> result = runner.Run(spec);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.code(), StatusCode::kNotFound);
  EXPECT_THAT(result.status().message(), HasSubstr("madre-no-such-program-xyz"));
}

TEST(PosixProcessRunnerTest, EmptyArgvIsInvalid) {
  PosixProcessRunner runner;
  Result<ProcessResult> result = runner.Run(ProcessSpec{});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.code(), StatusCode::kInvalidArgument);
}

TEST(PosixProcessRunnerTest, MissingWorkingDirIsNotFound) {
  PosixProcessRunner runner;
  ProcessSpec spec = Sh("pwd");
  spec.working_dir = "/nonexistent/madre/dir";
  Result<ProcessResult> result = runner.Run(spec);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.code(), StatusCode::kNotFound);
}

TEST(PosixProcessRunnerTest, RunsInTheWorkingDir) {
  const std::filesystem::path dir =
      std::filesystem::canonical(std::filesystem::temp_directory_path());
  ProcessSpec spec;
  spec.argv = {"pwd"};
  spec.working_dir = dir;
  ProcessResult result = RunOk(spec);
  EXPECT_EQ(result.output, dir.string() + "\n");
}

TEST(PosixProcessRunnerTest, AddsExtraEnvironment) {
  ProcessSpec spec = Sh("echo \"$MADRE_TEST_VAR\"; echo \"${PATH:+has-path}\"");
  spec.extra_env = {{"MADRE_TEST_VAR", "hello world"}};
  ProcessResult result = RunOk(spec);
  EXPECT_EQ(result.output, "hello world\nhas-path\n");
}

TEST(PosixProcessRunnerTest, ExtraEnvironmentReplacesAnInheritedVariable) {
  ::setenv("MADRE_TEST_REPLACED", "old", 1);
  ProcessSpec spec = Sh("env | grep '^MADRE_TEST_REPLACED='");
  spec.extra_env = {{"MADRE_TEST_REPLACED", "new"}};
  ProcessResult result = RunOk(spec);
  ::unsetenv("MADRE_TEST_REPLACED");
  EXPECT_EQ(result.output, "MADRE_TEST_REPLACED=new\n");
}

// Sets variables in madre's own environment for one test.
class ScopedEnv {
 public:
  explicit ScopedEnv(std::vector<std::pair<std::string, std::string>> vars)
      : vars_(std::move(vars)) {
    for (const auto& [name, value] : vars_) ::setenv(name.c_str(), value.c_str(), 1);
  }
  ~ScopedEnv() {
    for (const auto& [name, value] : vars_) ::unsetenv(name.c_str());
  }

 private:
  std::vector<std::pair<std::string, std::string>> vars_;
};

TEST(PosixProcessRunnerTest, ChildrenDoNotInheritTokensKeysOrSecrets) {
  ScopedEnv env({{"VX11_TOKEN", "t0ken"},
                 {"Aws_Secret_Access", "s3cret"},
                 {"ssh_key_path", "k3y"},
                 {"MADRE_TEST_PLAIN", "plain"}});
  ProcessSpec spec = Sh("env | grep -i -e t0ken -e s3cret -e k3y -e plain | sort");
  ProcessResult result = RunOk(spec);
  EXPECT_EQ(result.output, "MADRE_TEST_PLAIN=plain\n");
}

TEST(PosixProcessRunnerTest, APolicyKeepsTheSecretNamesItListsAndExtraEnvIsNeverScrubbed) {
  ScopedEnv env({{"DB_PASSWORD_KEY", "kept"}, {"VX11_TOKEN", "t0ken"}});
  ChildEnvPolicy policy;
  policy.keep = {"DB_PASSWORD_KEY"};
  PosixProcessRunner runner(Millis(500), policy);
  ProcessSpec spec = Sh("env | grep -e kept -e t0ken -e given | sort");
  spec.extra_env = {{"API_TOKEN", "given"}};
  Result<ProcessResult> result = runner.Run(spec);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->output, "API_TOKEN=given\nDB_PASSWORD_KEY=kept\n");
}

TEST(PosixProcessRunnerTest, AnOptedOutPolicyPassesEverything) {
  ScopedEnv env(std::vector<std::pair<std::string, std::string>>{{"VX11_TOKEN", "t0ken"}});
  PosixProcessRunner runner(Millis(500), ChildEnvPolicy{.scrub_secrets = false, .keep = {}});
  Result<ProcessResult> result = runner.Run(Sh("echo \"$VX11_TOKEN\""));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->output, "t0ken\n");
}

TEST(PosixProcessRunnerTest, ShellMetacharactersArePassedLiterally) {
  const std::string marker = "/tmp/madre_pwned_" + std::to_string(::getpid());
  std::filesystem::remove(marker);
  ProcessSpec spec;
  spec.argv = {"echo", "x; touch " + marker, "$(touch " + marker + ")", "`id`"};
  ProcessResult result = RunOk(spec);
  EXPECT_EQ(result.output, "x; touch " + marker + " $(touch " + marker + ") `id`\n");
  EXPECT_FALSE(std::filesystem::exists(marker));
}

TEST(PosixProcessRunnerTest, StdinIsEmpty) {
  ProcessResult result = RunOk(Sh("cat; echo end"));
  EXPECT_EQ(result.output, "end\n");
}

TEST(PosixProcessRunnerTest, ChildStartsWithDefaultSignalsAndAnEmptyMask) {
  // Block and ignore signals in this thread; the child must not inherit either.
  sigset_t block, old_mask;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGINT);
  ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &block, &old_mask), 0);
  struct sigaction ignore {
  }, old_action{};
  ignore.sa_handler = SIG_IGN;
  ASSERT_EQ(::sigaction(SIGQUIT, &ignore, &old_action), 0);

  ProcessResult result = RunOk(Sh("grep -E '^Sig(Blk|Ign):' /proc/self/status"));

  ::sigaction(SIGQUIT, &old_action, nullptr);
  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  EXPECT_THAT(result.output, HasSubstr("SigBlk:\t0000000000000000"));
  // SIGQUIT is bit 3 (value 4); sh itself may ignore nothing else relevant.
  const auto ign = result.output.find("SigIgn:\t");
  ASSERT_NE(ign, std::string::npos);
  const unsigned long long ignored = std::stoull(result.output.substr(ign + 8, 16), nullptr, 16);
  EXPECT_EQ(ignored & (1ull << (SIGQUIT - 1)), 0u) << result.output;
}

TEST(PosixProcessRunnerTest, ChildInheritsNoExtraDescriptors) {
  // Deliberately not CLOEXEC, at a number the child would not pick itself.
  const int leaked = ::fcntl(STDERR_FILENO, F_DUPFD, 100);
  ASSERT_GE(leaked, 100);
  ProcessSpec spec;
  spec.argv = {"ls", "/proc/self/fd"};
  ProcessResult result = RunOk(spec);
  ::close(leaked);
  std::istringstream lines(result.output);
  std::vector<std::string> fds;
  for (std::string fd; std::getline(lines, fd);) fds.push_back(fd);
  // 3 is the directory ls itself is reading.
  EXPECT_THAT(fds, ::testing::ElementsAre("0", "1", "2", "3")) << result.output;
}

TEST(PosixProcessRunnerTest, ChildRunsInItsOwnProcessGroup) {
  ProcessResult result =
      RunOk(Sh("echo $$; ps -o pgid= -p $$ 2>/dev/null || "
               "cut -d' ' -f5 /proc/$$/stat"));
  std::istringstream lines(result.output);
  long pid = 0, pgid = 0;
  lines >> pid >> pgid;
  EXPECT_EQ(pid, pgid) << result.output;
  EXPECT_NE(pgid, static_cast<long>(::getpgrp()));
}

TEST(PosixProcessRunnerTest, IsSafeToCallFromSeveralThreads) {
  PosixProcessRunner runner;
  std::vector<std::thread> threads;
  std::vector<std::string> outputs(4);
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&runner, &outputs, i] {
      Result<ProcessResult> result = runner.Run(Sh("echo " + std::to_string(i)));
      if (result.ok()) outputs[i] = result->output;
    });
  }
  for (std::thread& t : threads) t.join();
  for (int i = 0; i < 4; ++i) EXPECT_EQ(outputs[i], std::to_string(i) + "\n");
}

}  // namespace
}  // namespace madre
