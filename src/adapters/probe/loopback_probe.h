// ReadinessProbe over plain POSIX sockets, for services published on the loopback interface.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/status.h"
#include "base/time.h"
#include "ports/readiness_probe.h"

namespace madre {

// Where a probe may connect: 127.0.0.1 or ::1 and a port. The address is never taken from
// text, so a probe cannot be pointed anywhere else.
struct LoopbackEndpoint {
  enum class Family { kIpv4, kIpv6 };
  Family family = Family::kIpv4;
  int port = 0;  // 1..65535
  friend bool operator==(const LoopbackEndpoint&, const LoopbackEndpoint&) = default;
};

struct LoopbackHttpTarget {
  LoopbackEndpoint endpoint;
  std::string host_header;  // the URL's authority: "127.0.0.1:8002", "localhost", "[::1]:80"
  std::string path;         // path and query, "/" when empty; the fragment is dropped
  friend bool operator==(const LoopbackHttpTarget&, const LoopbackHttpTarget&) = default;
};

// "127.0.0.1:PORT", "localhost:PORT" (resolved here to 127.0.0.1, no DNS), "[::1]:PORT".
// kInvalidArgument for any other host, a missing or out-of-range port, or anything else.
Result<LoopbackEndpoint> ParseLoopbackHostPort(std::string_view host_port);

// "http://HOST[:PORT][/path][?query][#fragment]" with HOST as above and PORT 80 by default.
// kInvalidArgument for another scheme or host, user info, or a path with spaces or control
// characters (they would let the URL write its own request lines).
Result<LoopbackHttpTarget> ParseLoopbackHttpUrl(std::string_view url);

// Blocking and thread-safe (no mutable state). Each call makes one connection and honours `timeout`
// for all of it (connect, send, read). A URL or address refused by the parsers above is
// kInvalidArgument and no socket is even created.
class LoopbackProbe final : public ReadinessProbe {
 public:
  // Only the status line of the answer is read, at most kMaxAnswerBytes.
  static constexpr std::size_t kMaxAnswerBytes = 8 * 1024;

  // How long a TCP connection must stay up for TcpConnect to count it (see below). docker-proxy
  // holds the first connections to a just-started container for about one second before it
  // hangs up on them (measured on dockerd 20.10: every connection made in the first second
  // hangs up together, ~1.0 s after the first one; later ones at once).
  static constexpr Duration kDefaultTcpHold = Millis(1500);

  explicit LoopbackProbe(Duration tcp_hold = kDefaultTcpHold) : tcp_hold_(tcp_hold) {}

  // ReadinessProbe. HttpGet sends "GET <path> HTTP/1.0" with Host, and is OK on a 2xx status.
  Status HttpGet(const std::string& url, Duration timeout) override;
  // OK when the connection is accepted and then neither closed nor reset by the other side
  // for `tcp_hold` (docker-proxy accepts for a published port even while the container does
  // not listen, then hangs up), or when the service sends something first. So a TCP probe
  // that succeeds takes `tcp_hold`.
  Status TcpConnect(const std::string& host_port, Duration timeout) override;

 private:
  Duration tcp_hold_;
};

}  // namespace madre
