// A fresh directory under /tmp for one test, removed with everything in it afterwards.
// Test-only (included by *_test.cc).
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <system_error>

#include "base/status.h"

namespace madre {

class TestTempDir {
 public:
  TestTempDir() {
    std::string pattern = "/tmp/madre-sqlite-test-XXXXXX";
    MADRE_CHECK_MSG(::mkdtemp(pattern.data()) != nullptr, "mkdtemp failed");
    path_ = pattern;
  }
  ~TestTempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TestTempDir(const TestTempDir&) = delete;
  TestTempDir& operator=(const TestTempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace madre
