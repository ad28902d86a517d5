#include "daemon/toml_named_tables.h"

#include <sstream>

namespace madre {

Result<toml::table> ParseNamedTables(std::string_view text, const std::string& origin,
                                     std::string_view kind, std::string_view section) {
  auto bad = [&](const std::string& what) {
    return Status::InvalidArgument(std::string(kind) + " " + origin + ": " + what);
  };
  toml::table table;
  try {
    table = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << "line " << e.source().begin.line << ": " << e.description();
    return bad(msg.str());
  }
  const std::string only = "[" + std::string(section) + ".NAME]";
  for (const auto& [key, value] : table) {
    if (key.str() != section) {
      return bad("unknown key '" + std::string(key.str()) + "' (only " + only + ")");
    }
  }
  const toml::node* node = table.get(section);
  if (!node) return toml::table();
  const toml::table* named = node->as_table();
  if (!named) return bad(std::string(section) + " must be tables: " + only);
  return *named;
}

}  // namespace madre
