#include "base/hmac_sha256.h"

#include <cstddef>

#include "base/sha256.h"

namespace madre {

namespace {

constexpr std::size_t kBlockBytes = 64;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  return c - 'a' + 10;  // Sha256Hex writes lowercase only
}

}  // namespace

std::string Sha256Bytes(std::string_view data) {
  const std::string hex = Sha256Hex(data);
  std::string bytes(hex.size() / 2, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    bytes[i] = static_cast<char>(HexValue(hex[2 * i]) * 16 + HexValue(hex[2 * i + 1]));
  }
  return bytes;
}

std::string HmacSha256Hex(std::string_view key, std::string_view data) {
  std::string block = key.size() > kBlockBytes ? Sha256Bytes(key) : std::string(key);
  block.resize(kBlockBytes, '\0');
  std::string inner(kBlockBytes, '\0');
  std::string outer(kBlockBytes, '\0');
  for (std::size_t i = 0; i < kBlockBytes; ++i) {
    inner[i] = static_cast<char>(block[i] ^ 0x36);
    outer[i] = static_cast<char>(block[i] ^ 0x5c);
  }
  inner.append(data);
  outer.append(Sha256Bytes(inner));
  return Sha256Hex(outer);
}

}  // namespace madre
