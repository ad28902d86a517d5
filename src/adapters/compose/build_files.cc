#include "adapters/compose/build_files.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "base/sha256.h"

namespace madre {

Result<std::string> WeaklyCanonicalPath(const std::string& absolute) {
  std::error_code ec;
  std::filesystem::path out = std::filesystem::weakly_canonical(absolute, ec);
  if (ec) return Status::InvalidArgument(absolute + ": " + ec.message());
  std::string text = out.string();
  while (text.size() > 1 && text.back() == '/') text.pop_back();
  return text;
}

Result<std::uint64_t> DirectoryBytes(const std::string& dir, std::uint64_t stop_after) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return Status::InvalidArgument("the build context " + dir + " is not a directory");
  }
  std::uint64_t total = 0;
  std::filesystem::recursive_directory_iterator it(
      dir, std::filesystem::directory_options::skip_permission_denied, ec);
  if (ec) return Status::Internal("cannot read the build context " + dir + ": " + ec.message());
  for (; it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) return Status::Internal("cannot read the build context " + dir + ": " + ec.message());
    std::error_code file_ec;
    if (it->is_regular_file(file_ec) && !it->is_symlink(file_ec)) {
      total += it->file_size(file_ec);
      if (total > stop_after) return total;
    }
  }
  if (ec) return Status::Internal("cannot read the build context " + dir + ": " + ec.message());
  return total;
}

Result<std::string> FileSha256(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::InvalidArgument("cannot read " + path);
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) return Status::Internal("cannot read " + path);
  return Sha256Hex(content.str());
}

}  // namespace madre
