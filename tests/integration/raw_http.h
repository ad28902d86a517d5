// A minimal raw HTTP/1.1 client for the requests the curl helper (madre_process.h) cannot
// express: exact headers (an empty one, hop-by-hop ones, 64 KiB of them), half a request line,
// raw targets, a connection left open.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace madre::itest {

// A TCP connection to 127.0.0.1:port; closed when it goes out of scope.
class RawSocket {
 public:
  explicit RawSocket(int port);
  ~RawSocket();
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;

  bool connected() const { return fd_ >= 0; }
  // Sends everything (false if the peer is gone).
  bool Send(std::string_view data);
  // Reads until the peer closes (or resets) or `timeout` passes. `closed` tells which.
  std::string ReadToEnd(std::chrono::milliseconds timeout, bool* closed = nullptr);

 private:
  int fd_ = -1;
};

struct RawAnswer {
  int status = 0;  // 0: no parsable answer
  std::string head;
  std::string body;
  nlohmann::json Json() const;
};

// The status line, head and body of a whole HTTP/1.x answer (status 0 when it is none).
RawAnswer ParseAnswer(const std::string& raw);

struct RawRequestOptions {
  std::string host;                  // the Host header; empty: 127.0.0.1:<port>
  bool add_connection_close = true;  // else the caller's headers say how the connection ends
};

// One request on its own connection with exactly `headers` (plus Host, Content-Length and, by
// default, `Connection: close`); reads until the server closes or 20 s pass.
RawAnswer RawRequest(int port, const std::string& method, const std::string& target,
                     const std::vector<std::string>& headers, const std::string& body = "",
                     const RawRequestOptions& options = {});

}  // namespace madre::itest
