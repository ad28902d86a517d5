#include "daemon/tokens_file.h"

#include <toml++/toml.h>

#include <cctype>
#include <fstream>
#include <map>
#include <sstream>

#include "daemon/toml_named_tables.h"

namespace madre {

namespace {

Status Bad(const std::string& origin, const std::string& what) {
  return Status::InvalidArgument("tokens file " + origin + ": " + what);
}

// 64 hex characters, lower-cased; nullopt for anything else.
std::optional<std::string> NormalHash(const std::string& text) {
  if (text.size() != 64) return std::nullopt;
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

Result<TokenEntry> ParseEntry(const std::string& name, const toml::node& node,
                              const std::string& origin) {
  const std::string where = "[tokens." + name + "]";
  if (!IsValidTokenName(name)) {
    return Bad(origin, where + ": the name must be 1 to 64 of [A-Za-z0-9_.-]");
  }
  if (name == "default") {
    return Bad(origin, where + ": the name default is reserved for VX11_TOKEN (the admin)");
  }
  const toml::table* table = node.as_table();
  if (!table) return Bad(origin, where + ": must be a table (role, token_sha256)");
  for (const auto& [key, value] : *table) {
    const std::string k(key.str());
    if (k != "role" && k != "token_sha256" && value.is_table()) {
      return Bad(origin, "[tokens." + name + "." + k + "]: a name with a dot needs quotes: " +
                             "[tokens.\"" + name + "." + k + "\"]");
    }
    if (k != "role" && k != "token_sha256") {
      return Bad(origin, where + ": unknown key '" + k + "' (role, token_sha256)");
    }
  }
  TokenEntry entry;
  entry.name = name;
  const toml::node* role = table->get("role");
  if (!role) return Bad(origin, where + ": role is missing (viewer, submitter, operator, admin)");
  std::optional<Role> parsed;
  if (role->is_string()) parsed = ParseRole(role->as_string()->get());
  if (!parsed) {
    const std::string shown = role->is_string() ? "'" + role->as_string()->get() + "'" : "";
    return Bad(origin, where + ": unknown role " + shown + " (viewer, submitter, operator, admin)");
  }
  entry.role = *parsed;
  const toml::node* hash = table->get("token_sha256");
  if (!hash) {
    return Bad(origin, where + ": token_sha256 is missing (the SHA-256 of the token in hex: " +
                           "`madre token hash`)");
  }
  std::optional<std::string> normal;
  if (hash->is_string()) normal = NormalHash(hash->as_string()->get());
  if (!normal) {
    return Bad(origin, where + ": token_sha256 must be 64 hex characters (the SHA-256 of the " +
                           "token, never the token itself: `madre token hash`)");
  }
  entry.token_sha256 = *normal;
  return entry;
}

}  // namespace

bool IsValidTokenName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') {
      return false;
    }
  }
  return true;
}

Result<std::vector<TokenEntry>> ParseTokensFile(std::string_view text, const std::string& origin) {
  ASSIGN_OR_RETURN(const toml::table named,
                   ParseNamedTables(text, origin, "tokens file", "tokens"));
  std::vector<TokenEntry> entries;
  std::map<std::string, std::string> by_hash;  // hash -> name
  for (const auto& [key, node] : named) {
    ASSIGN_OR_RETURN(TokenEntry entry, ParseEntry(std::string(key.str()), node, origin));
    if (auto [it, added] = by_hash.emplace(entry.token_sha256, entry.name); !added) {
      return Bad(origin, "[tokens." + entry.name + "]: the same token_sha256 as [tokens." +
                             it->second + "] (each token names one entry)");
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

Result<std::vector<TokenEntry>> LoadTokensFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::InvalidArgument("cannot read VX11_TOKENS_FILE " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return ParseTokensFile(text.str(), path.string());
}

}  // namespace madre
