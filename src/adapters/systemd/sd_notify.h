// sd_notify(3) without libsystemd: the service manager's notification datagrams (READY=1,
// STOPPING=1, WATCHDOG=1) sent to the AF_UNIX datagram socket named by $NOTIFY_SOCKET, a path
// ("/run/systemd/notify") or an abstract name ("@name": a leading NUL in the address).
//
// Thread-safe: Notify() is one sendto() on a socket opened once.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "base/time.h"

namespace madre {

class SdNotifier {
 public:
  // Disabled: Notify() does nothing (no NOTIFY_SOCKET: not run by systemd as Type=notify).
  SdNotifier() = default;
  // For $NOTIFY_SOCKET's value; "" gives a disabled notifier. kInvalidArgument for a name that
  // is neither an absolute path nor "@name", or too long for sockaddr_un; kInternal when the
  // socket cannot be created.
  static Result<SdNotifier> Open(const std::string& socket_name);

  SdNotifier(SdNotifier&& other) noexcept;
  SdNotifier& operator=(SdNotifier&& other) noexcept;
  SdNotifier(const SdNotifier&) = delete;
  SdNotifier& operator=(const SdNotifier&) = delete;
  ~SdNotifier();

  bool enabled() const { return fd_ >= 0; }
  const std::string& socket_name() const { return name_; }
  // Sends `state` ("READY=1", several assignments separated by newlines) as one datagram.
  // Ok when disabled; kUnavailable when the send fails (no listener, for instance).
  Status Notify(std::string_view state) const;

 private:
  int fd_ = -1;
  std::string name_;
  std::string address_;  // the sockaddr_un bytes (family and name), sized to the name
};

// The interval at which WATCHDOG=1 is due, as sd_watchdog_enabled(3) reads the environment:
// half of $WATCHDOG_USEC, when it is set to a positive number and $WATCHDOG_PID is unset or is
// `own_pid`; else nullopt. A value that is not a number: kInvalidArgument naming it.
Result<std::optional<Duration>> WatchdogInterval(const std::optional<std::string>& watchdog_usec,
                                                 const std::optional<std::string>& watchdog_pid,
                                                 long own_pid);

}  // namespace madre
