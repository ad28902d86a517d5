#include "raw_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>

namespace madre::itest {

using SteadyClock = std::chrono::steady_clock;

RawSocket::RawSocket(int port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

RawSocket::~RawSocket() {
  if (fd_ >= 0) ::close(fd_);
}

bool RawSocket::Send(std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

std::string RawSocket::ReadToEnd(std::chrono::milliseconds timeout, bool* closed) {
  std::string out;
  const auto give_up = SteadyClock::now() + timeout;
  bool eof = false;
  while (!eof) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(give_up - SteadyClock::now());
    if (left.count() <= 0) break;
    pollfd p{fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0) break;
    if (ready == 0) continue;
    char chunk[16384];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) {
      eof = true;  // orderly close (0) or reset (<0): either way the server let go
    } else {
      out.append(chunk, static_cast<std::size_t>(n));
    }
  }
  if (closed) *closed = eof;
  return out;
}

nlohmann::json RawAnswer::Json() const {
  nlohmann::json parsed = nlohmann::json::parse(body, nullptr, false);
  return parsed.is_discarded() ? nlohmann::json() : parsed;
}

RawAnswer ParseAnswer(const std::string& raw) {
  RawAnswer answer;
  const std::size_t end = raw.find("\r\n\r\n");
  if (raw.rfind("HTTP/1.", 0) != 0 || end == std::string::npos || raw.size() < 12) return answer;
  answer.status = std::atoi(raw.substr(9, 3).c_str());
  answer.head = raw.substr(0, end);
  answer.body = raw.substr(end + 4);
  return answer;
}

RawAnswer RawRequest(int port, const std::string& method, const std::string& target,
                     const std::vector<std::string>& headers, const std::string& body,
                     const RawRequestOptions& options) {
  RawSocket socket(port);
  if (!socket.connected()) return {};
  std::string request =
      method + " " + target + " HTTP/1.1\r\nHost: " +
      (options.host.empty() ? "127.0.0.1:" + std::to_string(port) : options.host) + "\r\n";
  for (const auto& h : headers) request += h + "\r\n";
  if (options.add_connection_close) request += "Connection: close\r\n";
  request += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  if (!socket.Send(request)) return {};
  return ParseAnswer(socket.ReadToEnd(std::chrono::seconds(20)));
}

}  // namespace madre::itest
