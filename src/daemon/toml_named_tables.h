// The shape the tokens file and the webhooks file share: a TOML document whose only top-level
// key is SECTION, a table of named tables ([SECTION.NAME]).
#pragma once

#include <toml++/toml.h>

#include <string>
#include <string_view>

#include "base/status.h"

namespace madre {

// The [SECTION.NAME] tables of `text` (an empty table when SECTION is absent). kInvalidArgument
// "<kind> <origin>: ..." for text that is not TOML ("line N: what"), another top-level key
// ("unknown key 'k' (only [SECTION.NAME])") or a SECTION that is not a table.
Result<toml::table> ParseNamedTables(std::string_view text, const std::string& origin,
                                     std::string_view kind, std::string_view section);

}  // namespace madre
