#include "adapters/probe/loopback_probe.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <system_error>
#include <utility>

namespace madre {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr std::string_view kHttpScheme = "http://";

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
    char y = b[i] >= 'A' && b[i] <= 'Z' ? static_cast<char>(b[i] - 'A' + 'a') : b[i];
    if (x != y) return false;
  }
  return true;
}

std::optional<int> ParsePort(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  int port = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    port = port * 10 + (c - '0');
  }
  if (port < 1 || port > 65535) return std::nullopt;
  return port;
}

// `host` and an optional ":port" (nullopt port when absent).
Result<LoopbackEndpoint> ParseAuthority(std::string_view authority, std::optional<int> default_port,
                                        std::string_view what) {
  auto invalid = [&](const std::string& why) {
    return Status::InvalidArgument(std::string(what) + ": " + why +
                                   " (only 127.0.0.1, localhost or [::1] may be probed)");
  };
  std::string_view host = authority;
  std::string_view port_text;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return invalid("unterminated [ in the host");
    host = authority.substr(0, close + 1);
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return invalid("unexpected text after the host");
      port_text = rest.substr(1);
      has_port = true;
    }
  } else if (std::size_t colon = authority.find(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port_text = authority.substr(colon + 1);
    has_port = true;
  }
  LoopbackEndpoint endpoint;
  if (host == "127.0.0.1" || EqualsIgnoreCase(host, "localhost")) {
    endpoint.family = LoopbackEndpoint::Family::kIpv4;
  } else if (host == "[::1]") {
    endpoint.family = LoopbackEndpoint::Family::kIpv6;
  } else {
    return invalid("host \"" + std::string(host) + "\" is not loopback");
  }
  std::optional<int> port = has_port ? ParsePort(port_text) : default_port;
  if (!port) return invalid(has_port ? "bad port \"" + std::string(port_text) + "\"" : "no port");
  endpoint.port = *port;
  return endpoint;
}

SteadyClock::time_point DeadlineAfter(Duration timeout) {
  return SteadyClock::now() + std::clamp<Duration>(timeout, Duration::zero(), Seconds(24 * 3600));
}

int MillisLeft(SteadyClock::time_point deadline) {
  auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - SteadyClock::now()).count();
  return static_cast<int>(std::clamp<decltype(left)>(left, 0, 24 * 3600 * 1000));
}

std::string ErrnoText(int err) { return std::error_code(err, std::generic_category()).message(); }

class SocketFd {
 public:
  explicit SocketFd(int fd) : fd_(fd) {}
  ~SocketFd() {
    if (fd_ >= 0) close(fd_);
  }
  SocketFd(const SocketFd&) = delete;
  SocketFd& operator=(const SocketFd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Waits for `events` on `fd` until `deadline`: OK, or kDeadlineExceeded.
Status WaitFor(int fd, short events, SteadyClock::time_point deadline, const std::string& what) {
  for (;;) {
    pollfd p{fd, events, 0};
    int rc = poll(&p, 1, MillisLeft(deadline));
    if (rc > 0) return Status::Ok();
    if (rc == 0) return Status::DeadlineExceeded(what + ": no answer in time");
    if (errno != EINTR) return Status::Unavailable(what + ": poll: " + ErrnoText(errno));
  }
}

Status ConnectError(int err, const std::string& what) {
  if (err == ETIMEDOUT) return Status::DeadlineExceeded(what + ": connect timed out");
  return Status::Unavailable(what + ": " + ErrnoText(err));
}

// A connected non-blocking socket to `endpoint`, or kUnavailable / kDeadlineExceeded.
Result<std::unique_ptr<SocketFd>> Connect(const LoopbackEndpoint& endpoint,
                                          SteadyClock::time_point deadline,
                                          const std::string& what) {
  bool v6 = endpoint.family == LoopbackEndpoint::Family::kIpv6;
  auto fd = std::make_unique<SocketFd>(
      socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (fd->get() < 0) return Status::Unavailable(what + ": socket: " + ErrnoText(errno));
  sockaddr_in v4_addr{};
  sockaddr_in6 v6_addr{};
  const sockaddr* addr = nullptr;
  socklen_t addr_len = 0;
  if (v6) {
    v6_addr.sin6_family = AF_INET6;
    v6_addr.sin6_addr = in6addr_loopback;
    v6_addr.sin6_port = htons(static_cast<std::uint16_t>(endpoint.port));
    addr = reinterpret_cast<const sockaddr*>(&v6_addr);
    addr_len = sizeof(v6_addr);
  } else {
    v4_addr.sin_family = AF_INET;
    v4_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    v4_addr.sin_port = htons(static_cast<std::uint16_t>(endpoint.port));
    addr = reinterpret_cast<const sockaddr*>(&v4_addr);
    addr_len = sizeof(v4_addr);
  }
  if (connect(fd->get(), addr, addr_len) == 0) return fd;
  if (errno != EINPROGRESS) return ConnectError(errno, what);
  RETURN_IF_ERROR(WaitFor(fd->get(), POLLOUT, deadline, what));
  int err = 0;
  socklen_t err_len = sizeof(err);
  if (getsockopt(fd->get(), SOL_SOCKET, SO_ERROR, &err, &err_len) != 0) err = errno;
  if (err != 0) return ConnectError(err, what);
  return fd;
}

Status SendAll(int fd, std::string_view data, SteadyClock::time_point deadline,
               const std::string& what) {
  while (!data.empty()) {
    ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<std::size_t>(n));
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      RETURN_IF_ERROR(WaitFor(fd, POLLOUT, deadline, what));
    } else if (n < 0 && errno != EINTR) {
      return Status::Unavailable(what + ": send: " + ErrnoText(errno));
    }
  }
  return Status::Ok();
}

// Reads until the first line is complete, the peer closes, or `max_bytes`.
Result<std::string> ReadFirstLine(int fd, std::size_t max_bytes, SteadyClock::time_point deadline,
                                  const std::string& what) {
  std::string answer;
  char buf[2048];
  while (answer.find('\n') == std::string::npos && answer.size() < max_bytes) {
    ssize_t n = recv(fd, buf, std::min(sizeof(buf), max_bytes - answer.size()), 0);
    if (n > 0) {
      answer.append(buf, static_cast<std::size_t>(n));
    } else if (n == 0) {
      break;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      RETURN_IF_ERROR(WaitFor(fd, POLLIN, deadline, what));
    } else if (errno != EINTR) {
      return Status::Unavailable(what + ": recv: " + ErrnoText(errno));
    }
  }
  std::size_t newline = answer.find('\n');
  if (newline == std::string::npos) {
    if (answer.empty()) return Status::Unavailable(what + ": closed without answering");
    return Status::Unavailable(what + ": no status line in the first " +
                               std::to_string(answer.size()) + " bytes");
  }
  answer.resize(newline);
  if (!answer.empty() && answer.back() == '\r') answer.pop_back();
  return answer;
}

// 200 from "HTTP/1.1 200 OK"; nullopt for anything else.
std::optional<int> StatusCodeOf(std::string_view status_line) {
  if (status_line.substr(0, 5) != "HTTP/") return std::nullopt;
  std::size_t space = status_line.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  std::string_view code = status_line.substr(space + 1, 3);
  if (code.size() != 3) return std::nullopt;
  if (status_line.size() > space + 4 && status_line[space + 4] != ' ') return std::nullopt;
  int value = 0;
  for (char c : code) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

}  // namespace

Result<LoopbackEndpoint> ParseLoopbackHostPort(std::string_view host_port) {
  return ParseAuthority(host_port, std::nullopt, "tcp probe \"" + std::string(host_port) + "\"");
}

Result<LoopbackHttpTarget> ParseLoopbackHttpUrl(std::string_view url) {
  std::string what = "http probe \"" + std::string(url) + "\"";
  if (url.size() < kHttpScheme.size() ||
      !EqualsIgnoreCase(url.substr(0, kHttpScheme.size()), kHttpScheme)) {
    return Status::InvalidArgument(what + ": only http:// URLs may be probed");
  }
  std::string_view rest = url.substr(kHttpScheme.size());
  std::size_t authority_end = std::min(rest.find_first_of("/?#"), rest.size());
  std::string_view authority = rest.substr(0, authority_end);
  if (authority.find('@') != std::string_view::npos) {
    return Status::InvalidArgument(what + ": user info is not allowed");
  }
  LoopbackHttpTarget target;
  ASSIGN_OR_RETURN(target.endpoint, ParseAuthority(authority, 80, what));
  target.host_header = std::string(authority);
  std::string_view path = rest.substr(authority_end);
  path = path.substr(0, path.find('#'));
  for (char c : path) {
    auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f) {
      return Status::InvalidArgument(what + ": spaces or control characters in the path");
    }
  }
  target.path = path.empty() || path.front() != '/' ? "/" + std::string(path) : std::string(path);
  return target;
}

Status LoopbackProbe::HttpGet(const std::string& url, Duration timeout) {
  ASSIGN_OR_RETURN(LoopbackHttpTarget target, ParseLoopbackHttpUrl(url));
  SteadyClock::time_point deadline = DeadlineAfter(timeout);
  std::string what = "GET " + url;
  ASSIGN_OR_RETURN(std::unique_ptr<SocketFd> fd, Connect(target.endpoint, deadline, what));
  std::string request = "GET " + target.path + " HTTP/1.0\r\nHost: " + target.host_header +
                        "\r\nUser-Agent: madre-probe\r\nAccept: */*\r\nConnection: close\r\n\r\n";
  RETURN_IF_ERROR(SendAll(fd->get(), request, deadline, what));
  ASSIGN_OR_RETURN(std::string status_line,
                   ReadFirstLine(fd->get(), kMaxAnswerBytes, deadline, what));
  std::optional<int> status = StatusCodeOf(status_line);
  if (!status) return Status::Unavailable(what + ": not an HTTP answer");
  if (*status < 200 || *status > 299) {
    return Status::Unavailable(what + " answered HTTP " + std::to_string(*status));
  }
  return Status::Ok();
}

Status LoopbackProbe::TcpConnect(const std::string& host_port, Duration timeout) {
  ASSIGN_OR_RETURN(LoopbackEndpoint endpoint, ParseLoopbackHostPort(host_port));
  SteadyClock::time_point deadline = DeadlineAfter(timeout);
  std::string what = "connect to " + host_port;
  ASSIGN_OR_RETURN(std::unique_ptr<SocketFd> fd, Connect(endpoint, deadline, what));
  // A port Docker publishes is held by docker-proxy, which accepts at once and then hangs up
  // when the container behind it does not listen yet. So the connection must also stay up a
  // while: a hang-up (or a reset) within tcp_hold_ is "not listening". Data from the service
  // (a banner) is fine.
  SteadyClock::time_point settle = std::min(
      deadline, SteadyClock::now() + std::chrono::duration_cast<SteadyClock::duration>(tcp_hold_));
  for (;;) {
    pollfd p{fd->get(), POLLIN | POLLRDHUP, 0};
    int rc = poll(&p, 1, MillisLeft(settle));
    if (rc == 0) return Status::Ok();  // still connected, nothing said: listening
    if (rc < 0) {
      if (errno == EINTR) continue;
      return Status::Unavailable(what + ": poll: " + ErrnoText(errno));
    }
    char byte;
    ssize_t n = recv(fd->get(), &byte, 1, MSG_PEEK);
    if (n > 0) return Status::Ok();
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
    std::string why = n == 0 ? "closed" : ErrnoText(errno);
    return Status::Unavailable(what + ": accepted, then " + why +
                               " at once (nothing listens behind the port yet)");
  }
}

}  // namespace madre
