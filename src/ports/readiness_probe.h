// Probes that tell whether a service answers (SPEC §6 readiness). Loopback only.
#pragma once

#include <string>

#include "base/status.h"
#include "base/time.h"

namespace madre {

// Blocking; thread-safe.
class ReadinessProbe {
 public:
  virtual ~ReadinessProbe() = default;
  // GET `url` (http://127.0.0.1:PORT/path or http://localhost:...): OK on a 2xx answer.
  // kInvalidArgument for a URL that is not http on a loopback host (never probed);
  // kUnavailable for refused / non-2xx (the status in the message); kDeadlineExceeded on timeout.
  virtual Status HttpGet(const std::string& url, Duration timeout) = 0;
  // Connects to "127.0.0.1:PORT" / "localhost:PORT" / "[::1]:PORT"; same errors.
  virtual Status TcpConnect(const std::string& host_port, Duration timeout) = 0;
};

}  // namespace madre
