#include "adapters/sqlite/private_files.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>

namespace madre {

unsigned UsePrivateUmask() { return static_cast<unsigned>(::umask(077)); }

Result<bool> RestrictToOwner(const std::filesystem::path& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return false;
    return Status::Internal("cannot stat " + path.string() + ": " + std::strerror(errno));
  }
  if (S_ISLNK(st.st_mode)) return false;  // chmod would follow it; the target is not ours
  const mode_t open_bits = st.st_mode & (S_IRWXG | S_IRWXO);
  if (open_bits == 0) return false;
  if (::chmod(path.c_str(), st.st_mode & S_IRWXU) != 0) {
    return Status::Internal("cannot chmod " + path.string() + ": " + std::strerror(errno));
  }
  return true;
}

Result<std::vector<std::filesystem::path>> RestrictStateFiles(
    const std::filesystem::path& state_dir, const std::filesystem::path& audit_dir) {
  std::vector<std::filesystem::path> paths = {
      state_dir,
      state_dir / "madre.db",
      state_dir / "madre.db-wal",
      state_dir / "madre.db-shm",
      state_dir / "token",
      audit_dir,
  };
  std::error_code ec;
  if (std::filesystem::is_directory(audit_dir, ec)) {
    for (std::filesystem::directory_iterator it(audit_dir, ec), end; !ec && it != end;
         it.increment(ec)) {
      const std::string name = it->path().filename().string();
      if (name.rfind("audit-", 0) == 0 && it->path().extension() == ".jsonl") {
        paths.push_back(it->path());
      }
    }
    if (ec) return Status::Internal("cannot list " + audit_dir.string() + ": " + ec.message());
  }
  std::vector<std::filesystem::path> tightened;
  for (const std::filesystem::path& path : paths) {
    ASSIGN_OR_RETURN(bool changed, RestrictToOwner(path));
    if (changed) tightened.push_back(path);
  }
  return tightened;
}

}  // namespace madre
