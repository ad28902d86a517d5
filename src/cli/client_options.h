// Where the client finds madre and its token (flags first, then the environment,
// then the daemon's token file), kept apart from CLI11 so it is testable.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "base/status.h"

namespace madre::cli {

// Reads an environment variable; nullopt when unset. Tests pass a map-backed one.
using GetEnvFn = std::function<std::optional<std::string>(const std::string& name)>;
GetEnvFn SystemGetEnv();

inline constexpr char kDefaultUrl[] = "http://127.0.0.1:8001";

// --url, else VX11_MADRE_URL, else http://<VX11_MADRE_BIND or 127.0.0.1>:<VX11_MADRE_PORT or
// 8001> (a wildcard bind such as 0.0.0.0 or :: is reached through loopback). Empty values
// count as unset. Trailing slashes are removed.
std::string ResolveUrl(const std::string& flag_url, const GetEnvFn& env);

// <VX11_STATE_DIR or ./data/madre>/token
std::filesystem::path DefaultTokenFile(const GetEnvFn& env);

struct ResolvedToken {
  std::string token;   // empty: none found (the server will answer 401)
  std::string source;  // "--token", "--token-file", "VX11_TENTACULO_LINK_TOKEN", "VX11_TOKEN",
                       // "token file <path>", or "none"
};

// The first non-empty of: --token, --token-file, VX11_TENTACULO_LINK_TOKEN, VX11_TOKEN,
// DefaultTokenFile() (silently skipped when absent). Surrounding whitespace is trimmed.
// Fails (kNotFound) only when --token-file names a file that cannot be read, and
// (kInvalidArgument) when that file is empty.
Result<ResolvedToken> ResolveToken(const std::string& flag_token,
                                   const std::string& flag_token_file, const GetEnvFn& env);

}  // namespace madre::cli
