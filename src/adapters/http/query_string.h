// Pure helpers for request targets: no I/O, no boost.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace madre {

// Decodes %XX escapes and, if `plus_is_space`, '+' as ' '. A malformed escape ("%4", "%zz") is
// kept as it is.
std::string PercentDecode(std::string_view text, bool plus_is_space);

// Parses "a=1&b=x%20y&flag" into {a:"1", b:"x y", flag:""}. Keys and values are decoded; empty
// pieces are skipped; the first occurrence of a key wins.
std::map<std::string, std::string> ParseQueryString(std::string_view query);

// Splits a request target at the first '?': {path, query}. The path is not decoded.
std::pair<std::string_view, std::string_view> SplitTarget(std::string_view target);

}  // namespace madre
