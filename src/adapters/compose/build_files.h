// The file-system side of a build request (core/build.h): resolving paths, the size of a build
// context, the Dockerfile's hash.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"

namespace madre {

// std::filesystem::weakly_canonical of an absolute path (core's CanonicalPathFn).
Result<std::string> WeaklyCanonicalPath(const std::string& absolute);

// The bytes of the regular files under `dir`, symlinks not followed. Stops counting past
// `stop_after` (the answer is then > stop_after): a cap check need not walk a huge tree.
Result<std::uint64_t> DirectoryBytes(const std::string& dir, std::uint64_t stop_after);

// The SHA-256 of a file's content, lowercase hex.
Result<std::string> FileSha256(const std::string& path);

}  // namespace madre
