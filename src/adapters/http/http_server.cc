// The only translation unit that includes Boost.Beast (it costs ~17 s to compile).
#include "adapters/http/http_server.h"

// <utility> must come before the asio headers: Boost 1.74's asio/awaitable.hpp uses
// std::exchange without including it.
// clang-format off
#include <utility>
// clang-format on

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <unordered_map>

#include "adapters/http/query_string.h"

namespace madre {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using boost::system::error_code;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kReadChunk = 4096;
// After an error answer or `Connection: close`, unread input is drained (up to this much, for
// at most kMaxLinger) before closing, so the kernel does not reset the connection and destroy
// the answer before the client has read it.
constexpr std::size_t kMaxLingerBytes = 256 * 1024;
constexpr Duration kMaxLinger = Seconds(2);
// A streamed response whose client does not read is cut off beyond this much queued data.
constexpr std::size_t kMaxQueuedStreamBytes = 1 << 20;
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

auto Awaitable(error_code& ec) { return net::redirect_error(net::use_awaitable, ec); }

SteadyClock::duration ToSteady(Duration d) {
  return std::chrono::duration_cast<SteadyClock::duration>(d);
}

HttpResponse ErrorResponse(int status, std::string_view detail, std::string_view code) {
  HttpResponse response;
  response.status = status;
  response.body = std::string(R"({"detail":")") + std::string(detail) + R"(","code":")" +
                  std::string(code) + R"("})";
  return response;
}

HttpResponse NoResponse() { return ErrorResponse(500, "internal error: no response", "internal"); }

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string FormatEndpoint(const tcp::endpoint& endpoint) {
  const std::string address = endpoint.address().to_string();
  const std::string port = std::to_string(endpoint.port());
  return endpoint.address().is_v6() ? "[" + address + "]:" + port : address + ":" + port;
}

std::string_view Sv(beast::string_view text) { return {text.data(), text.size()}; }

bool HasCrLf(std::string_view text) { return text.find_first_of("\r\n") != text.npos; }

// Lets Responders, StreamWriters and Post() reach the io_context only while it exists. Stop()
// closes it before tearing the io_context down.
struct Lifeline {
  std::mutex mu;
  bool open = true;
};

class Connection;

// The request a handler is being called for on this thread (Connection::Dispatch): an answer
// given for it before the handler returns is taken at once, without a trip through the io queue.
struct SyncDispatch {
  const Connection* connection = nullptr;
  std::uint64_t seq = 0;
};
thread_local SyncDispatch* tl_dispatch = nullptr;

// Server-wide state shared by the accept loop and the connections.
struct Core {
  Core(HttpServerOptions o, HttpHandler h) : options(std::move(o)), handler(std::move(h)) {}

  // Counts the connection (as served or as being refused) unless Stop() began.
  bool Register(const std::shared_ptr<Connection>& connection, bool refused, std::uint64_t& id) {
    std::lock_guard lock(mu);
    if (stopping) return false;
    id = ++next_id;
    registry.emplace(id, connection);
    ++(refused ? refusing : active);
    return true;
  }
  void Unregister(std::uint64_t id, bool refused) {
    std::lock_guard lock(mu);
    registry.erase(id);
    --(refused ? refusing : active);
  }
  std::vector<std::shared_ptr<Connection>> BeginStop() {
    std::lock_guard lock(mu);
    stopping = true;
    std::vector<std::shared_ptr<Connection>> live;
    for (auto& [id, weak] : registry) {
      if (auto connection = weak.lock()) live.push_back(std::move(connection));
    }
    return live;
  }

  const HttpServerOptions options;
  const HttpHandler handler;
  const std::shared_ptr<Lifeline> lifeline = std::make_shared<Lifeline>();
  std::atomic<std::size_t> active{0};
  std::atomic<std::size_t> refusing{0};

 private:
  std::mutex mu;
  bool stopping = false;  // guarded by mu
  std::uint64_t next_id = 0;
  std::unordered_map<std::uint64_t, std::weak_ptr<Connection>> registry;
};

// One accepted socket. Every member function runs on the connection's strand.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, Core& core, std::string remote)
      : core_(core),
        stream_(std::move(socket)),
        wakeup_(stream_.get_executor()),
        remote_(std::move(remote)) {}

  net::any_io_executor executor() { return stream_.get_executor(); }

  net::awaitable<void> Serve();
  net::awaitable<void> RefuseBusy();

  // Ends everything: pending reads/writes abort, a wait for the handler ends.
  void Close() {
    closing_ = true;
    stream_closed_ = true;
    stream_.close();
    wakeup_.cancel();
  }

  // The answer to request `seq` arrived (posted by a Responder).
  void OnResponse(std::uint64_t seq, HttpResponse response) {
    if (seq != seq_ || pending_.has_value() || closing_) return;
    pending_ = std::move(response);
    wakeup_.cancel();
  }
  void OnStreamChunk(std::string chunk) {
    chunks_.push_back(std::move(chunk));
    wakeup_.cancel();
  }
  void OnStreamEnd() {
    stream_ended_ = true;
    wakeup_.cancel();
  }

  // Any thread: bookkeeping for StreamWriter.
  bool stream_closed() const { return stream_closed_; }
  // Returns false (and closes the stream) when too much unsent data is queued.
  bool ReserveStreamBytes(std::size_t n) {
    if (queued_bytes_.fetch_add(n) + n > kMaxQueuedStreamBytes) stream_closed_ = true;
    return !stream_closed_;
  }

 private:
  net::awaitable<bool> ReadRequest(beast::flat_buffer& buffer, bool first,
                                   SteadyClock::time_point accepted_at,
                                   http::request_parser<http::string_body>& parser);
  net::awaitable<HttpResponse> Dispatch(HttpRequest request);
  net::awaitable<void> Refuse(error_code ec);
  net::awaitable<bool> Write(HttpResponse response, unsigned version, bool keep_alive, bool head);
  net::awaitable<void> Stream(HttpResponse response, unsigned version, bool head);
  net::awaitable<void> WatchForHangup();
  net::awaitable<void> Linger();
  net::awaitable<void> WaitForWakeup();

  Core& core_;
  beast::tcp_stream stream_;
  net::steady_timer wakeup_;  // cancelled to wake the coroutine waiting in WaitForWakeup()
  const std::string remote_;
  std::uint64_t seq_ = 0;                // number of the request being answered
  std::optional<HttpResponse> pending_;  // its answer, once it arrived
  bool closing_ = false;
  // Streaming.
  std::deque<std::string> chunks_;
  bool stream_ended_ = false;
  std::atomic<std::size_t> queued_bytes_{0};
  std::atomic<bool> stream_closed_{false};
};

// Shared by the copies of one Responder. The first answer wins; if none came when the last copy
// goes away, the request is answered 500.
class ResponderState {
 public:
  ResponderState(std::weak_ptr<Connection> connection, std::shared_ptr<Lifeline> lifeline,
                 std::uint64_t seq)
      : raw_(connection.lock().get()),
        connection_(std::move(connection)),
        lifeline_(std::move(lifeline)),
        seq_(seq) {}
  ResponderState(const ResponderState&) = delete;
  ResponderState& operator=(const ResponderState&) = delete;
  ~ResponderState() {
    if (!answered_.exchange(true)) Deliver(NoResponse());
  }

  void Answer(HttpResponse response) {
    if (answered_.exchange(true)) return;
    Deliver(std::move(response));
  }

 private:
  void Deliver(HttpResponse response) {
    // Answered by the handler itself, on the io thread, for the request it was called with: the
    // connection is alive (it is calling the handler) and takes the answer directly.
    if (tl_dispatch != nullptr && tl_dispatch->connection == raw_ && tl_dispatch->seq == seq_) {
      raw_->OnResponse(seq_, std::move(response));
      return;
    }
    std::shared_ptr<Connection> connection;  // released after the lock, see Lifeline
    std::lock_guard lock(lifeline_->mu);
    if (!lifeline_->open) return;
    connection = connection_.lock();
    if (!connection) return;
    net::post(connection->executor(),
              [connection, seq = seq_, response = std::move(response)]() mutable {
                connection->OnResponse(seq, std::move(response));
              });
  }

  Connection* const raw_;  // followed only on the io thread that is dispatching to it
  const std::weak_ptr<Connection> connection_;
  const std::shared_ptr<Lifeline> lifeline_;
  const std::uint64_t seq_;
  std::atomic<bool> answered_{false};
};

// Shared by the copies of one StreamWriter; the stream ends when the last copy goes away.
class StreamState {
 public:
  StreamState(std::weak_ptr<Connection> connection, std::shared_ptr<Lifeline> lifeline)
      : connection_(std::move(connection)), lifeline_(std::move(lifeline)) {}
  StreamState(const StreamState&) = delete;
  StreamState& operator=(const StreamState&) = delete;
  ~StreamState() {
    std::shared_ptr<Connection> connection;
    std::lock_guard lock(lifeline_->mu);
    if (!lifeline_->open) return;
    connection = connection_.lock();
    if (!connection) return;
    net::post(connection->executor(), [connection] { connection->OnStreamEnd(); });
  }

  bool Write(std::string chunk) {
    std::shared_ptr<Connection> connection;
    std::lock_guard lock(lifeline_->mu);
    if (!lifeline_->open) return false;
    connection = connection_.lock();
    if (!connection || connection->stream_closed()) return false;
    if (chunk.empty()) return true;
    if (!connection->ReserveStreamBytes(chunk.size())) {
      net::post(connection->executor(), [connection] { connection->Close(); });
      return false;
    }
    net::post(connection->executor(), [connection, chunk = std::move(chunk)]() mutable {
      connection->OnStreamChunk(std::move(chunk));
    });
    return true;
  }

 private:
  const std::weak_ptr<Connection> connection_;
  const std::shared_ptr<Lifeline> lifeline_;
};

HttpRequest ToHttpRequest(http::request<http::string_body>&& req, const std::string& remote) {
  HttpRequest request;
  request.method = std::string(req.method_string());
  request.target = std::string(req.target());
  const auto [path, query] = SplitTarget(request.target);
  request.path = std::string(path);
  request.query = ParseQueryString(query);
  for (const auto& field : req) {
    auto [it, inserted] =
        request.headers.emplace(Lower(Sv(field.name_string())), std::string(field.value()));
    if (!inserted) it->second += ", " + std::string(field.value());
  }
  request.body = std::move(req.body());
  request.remote_address = remote;
  return request;
}

bool WantsClose(const HttpResponse& response) {
  for (const auto& [name, value] : response.headers) {
    if (beast::iequals(name, "connection") && beast::iequals(value, "close")) return true;
  }
  return false;
}

// Status line, Server, Content-Type, the handler's extra headers and Connection.
template <class Body>
void FillHead(const HttpResponse& response, unsigned version, bool keep_alive,
              http::response<Body>& res) {
  res.version(version);
  res.result(static_cast<unsigned>(response.status));
  res.set(http::field::server, "madre");
  res.set(http::field::content_type, response.content_type);
  for (const auto& [name, value] : response.headers) {
    const std::string lower = Lower(name);
    if (lower.empty() || HasCrLf(name) || HasCrLf(value) || lower == "content-length" ||
        lower == "transfer-encoding" || lower == "server" || lower == "connection" ||
        lower == "content-type") {
      continue;
    }
    res.insert(name, value);
  }
  res.keep_alive(keep_alive);
}

// The whole answer as bytes: status line, Server, Content-Type, the handler's extra headers
// (filtered as FillHead does), Content-Length (not for 204/304), Connection when it differs from
// the version's default, then the body (not for HEAD, 204, 304). Beast's serializer is not
// needed for a body that is one string.
std::string Serialize(const HttpResponse& response, unsigned version, bool keep_alive, bool head) {
  const bool no_body_status = response.status == 204 || response.status == 304;
  const beast::string_view reason =
      http::obsolete_reason(static_cast<http::status>(response.status));
  std::string out;
  out.reserve(160 + response.body.size());
  out += version >= 11 ? "HTTP/1.1 " : "HTTP/1.0 ";
  out += std::to_string(response.status);
  out += ' ';
  out.append(reason.data(), reason.size());
  out += "\r\nServer: madre\r\nContent-Type: ";
  out += response.content_type;
  out += "\r\n";
  for (const auto& [name, value] : response.headers) {
    const std::string lower = Lower(name);
    if (lower.empty() || HasCrLf(name) || HasCrLf(value) || lower == "content-length" ||
        lower == "transfer-encoding" || lower == "server" || lower == "connection" ||
        lower == "content-type") {
      continue;
    }
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  if (!no_body_status) {
    out += "Content-Length: ";
    out += std::to_string(response.body.size());
    out += "\r\n";
  }
  if (version >= 11 && !keep_alive) out += "Connection: close\r\n";
  if (version < 11 && keep_alive) out += "Connection: keep-alive\r\n";
  out += "\r\n";
  if (!head && !no_body_status) out += response.body;
  return out;
}

// ---------------------------------------------------------------------------------------------

net::awaitable<void> Connection::Serve() {
  const SteadyClock::time_point accepted_at = SteadyClock::now();
  {
    error_code ignored;  // without it Write() takes the asynchronous path every time
    stream_.socket().non_blocking(true, ignored);
  }
  beast::flat_buffer buffer;
  for (bool first = true; !closing_; first = false) {
    http::request_parser<http::string_body> parser;
    if (!co_await ReadRequest(buffer, first, accepted_at, parser)) co_return;
    http::request<http::string_body> req = parser.release();
    const unsigned version = req.version();
    const bool head = req.method() == http::verb::head;
    bool keep_alive = req.keep_alive();

    HttpResponse response = co_await Dispatch(ToHttpRequest(std::move(req), remote_));
    if (closing_) co_return;
    if (response.stream) {
      co_await Stream(std::move(response), version, head);
      co_return;
    }
    keep_alive = keep_alive && !WantsClose(response);
    if (!co_await Write(std::move(response), version, keep_alive, head)) co_return;
    if (!keep_alive) {
      co_await Linger();
      co_return;
    }
  }
}

// Reads the next request into `parser`. Returns false when the connection is done (the peer
// left, a timeout passed, or the request was refused and answered).
net::awaitable<bool> Connection::ReadRequest(beast::flat_buffer& buffer, bool first,
                                             SteadyClock::time_point accepted_at,
                                             http::request_parser<http::string_body>& parser) {
  const HttpServerOptions& options = core_.options;
  error_code ec;
  SteadyClock::time_point head_deadline = accepted_at + ToSteady(options.header_timeout);
  if (buffer.size() == 0) {
    // Waiting for the first byte: the first request has header_timeout from accept, later ones
    // idle_timeout. Nothing is answered if none comes.
    if (first) {
      stream_.expires_at(head_deadline);
    } else {
      stream_.expires_after(ToSteady(options.idle_timeout));
    }
    const std::size_t n =
        co_await stream_.async_read_some(buffer.prepare(kReadChunk), Awaitable(ec));
    if (ec) co_return false;
    buffer.commit(n);
  }
  if (!first) head_deadline = SteadyClock::now() + ToSteady(options.header_timeout);

  parser.header_limit(
      static_cast<std::uint32_t>(std::min<std::size_t>(options.max_header_bytes, UINT32_MAX)));
  parser.body_limit(static_cast<std::uint64_t>(options.max_body_bytes));
  stream_.expires_at(head_deadline);
  co_await http::async_read_header(stream_, buffer, parser, Awaitable(ec));
  if (ec) {
    co_await Refuse(ec);
    co_return false;
  }
  if (!parser.is_done()) {
    const auto& req = parser.get();
    if (req.version() >= 11 && beast::iequals(req[http::field::expect], "100-continue")) {
      stream_.expires_after(ToSteady(options.idle_timeout));
      co_await net::async_write(stream_, net::buffer(kContinue.data(), kContinue.size()),
                                Awaitable(ec));
      if (ec) co_return false;
    }
    stream_.expires_after(ToSteady(options.idle_timeout));
    co_await http::async_read(stream_, buffer, parser, Awaitable(ec));
    if (ec) {
      co_await Refuse(ec);
      co_return false;
    }
  }
  stream_.expires_never();
  co_return true;
}

// Hands the request to the handler and waits, without reading further, for its answer.
net::awaitable<HttpResponse> Connection::Dispatch(HttpRequest request) {
  const std::uint64_t seq = ++seq_;
  pending_.reset();
  {
    auto state = std::make_shared<ResponderState>(weak_from_this(), core_.lifeline, seq);
    Responder responder = [state](HttpResponse response) { state->Answer(std::move(response)); };
    state.reset();
    SyncDispatch sync{this, seq};
    SyncDispatch* const outer = tl_dispatch;
    tl_dispatch = &sync;
    try {
      core_.handler(std::move(request), std::move(responder));
      tl_dispatch = outer;
    } catch (...) {
      tl_dispatch = outer;
      // The exception's text may hold request data: it is neither logged nor sent.
      OnResponse(seq, ErrorResponse(500, "internal error: handler failed", "internal"));
    }
  }
  while (!pending_.has_value() && !closing_) co_await WaitForWakeup();
  if (closing_) co_return HttpResponse{};
  HttpResponse response = std::move(*pending_);
  pending_.reset();
  co_return response;
}

net::awaitable<void> Connection::WaitForWakeup() {
  error_code ec;
  wakeup_.expires_at(SteadyClock::time_point::max());
  co_await wakeup_.async_wait(Awaitable(ec));
}

// Answers a request the parser refused (when there is anything to say) and closes.
net::awaitable<void> Connection::Refuse(error_code ec) {
  const HttpServerOptions& options = core_.options;
  std::optional<HttpResponse> answer;
  if (ec == http::error::body_limit) {
    answer = ErrorResponse(
        413, "request body is larger than " + std::to_string(options.max_body_bytes) + " bytes",
        "payload_too_large");
  } else if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
    answer = ErrorResponse(
        431,
        "request headers are larger than " + std::to_string(options.max_header_bytes) + " bytes",
        "headers_too_large");
  } else if (ec.category() == http::make_error_code(http::error::bad_method).category() &&
             ec != http::error::end_of_stream && ec != http::error::partial_message) {
    answer = ErrorResponse(400, "malformed HTTP request", "bad_request");
  }
  // Otherwise (timeout, reset, the peer left mid-request) there is no one to answer.
  if (answer.has_value() && co_await Write(std::move(*answer), 11, false, false)) {
    co_await Linger();
  }
  Close();
}

net::awaitable<void> Connection::RefuseBusy() {
  HttpResponse answer =
      ErrorResponse(503, "too many connections, try again later", "too_many_connections");
  answer.headers.emplace_back("Retry-After", "1");
  if (co_await Write(std::move(answer), 11, false, false)) co_await Linger();
  Close();
}

net::awaitable<bool> Connection::Write(HttpResponse response, unsigned version, bool keep_alive,
                                       bool head) {
  if (response.status < 200 || response.status > 599) {
    response = ErrorResponse(500, "internal error: invalid response status", "internal");
  }
  const std::string bytes = Serialize(response, version, keep_alive, head);
  if (!stream_.socket().non_blocking()) {
    error_code ignored;  // set by Serve; a refused connection comes here first
    stream_.socket().non_blocking(true, ignored);
  }
  // Most answers fit in the socket's send buffer: written at once, with no timer to arm. The
  // socket is in non-blocking mode (Serve), so this never blocks the io thread.
  error_code ec;
  std::size_t sent = stream_.socket().write_some(net::buffer(bytes), ec);
  if (ec == net::error::would_block || ec == net::error::try_again) {
    ec = {};
    sent = 0;
  }
  if (ec) co_return false;
  if (sent == bytes.size()) co_return true;
  stream_.expires_after(ToSteady(core_.options.idle_timeout));
  co_await net::async_write(stream_, net::buffer(bytes.data() + sent, bytes.size() - sent),
                            Awaitable(ec));
  stream_.expires_never();
  co_return !ec;
}

// Sends the head without Content-Length, then the writer's chunks, until the writer is dropped,
// the client leaves or the server stops. The connection closes afterwards.
net::awaitable<void> Connection::Stream(HttpResponse response, unsigned version, bool head) {
  if (response.status < 200 || response.status > 599) response.status = 500;
  http::response<http::empty_body> res;
  FillHead(response, version, /*keep_alive=*/false, res);
  error_code ec;
  stream_.expires_after(ToSteady(core_.options.idle_timeout));
  co_await http::async_write(stream_, res, Awaitable(ec));
  if (ec || head) {
    Close();
    co_return;
  }
  {
    auto state = std::make_shared<StreamState>(weak_from_this(), core_.lifeline);
    StreamWriter writer = [state](std::string chunk) { return state->Write(std::move(chunk)); };
    state.reset();
    try {
      response.stream(std::move(writer));
    } catch (...) {
      Close();
      co_return;
    }
  }
  net::co_spawn(
      executor(), [self = shared_from_this()]() { return self->WatchForHangup(); },
      [](std::exception_ptr) {});
  while (!closing_) {
    if (chunks_.empty()) {
      if (stream_ended_) break;
      co_await WaitForWakeup();
      continue;
    }
    std::string chunk = std::move(chunks_.front());
    chunks_.pop_front();
    stream_.expires_after(ToSteady(core_.options.idle_timeout));
    co_await net::async_write(stream_, net::buffer(chunk), Awaitable(ec));
    queued_bytes_ -= chunk.size();
    if (ec) break;
  }
  stream_.expires_never();
  Close();
}

// While streaming, nothing more is expected from the client: any input or EOF ends the stream.
net::awaitable<void> Connection::WatchForHangup() {
  std::array<char, 512> scratch;
  error_code ec;
  co_await stream_.socket().async_read_some(net::buffer(scratch), Awaitable(ec));
  if (!closing_) {
    stream_closed_ = true;
    closing_ = true;
    wakeup_.cancel();
  }
}

// Closes politely: stop sending, drain what the client still sends for a moment, then close.
net::awaitable<void> Connection::Linger() {
  error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream_.expires_after(ToSteady(std::min(core_.options.header_timeout, kMaxLinger)));
  std::array<char, kReadChunk> scratch;
  for (std::size_t drained = 0; drained < kMaxLingerBytes && !closing_;) {
    drained += co_await stream_.async_read_some(net::buffer(scratch), Awaitable(ec));
    if (ec) break;
  }
  Close();
}

net::awaitable<void> RunConnection(std::shared_ptr<Connection> connection, Core& core,
                                   std::uint64_t id, bool refused) {
  struct Release {
    Core& core;
    std::uint64_t id;
    bool refused;
    ~Release() { core.Unregister(id, refused); }
  } release{core, id, refused};
  if (refused) {
    co_await connection->RefuseBusy();
  } else {
    co_await connection->Serve();
  }
  connection->Close();
}

void Admit(tcp::socket socket, Core& core) {
  error_code ec;
  socket.set_option(tcp::no_delay(true), ec);
  const tcp::endpoint remote = socket.remote_endpoint(ec);
  if (ec) return;  // the peer is already gone
  const bool refused = core.active.load() >= core.options.max_connections;
  // Refusals are bounded too: beyond that, a connection is just closed.
  if (refused && core.refusing.load() >= core.options.max_connections) return;
  auto connection = std::make_shared<Connection>(std::move(socket), core, FormatEndpoint(remote));
  std::uint64_t id = 0;
  if (!core.Register(connection, refused, id)) return;
  net::co_spawn(connection->executor(), RunConnection(connection, core, id, refused),
                [](std::exception_ptr) {});
}

// Everything that must die before the io_context, in declaration order.
struct Runtime {
  explicit Runtime(int threads) : ioc(threads) {}

  net::io_context ioc;
  net::strand<net::io_context::executor_type> accept_strand = net::make_strand(ioc);
  net::strand<net::io_context::executor_type> post_strand = net::make_strand(ioc);
  tcp::acceptor acceptor{accept_strand};
  net::executor_work_guard<net::io_context::executor_type> work{ioc.get_executor()};
};

net::awaitable<void> AcceptLoop(Runtime& rt, Core& core) {
  for (;;) {
    error_code ec;
    tcp::socket socket(net::make_strand(rt.ioc));
    co_await rt.acceptor.async_accept(socket, Awaitable(ec));
    if (ec == net::error::operation_aborted || !rt.acceptor.is_open()) co_return;
    if (ec) {
      // E.g. out of file descriptors: back off a little instead of spinning.
      net::steady_timer pause(rt.accept_strand, std::chrono::milliseconds(50));
      co_await pause.async_wait(Awaitable(ec));
      continue;
    }
    Admit(std::move(socket), core);
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------

struct HttpServer::Impl {
  Impl(HttpServerOptions options, HttpHandler handler)
      : core(std::move(options), std::move(handler)),
        thread_count(std::max(1, core.options.threads)),
        rt(std::make_unique<Runtime>(thread_count)) {}

  void StartThreads() {
    for (int i = 0; i < thread_count; ++i) {
      threads.emplace_back([this] {
        for (;;) {
          try {
            rt->ioc.run();
            break;
          } catch (...) {
            // Handlers catch their own exceptions; keep serving if one slipped through.
          }
        }
        std::lock_guard lock(exit_mu);
        ++exited;
        exit_cv.notify_all();
      });
    }
  }

  bool OnIoThread() const {
    return std::any_of(threads.begin(), threads.end(), [](const std::thread& t) {
      return t.get_id() == std::this_thread::get_id();
    });
  }

  Core core;
  const int thread_count;
  std::unique_ptr<Runtime> rt;
  std::vector<std::thread> threads;
  std::mutex exit_mu;
  std::condition_variable exit_cv;
  int exited = 0;  // guarded by exit_mu
  int port = 0;
  std::mutex stop_mu;
  bool stopped = false;  // guarded by stop_mu
  std::mutex timers_mu;
  std::vector<std::weak_ptr<net::steady_timer>> timers;  // PostAfter's, cancelled by Stop()
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Stop(); }

Result<std::unique_ptr<HttpServer>> HttpServer::Start(HttpServerOptions options,
                                                      HttpHandler handler) {
  if (!handler) return Status::InvalidArgument("the HTTP server needs a handler");
  if (options.port < 0 || options.port > 65535) {
    return Status::InvalidArgument("invalid port " + std::to_string(options.port));
  }
  error_code ec;
  const net::ip::address address = net::ip::make_address(options.bind_address, ec);
  if (ec) return Status::InvalidArgument("invalid bind address \"" + options.bind_address + "\"");
  const std::string where = options.bind_address + ":" + std::to_string(options.port);
  const tcp::endpoint endpoint(address, static_cast<unsigned short>(options.port));

  auto impl = std::make_unique<Impl>(std::move(options), std::move(handler));
  tcp::acceptor& acceptor = impl->rt->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (!ec) impl->port = acceptor.local_endpoint(ec).port();
  if (ec) return Status::Unavailable("cannot listen on " + where + ": " + ec.message());

  net::co_spawn(impl->rt->accept_strand, AcceptLoop(*impl->rt, impl->core),
                [](std::exception_ptr) {});
  impl->StartThreads();
  return std::make_unique<HttpServer>(std::move(impl));
}

int HttpServer::port() const { return impl_->port; }

void HttpServer::Post(std::function<void()> fn) {
  std::lock_guard lock(impl_->core.lifeline->mu);
  if (!impl_->core.lifeline->open || !fn) return;
  net::post(impl_->rt->post_strand, [fn = std::move(fn)] {
    try {
      fn();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "madre: a job posted to the io thread threw: %s\n", e.what());
    } catch (...) {
      std::fprintf(stderr, "madre: a job posted to the io thread threw a non-std exception\n");
    }
  });
}

void HttpServer::PostAfter(Duration delay, std::function<void()> fn) {
  std::lock_guard lock(impl_->core.lifeline->mu);
  if (!impl_->core.lifeline->open || !fn) return;
  auto timer = std::make_shared<net::steady_timer>(impl_->rt->post_strand);
  timer->expires_after(std::chrono::duration_cast<net::steady_timer::duration>(delay));
  {
    std::lock_guard timers_lock(impl_->timers_mu);
    std::erase_if(impl_->timers, [](const auto& weak) { return weak.expired(); });
    impl_->timers.push_back(timer);
  }
  timer->async_wait([timer, fn = std::move(fn)](error_code ec) {
    if (ec) return;  // cancelled by Stop()
    try {
      fn();
    } catch (...) {
      // Documented: swallowed.
    }
  });
}

void HttpServer::Stop() {
  Impl& s = *impl_;
  std::lock_guard stop_lock(s.stop_mu);
  if (s.stopped) return;
  s.stopped = true;
  MADRE_CHECK_MSG(!s.OnIoThread(), "HttpServer::Stop() called from an io thread");

  Runtime* rt = s.rt.get();
  net::post(rt->accept_strand, [rt] {
    error_code ec;
    rt->acceptor.close(ec);
  });
  for (std::shared_ptr<Connection>& connection : s.core.BeginStop()) {
    net::post(connection->executor(), [connection] { connection->Close(); });
  }
  {
    std::lock_guard lock(s.core.lifeline->mu);
    s.core.lifeline->open = false;
  }
  {
    std::lock_guard lock(s.timers_mu);
    for (const auto& weak : s.timers) {
      if (auto timer = weak.lock()) net::post(rt->post_strand, [timer] { timer->cancel(); });
    }
    s.timers.clear();
  }
  rt->work.reset();
  {
    // Normally every coroutine ends at once; give them a moment, then abandon the rest.
    std::unique_lock lock(s.exit_mu);
    s.exit_cv.wait_for(lock, ToSteady(s.core.options.stop_grace),
                       [&s] { return s.exited == static_cast<int>(s.threads.size()); });
  }
  rt->ioc.stop();
  for (std::thread& thread : s.threads) thread.join();
  s.threads.clear();
  s.rt.reset();  // destroys whatever was abandoned, closes the listening socket
}

}  // namespace madre
