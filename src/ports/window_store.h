// Durable storage of windows. A call that returns OK has reached the disk.
#pragma once

#include <optional>
#include <vector>

#include "base/status.h"
#include "core/window.h"

namespace madre {

class WindowStore {
 public:
  virtual ~WindowStore() = default;
  // Windows not yet terminal (opening, open, closing), oldest first.
  virtual Result<std::vector<Window>> LoadOpen() = 0;
  // Insert or replace by id.
  virtual Status Save(const Window& window) = 0;
  // Terminal windows (closed, failed), newest closed first, at most `limit`.
  virtual Result<std::vector<Window>> History(int limit) = 0;
  virtual Result<std::optional<Window>> Get(const std::string& id) = 0;
};

}  // namespace madre
