#include "core/secret_mask.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

namespace madre {

namespace {

bool IsAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
bool IsDigit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }
bool IsAlpha(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }
bool IsHex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }
bool IsSpace(char c) { return c == ' ' || c == '\t'; }
// A character of an identifier a key name ends (DB_PASSWORD, api-key, x.token).
bool IsKeyChar(char c) { return IsAlnum(c) || c == '_' || c == '-' || c == '.'; }
// A character of a base64-ish token.
bool IsTokenChar(char c) {
  return IsAlnum(c) || c == '+' || c == '/' || c == '=' || c == '_' || c == '-';
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

bool IsPlaceholder(std::string_view value) { return value.rfind("[SECRET-", 0) == 0; }

// Values after `KEY=` / `KEY: ` whose key ends in a secret-ish word.
void FindAssignments(std::string_view text, std::vector<std::string>& found) {
  static constexpr std::array<std::string_view, 8> kKeys = {
      "password", "passwd", "pwd", "token", "secret", "key", "apikey", "credentials"};
  std::size_t i = 0;
  while (i < text.size()) {
    if (!IsKeyChar(text[i])) {
      ++i;
      continue;
    }
    std::size_t start = i;
    while (i < text.size() && IsKeyChar(text[i])) ++i;
    std::string word = Lower(text.substr(start, i - start));
    bool secretish = std::any_of(kKeys.begin(), kKeys.end(),
                                 [&](std::string_view key) { return EndsWith(word, key); });
    if (!secretish) continue;
    std::size_t j = i;
    if (j < text.size() && (text[j] == '"' || text[j] == '\'')) ++j;
    while (j < text.size() && IsSpace(text[j])) ++j;
    if (j >= text.size() || (text[j] != '=' && text[j] != ':')) continue;
    ++j;
    while (j < text.size() && IsSpace(text[j])) ++j;
    char quote = 0;
    if (j < text.size() && (text[j] == '"' || text[j] == '\'')) quote = text[j++];
    std::size_t value_start = j;
    while (j < text.size()) {
      char c = text[j];
      if (quote != 0 ? c == quote
                     : (IsSpace(c) || c == '\n' || c == '\r' || c == ',' || c == ';' || c == '&' ||
                        c == '"' || c == '\'' || c == '}' || c == ')')) {
        break;
      }
      ++j;
    }
    std::string_view value = text.substr(value_start, j - value_start);
    if (!value.empty() && !IsPlaceholder(value)) found.emplace_back(value);
    i = j;
  }
}

// The token after "Bearer ".
void FindBearer(std::string_view text, std::vector<std::string>& found) {
  const std::string lower = Lower(text);
  for (std::size_t at = lower.find("bearer"); at != std::string::npos;
       at = lower.find("bearer", at + 6)) {
    if (at > 0 && IsAlnum(text[at - 1])) continue;
    std::size_t j = at + 6;
    if (j >= text.size() || !IsSpace(text[j])) continue;
    while (j < text.size() && IsSpace(text[j])) ++j;
    std::size_t start = j;
    while (j < text.size() && (IsTokenChar(text[j]) || text[j] == '.' || text[j] == '~')) ++j;
    std::string_view token = text.substr(start, j - start);
    if (token.size() >= kMinSecretLength) found.emplace_back(token);
  }
}

// Runs of token characters that look like keys: sk-..., long hex, long base64-ish.
void FindTokens(std::string_view text, std::vector<std::string>& found) {
  std::size_t i = 0;
  while (i < text.size()) {
    if (!IsTokenChar(text[i])) {
      ++i;
      continue;
    }
    std::size_t start = i;
    while (i < text.size() && IsTokenChar(text[i])) ++i;
    std::string_view run = text.substr(start, i - start);
    // sk-... anywhere in the run (after a '=' or a '/', say).
    if (std::size_t sk = run.find("sk-"); sk != std::string_view::npos) {
      std::size_t end = sk + 3;
      while (end < run.size() && (IsAlnum(run[end]) || run[end] == '_' || run[end] == '-')) ++end;
      if (end - sk - 3 >= 16 && (sk == 0 || !IsAlnum(run[sk - 1]))) {
        found.emplace_back(run.substr(sk, end - sk));
        continue;
      }
    }
    // Hex runs of 24 or more inside the run (a digest after "sha256:").
    std::size_t h = 0;
    bool hex_found = false;
    while (h < run.size()) {
      if (!IsHex(run[h])) {
        ++h;
        continue;
      }
      std::size_t hs = h;
      while (h < run.size() && IsHex(run[h])) ++h;
      bool bounded = (hs == 0 || !IsAlnum(run[hs - 1])) && (h == run.size() || !IsAlnum(run[h]));
      if (h - hs >= 24 && bounded) {
        found.emplace_back(run.substr(hs, h - hs));
        hex_found = true;
      }
    }
    if (hex_found || run.size() < 32) continue;
    bool digit = false, alpha = false, upper = false, lower = false, slash = false;
    for (char c : run) {
      digit = digit || IsDigit(c);
      alpha = alpha || IsAlpha(c);
      upper = upper || std::isupper(static_cast<unsigned char>(c)) != 0;
      lower = lower || std::islower(static_cast<unsigned char>(c)) != 0;
      slash = slash || c == '/';
    }
    if (digit && alpha && (!slash || (upper && lower))) found.emplace_back(run);
  }
}

}  // namespace

Masker::Masker(const std::vector<std::string>& secrets, std::vector<std::string> names)
    : names_(std::move(names)) {
  for (const std::string& s : secrets) Learn(s);
  for (std::size_t i = 0; i < names_.size(); ++i) {
    if (!names_[i].empty()) names_by_length_.push_back(i);
  }
  std::stable_sort(
      names_by_length_.begin(), names_by_length_.end(),
      [&](std::size_t a, std::size_t b) { return names_[a].size() > names_[b].size(); });
}

void Masker::Learn(const std::string& value) {
  if (value.size() < kMinSecretLength) return;
  if (std::find(secrets_.begin(), secrets_.end(), value) != secrets_.end()) return;
  secrets_.push_back(value);
  std::stable_sort(secrets_.begin(), secrets_.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

std::string Masker::Mask(std::string_view text) {
  std::vector<std::string> found;
  FindAssignments(text, found);
  FindBearer(text, found);
  FindTokens(text, found);
  for (const std::string& value : found) Learn(value);
  return Replace(text);
}

std::string Masker::Replace(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    bool replaced = false;
    for (const std::string& secret : secrets_) {  // longest first
      if (text.compare(i, secret.size(), secret) != 0) continue;
      auto [it, added] = secret_index_.emplace(secret, static_cast<int>(secret_index_.size()) + 1);
      out += "[SECRET-" + std::to_string(it->second) + "]";
      i += secret.size();
      replaced = true;
      break;
    }
    if (replaced) continue;
    for (std::size_t n : names_by_length_) {
      const std::string& name = names_[n];
      if (text.compare(i, name.size(), name) != 0) continue;
      bool before = i == 0 || !IsAlnum(text[i - 1]);
      bool after = i + name.size() >= text.size() || !IsAlnum(text[i + name.size()]);
      if (!before || !after) continue;
      out += "service-" + std::to_string(n + 1);
      i += name.size();
      replaced = true;
      break;
    }
    if (replaced) continue;
    out += text[i++];
  }
  return out;
}

std::string Masker::Restore(std::string_view text) const {
  static constexpr std::string_view kPrefix = "service-";
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    if (text.compare(i, kPrefix.size(), kPrefix) == 0) {
      std::size_t j = i + kPrefix.size();
      std::size_t n = 0;
      while (j < text.size() && IsDigit(text[j]) && n <= names_.size()) {
        n = n * 10 + static_cast<std::size_t>(text[j] - '0');
        ++j;
      }
      if (j > i + kPrefix.size() && n >= 1 && n <= names_.size() &&
          (j == text.size() || !IsDigit(text[j]))) {
        out += names_[n - 1];
        i = j;
        continue;
      }
    }
    out += text[i++];
  }
  return out;
}

std::string Masker::MaskedName(const std::string& name) const {
  auto it = std::find(names_.begin(), names_.end(), name);
  if (it == names_.end()) return name;
  return "service-" + std::to_string(it - names_.begin() + 1);
}

}  // namespace madre
