// Status and Result<T>: errors are values at module boundaries.
// Shaped like absl::Status / absl::StatusOr so that a later move is mechanical.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace madre {

enum class StatusCode {
  kOk,
  kInvalidArgument,     // 400: malformed request, wrong type, bad TTL
  kUnauthenticated,     // 401: token missing
  kPermissionDenied,    // 403: token wrong
  kNotFound,            // 404: unknown window, no active window
  kFailedPrecondition,  // 409: window not open, limit reached, ambiguous close
  kPayloadTooLarge,     // 413
  kNotAllowed,          // 422: service outside the allowlist
  kQuarantined,         // 409 "quarantined": autofix gave up on a service (madre autofix reset)
  kResourceExhausted,   // 429: throttled
  kUnavailable,         // 503: windows disabled, docker unreachable, compose failed
  kDeadlineExceeded,    // 504 / timeout of a docker operation
  kInternal,            // 500: store write failed, docker failure after rollback
};

const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) {
    return {StatusCode::kInvalidArgument, std::move(m)};
  }
  static Status Unauthenticated(std::string m) {
    return {StatusCode::kUnauthenticated, std::move(m)};
  }
  static Status PermissionDenied(std::string m) {
    return {StatusCode::kPermissionDenied, std::move(m)};
  }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status FailedPrecondition(std::string m) {
    return {StatusCode::kFailedPrecondition, std::move(m)};
  }
  static Status PayloadTooLarge(std::string m) {
    return {StatusCode::kPayloadTooLarge, std::move(m)};
  }
  static Status NotAllowed(std::string m) { return {StatusCode::kNotAllowed, std::move(m)}; }
  static Status Quarantined(std::string m) { return {StatusCode::kQuarantined, std::move(m)}; }
  static Status ResourceExhausted(std::string m) {
    return {StatusCode::kResourceExhausted, std::move(m)};
  }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status DeadlineExceeded(std::string m) {
    return {StatusCode::kDeadlineExceeded, std::move(m)};
  }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string ToString() const;

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Crashes with a message. For broken invariants only, never for bad input.
[[noreturn]] void CheckFailed(const char* file, int line, const char* expr, const std::string& msg);

#define MADRE_CHECK(cond)                                             \
  do {                                                                \
    if (!(cond)) ::madre::CheckFailed(__FILE__, __LINE__, #cond, ""); \
  } while (0)
#define MADRE_CHECK_MSG(cond, msg)                                       \
  do {                                                                   \
    if (!(cond)) ::madre::CheckFailed(__FILE__, __LINE__, #cond, (msg)); \
  } while (0)

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    MADRE_CHECK_MSG(!status_.ok(), "Result built from an OK status without a value");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  StatusCode code() const { return status_.code(); }

  T& value() & {
    MADRE_CHECK_MSG(ok(), "value() of a failed Result: " + status_.ToString());
    return *value_;
  }
  const T& value() const& {
    MADRE_CHECK_MSG(ok(), "value() of a failed Result: " + status_.ToString());
    return *value_;
  }
  T&& value() && {
    MADRE_CHECK_MSG(ok(), "value() of a failed Result: " + status_.ToString());
    return std::move(*value_);
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

#define MADRE_CONCAT_INNER(a, b) a##b
#define MADRE_CONCAT(a, b) MADRE_CONCAT_INNER(a, b)

#define RETURN_IF_ERROR(expr)                      \
  do {                                             \
    ::madre::Status madre_status_ = (expr);        \
    if (!madre_status_.ok()) return madre_status_; \
  } while (0)

#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(MADRE_CONCAT(madre_result_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return tmp.status();         \
  lhs = std::move(tmp).value()

}  // namespace madre
