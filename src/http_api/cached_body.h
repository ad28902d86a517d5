// A response body kept between changes: built on the first Get, served again until
// Invalidate() (the engine changed) or until the time the build said it holds to (a view that
// shows a countdown changes with no event). Engine thread only.
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "base/time.h"

namespace madre {

class CachedBody {
 public:
  // What a build returns: the body, and until when it is right (nullopt: until the next
  // Invalidate()).
  struct Built {
    std::string body;
    std::optional<TimePoint> valid_until;
  };

  // The kept body, built first with `build()` (returning Built) when there is none or it
  // expired at `now`.
  template <typename Build>
  const std::string& Get(TimePoint now, Build&& build) {
    if (!body_ || (valid_until_ && now >= *valid_until_)) {
      Built built = std::forward<Build>(build)();
      body_ = std::move(built.body);
      valid_until_ = built.valid_until;
      ++builds_;
    }
    return *body_;
  }

  void Invalidate() { body_.reset(); }

  // How many times the body was built (for tests of the cache).
  int builds() const { return builds_; }

 private:
  std::optional<std::string> body_;
  std::optional<TimePoint> valid_until_;
  int builds_ = 0;
};

}  // namespace madre
