// Owner-only files for madre's state: the state dir, madre.db (with its -wal and -shm), the
// token file and the audit JSON Lines files hold container logs and the token (docs/storage.md).
#pragma once

#include <filesystem>
#include <vector>

#include "base/status.h"

namespace madre {

// Sets the process umask to 077, so that every directory and file madre creates from now on
// (and every file its children create) is owner-only, whatever the umask it was started with.
// Returns the previous mask.
unsigned UsePrivateUmask();

// Takes group and other permissions away from `path` when it has any (owner bits kept).
// Returns true when it changed the mode; false when it was already owner-only or does not exist.
// kInternal when it cannot stat or chmod.
Result<bool> RestrictToOwner(const std::filesystem::path& path);

// RestrictToOwner on the state dir, madre.db, madre.db-wal, madre.db-shm and token inside it, the
// audit dir and its audit-*.jsonl files. Returns the paths it tightened (serve logs a notice for
// each). A missing path is skipped.
Result<std::vector<std::filesystem::path>> RestrictStateFiles(
    const std::filesystem::path& state_dir, const std::filesystem::path& audit_dir);

}  // namespace madre
