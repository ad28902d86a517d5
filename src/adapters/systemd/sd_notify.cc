#include "adapters/systemd/sd_notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <utility>

namespace madre {

Result<SdNotifier> SdNotifier::Open(const std::string& socket_name) {
  SdNotifier notifier;
  if (socket_name.empty()) return notifier;
  const bool abstract = socket_name.front() == '@';
  if (!abstract && socket_name.front() != '/') {
    return Status::InvalidArgument("NOTIFY_SOCKET=" + socket_name +
                                   " is neither an absolute path nor @abstract-name");
  }
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  // An abstract name: a NUL, then the name after '@' (not NUL-terminated). A path: the path
  // and its NUL.
  const std::size_t length = abstract ? socket_name.size() : socket_name.size() + 1;
  if (length > sizeof(address.sun_path)) {
    return Status::InvalidArgument("NOTIFY_SOCKET=" + socket_name + " is too long");
  }
  std::memcpy(address.sun_path, socket_name.data(), socket_name.size());
  if (abstract) address.sun_path[0] = '\0';
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return Status::Internal(std::string("cannot create the notify socket: ") +
                            std::strerror(errno));
  }
  notifier.fd_ = fd;
  notifier.name_ = socket_name;
  notifier.address_.assign(reinterpret_cast<const char*>(&address),
                           offsetof(sockaddr_un, sun_path) + length);
  return notifier;
}

SdNotifier::SdNotifier(SdNotifier&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      name_(std::move(other.name_)),
      address_(std::move(other.address_)) {}

SdNotifier& SdNotifier::operator=(SdNotifier&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    name_ = std::move(other.name_);
    address_ = std::move(other.address_);
  }
  return *this;
}

SdNotifier::~SdNotifier() {
  if (fd_ >= 0) ::close(fd_);
}

Status SdNotifier::Notify(std::string_view state) const {
  if (fd_ < 0) return Status::Ok();
  const ssize_t sent = ::sendto(fd_, state.data(), state.size(), MSG_NOSIGNAL,
                                reinterpret_cast<const sockaddr*>(address_.data()),
                                static_cast<socklen_t>(address_.size()));
  if (sent < 0) {
    return Status::Unavailable("notify " + name_ + ": " + std::strerror(errno));
  }
  if (static_cast<std::size_t>(sent) != state.size()) {
    return Status::Unavailable("notify " + name_ + ": short send");
  }
  return Status::Ok();
}

namespace {

// A positive decimal number without sign or blanks; nullopt otherwise.
std::optional<long long> PositiveNumber(const std::string& text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  long long n = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  if (n <= 0) return std::nullopt;
  return n;
}

}  // namespace

Result<std::optional<Duration>> WatchdogInterval(const std::optional<std::string>& watchdog_usec,
                                                 const std::optional<std::string>& watchdog_pid,
                                                 long own_pid) {
  if (!watchdog_usec || watchdog_usec->empty()) return std::optional<Duration>();
  const std::optional<long long> usec = PositiveNumber(*watchdog_usec);
  if (!usec) {
    return Status::InvalidArgument("WATCHDOG_USEC=" + *watchdog_usec +
                                   " is not a positive number of microseconds");
  }
  if (watchdog_pid && !watchdog_pid->empty()) {
    const std::optional<long long> pid = PositiveNumber(*watchdog_pid);
    if (!pid) {
      return Status::InvalidArgument("WATCHDOG_PID=" + *watchdog_pid + " is not a process id");
    }
    if (*pid != own_pid) return std::optional<Duration>();  // meant for another process
  }
  return std::optional<Duration>(Duration(*usec / 2));
}

}  // namespace madre
