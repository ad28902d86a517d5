#include "adapters/process/posix_process_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <set>
#include <string>
#include <system_error>
#include <vector>

extern char** environ;

namespace madre {
namespace {

using SteadyClock = std::chrono::steady_clock;

// Polling interval when pidfd_open is unavailable (kernels before 5.3).
constexpr int kFallbackPollMs = 10;
constexpr std::size_t kReadChunk = 16 * 1024;
// Most bytes read per wake-up, so a child that floods the pipe faster than we
// read cannot keep us from noticing its deadline.
constexpr std::size_t kReadBudgetPerWake = 1024 * 1024;

class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) : fd_(fd) {}
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { Close(); }
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

class SpawnFileActions {
 public:
  SpawnFileActions() { posix_spawn_file_actions_init(&actions_); }
  SpawnFileActions(const SpawnFileActions&) = delete;
  SpawnFileActions& operator=(const SpawnFileActions&) = delete;
  ~SpawnFileActions() { posix_spawn_file_actions_destroy(&actions_); }
  posix_spawn_file_actions_t* get() { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_;
};

class SpawnAttr {
 public:
  SpawnAttr() { posix_spawnattr_init(&attr_); }
  SpawnAttr(const SpawnAttr&) = delete;
  SpawnAttr& operator=(const SpawnAttr&) = delete;
  ~SpawnAttr() { posix_spawnattr_destroy(&attr_); }
  posix_spawnattr_t* get() { return &attr_; }

 private:
  posix_spawnattr_t attr_;
};

// Appends what the pipe gives to the result, up to the cap; the rest is dropped.
class OutputSink {
 public:
  OutputSink(int fd, ProcessResult& result, std::size_t cap, bool keep_tail)
      : fd_(fd), result_(result), cap_(cap), keep_tail_(keep_tail) {}

  enum class State { kAgain, kEof };

  // Reads until the pipe would block or reports EOF, or until `budget` bytes
  // were read (then kAgain).
  State Drain(std::size_t budget) {
    char buf[kReadChunk];
    std::size_t total = 0;
    while (total < budget) {
      const std::size_t want = std::min(sizeof(buf), budget - total);
      const ssize_t n = ::read(fd_, buf, want);
      if (n > 0) {
        Append(buf, static_cast<std::size_t>(n));
        total += static_cast<std::size_t>(n);
        continue;
      }
      if (n == 0) return State::kEof;
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return State::kAgain;
      return State::kEof;  // a read error: nothing more will come
    }
    return State::kAgain;
  }

  // Reads only what is in the pipe right now, so a grandchild that keeps
  // writing cannot hold us.
  void DrainAvailable() {
    int available = 0;
    if (::ioctl(fd_, FIONREAD, &available) != 0 || available <= 0) return;
    (void)Drain(static_cast<std::size_t>(available));
  }

 private:
  void Append(const char* data, std::size_t n) {
    if (keep_tail_) {
      result_.output.append(data, n);
      if (result_.output.size() > cap_) {
        result_.output.erase(0, result_.output.size() - cap_);
        result_.truncated = true;
      }
      return;
    }
    const std::size_t room = cap_ > result_.output.size() ? cap_ - result_.output.size() : 0;
    const std::size_t take = std::min(room, n);
    result_.output.append(data, take);
    if (take < n) result_.truncated = true;
  }

  int fd_;
  ProcessResult& result_;
  std::size_t cap_;
  bool keep_tail_;
};

int PidfdOpen(pid_t pid) {
#ifdef SYS_pidfd_open
  // glibc 2.36's <sys/pidfd.h> lacks extern "C"; the raw syscall avoids it.
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  errno = ENOSYS;
  return -1;
#endif
}

// True when the child has exited; it stays a zombie (not reaped), so its
// process group id cannot be reused while we still signal the group.
bool HasExited(pid_t pid) {
  siginfo_t info;
  std::memset(&info, 0, sizeof(info));
  while (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
    if (errno != EINTR) return true;  // ECHILD: nothing left to wait for
  }
  return info.si_pid != 0;
}

int Reap(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

int MillisUntil(SteadyClock::time_point deadline) {
  const auto left = deadline - SteadyClock::now();
  if (left <= SteadyClock::duration::zero()) return 0;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return static_cast<int>(std::min<std::int64_t>(ms, 60 * 60 * 1000));
}

// Waits until the leader exits or `deadline` passes, reading the pipe meanwhile.
// Returns true when the leader has exited.
bool PumpUntil(pid_t pid, const UniqueFd& pidfd, OutputSink& sink, bool& pipe_open, int pipe_fd,
               SteadyClock::time_point deadline) {
  while (true) {
    if (HasExited(pid)) return true;
    int timeout_ms = MillisUntil(deadline);
    if (timeout_ms == 0) return false;
    pollfd fds[2];
    nfds_t count = 0;
    int pipe_index = -1;
    if (pipe_open) {
      pipe_index = static_cast<int>(count);
      fds[count++] = pollfd{pipe_fd, POLLIN, 0};
    }
    if (pidfd.valid()) {
      fds[count++] = pollfd{pidfd.get(), POLLIN, 0};
    } else {
      timeout_ms = std::min(timeout_ms, kFallbackPollMs);
    }
    const int ready = ::poll(fds, count, timeout_ms);
    if (ready < 0) {
      if (errno == EINTR) continue;
      return HasExited(pid);
    }
    if (pipe_index >= 0 && fds[pipe_index].revents != 0) {
      if (sink.Drain(kReadBudgetPerWake) == OutputSink::State::kEof) pipe_open = false;
    }
  }
}

std::vector<std::string> BuildEnvironment(
    const std::vector<std::pair<std::string, std::string>>& extra_env,
    const ChildEnvPolicy& policy) {
  std::set<std::string> replaced;
  for (const auto& [key, value] : extra_env) replaced.insert(key);
  std::vector<std::string> inherited;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const std::string key(text.substr(0, text.find('=')));
    if (replaced.count(key) == 0) inherited.emplace_back(text);
  }
  std::vector<std::string> env = FilterEnvironment(inherited, policy);
  for (const auto& [key, value] : extra_env) env.push_back(key + "=" + value);
  return env;
}

std::vector<char*> PointersTo(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  pointers.reserve(strings.size() + 1);
  for (std::string& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

Status SpawnError(int error, const std::string& program) {
  const std::string what = "cannot run '" + program + "': " + std::strerror(error);
  switch (error) {
    case ENOENT:
    case ENOTDIR:
      return Status::NotFound(what);
    case EACCES:
    case EPERM:
      return Status::PermissionDenied(what);
    default:
      return Status::Internal(what);
  }
}

std::int64_t ElapsedMs(SteadyClock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - start).count();
}

}  // namespace

Result<ProcessResult> PosixProcessRunner::Run(const ProcessSpec& spec) {
  if (spec.argv.empty() || spec.argv[0].empty()) {
    return Status::InvalidArgument("cannot run a process without a program name");
  }
  if (!spec.working_dir.empty()) {
    std::error_code ec;
    if (!std::filesystem::is_directory(spec.working_dir, ec)) {
      return Status::NotFound("working directory '" + spec.working_dir.string() +
                              "' does not exist");
    }
  }

  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return Status::Internal(std::string("pipe2 failed: ") + std::strerror(errno));
  }
  UniqueFd read_end(pipe_fds[0]);
  UniqueFd write_end(pipe_fds[1]);
  // Only our end is non-blocking; the child's end is a separate open file.
  ::fcntl(read_end.get(), F_SETFL, ::fcntl(read_end.get(), F_GETFL) | O_NONBLOCK);

  SpawnFileActions actions;
  posix_spawn_file_actions_addopen(actions.get(), STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(actions.get(), write_end.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(actions.get(), write_end.get(), STDERR_FILENO);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
  posix_spawn_file_actions_addclosefrom_np(actions.get(), STDERR_FILENO + 1);
#endif
  if (!spec.working_dir.empty()) {
    posix_spawn_file_actions_addchdir_np(actions.get(), spec.working_dir.c_str());
  }

  SpawnAttr attr;
  posix_spawnattr_setflags(attr.get(),
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(attr.get(), 0);
  sigset_t signals;
  sigemptyset(&signals);
  posix_spawnattr_setsigmask(attr.get(), &signals);
  sigfillset(&signals);
  posix_spawnattr_setsigdefault(attr.get(), &signals);

  std::vector<std::string> argv_strings = spec.argv;
  std::vector<char*> argv = PointersTo(argv_strings);
  std::vector<std::string> env_strings = BuildEnvironment(spec.extra_env, env_policy_);
  std::vector<char*> envp = PointersTo(env_strings);

  const SteadyClock::time_point start = SteadyClock::now();
  pid_t pid = -1;
  const int spawn_error =
      ::posix_spawnp(&pid, argv[0], actions.get(), attr.get(), argv.data(), envp.data());
  write_end.Close();
  if (spawn_error != 0) return SpawnError(spawn_error, spec.argv[0]);

  const SteadyClock::time_point deadline =
      start + std::chrono::duration_cast<SteadyClock::duration>(spec.timeout);
  ProcessResult result;
  OutputSink sink(read_end.get(), result, spec.max_output_bytes, spec.keep_tail);
  UniqueFd pidfd(PidfdOpen(pid));
  bool pipe_open = true;

  if (PumpUntil(pid, pidfd, sink, pipe_open, read_end.get(), deadline)) {
    result.exit_code = Reap(pid);
  } else {
    // Signal the group while the leader is still unreaped, so the group id
    // cannot have been reused by an unrelated process.
    ::killpg(pid, SIGTERM);
    const auto grace_end =
        SteadyClock::now() + std::chrono::duration_cast<SteadyClock::duration>(kill_grace_);
    (void)PumpUntil(pid, pidfd, sink, pipe_open, read_end.get(), grace_end);
    ::killpg(pid, SIGKILL);
    result.exit_code = Reap(pid);
    result.timed_out = true;
  }
  // Grandchildren may still hold the pipe: take what is there and stop.
  if (pipe_open) sink.DrainAvailable();
  result.elapsed_ms = ElapsedMs(start);
  return result;
}

}  // namespace madre
