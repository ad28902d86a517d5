// The exception barriers' common step: run a job and, if it threw, say what.
#pragma once

#include <exception>
#include <optional>
#include <string>
#include <utility>

namespace madre {

// Runs `fn`. nullopt when it returned; else the text of what it threw: what() of a
// std::exception, or a sentence for anything else. For the barriers that keep one failed job
// (a worker's action, a result on the engine thread, a pool's job) from ending the daemon.
template <typename Fn>
std::optional<std::string> ThrownBy(Fn&& fn) {
  try {
    std::forward<Fn>(fn)();
    return std::nullopt;
  } catch (const std::exception& e) {
    return std::string(e.what());
  } catch (...) {
    return std::string("an exception that is not a std::exception");
  }
}

}  // namespace madre
