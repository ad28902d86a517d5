// VX11_TOKENS_FILE: the tokens besides VX11_TOKEN (the admin named "default"), each with a
// name and a role (core/identity.h), stored by the SHA-256 of the token, never the token:
//
//   [tokens.ci]
//   role = "operator"              # viewer | submitter | operator | admin
//   token_sha256 = "<64 hex>"      # `madre token hash` prints it
//
// Refused (kInvalidArgument naming the file, the table and the problem): a TOML error, a key
// other than `tokens` at the top or other than `role` and `token_sha256` in an entry, a name
// outside [A-Za-z0-9_.-]{1,64} or `default` (reserved for VX11_TOKEN), an unknown or missing
// role, a missing hash or one that is not 64 hex characters (either case; stored lower-case),
// two entries with the same hash. `madre serve` (and `--check`) refuse to start on any.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "core/identity.h"

namespace madre {

// [A-Za-z0-9_.-]{1,64}.
bool IsValidTokenName(std::string_view name);

// Pure: the entries of `text`, sorted by name; `origin` names the file in errors.
Result<std::vector<TokenEntry>> ParseTokensFile(std::string_view text, const std::string& origin);

// Reads and parses `path`; kInvalidArgument when it cannot be read.
Result<std::vector<TokenEntry>> LoadTokensFile(const std::filesystem::path& path);

}  // namespace madre
