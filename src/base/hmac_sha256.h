// HMAC-SHA256 (RFC 2104, FIPS 198-1) on top of base/sha256.h, std only. Used to key the audit
// log's chain (docs/storage.md).
#pragma once

#include <string>
#include <string_view>

namespace madre {

// The raw 32-byte SHA-256 digest of `data`.
std::string Sha256Bytes(std::string_view data);

// HMAC-SHA256 of `data` under `key` (any length; a key longer than 64 bytes is hashed first),
// as 64 lowercase hex characters.
std::string HmacSha256Hex(std::string_view key, std::string_view data);

}  // namespace madre
