// SHA-256 (FIPS 180-4), std only. Used for the audit log's hash chain.
#pragma once

#include <string>
#include <string_view>

namespace madre {

// The SHA-256 digest of `data` as 64 lowercase hex characters.
std::string Sha256Hex(std::string_view data);

}  // namespace madre
