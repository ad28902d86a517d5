// Small text helpers every layer uses.
#pragma once

#include <string>
#include <string_view>

namespace madre {

// `text` without leading and trailing blanks (space, tab, CR, LF): what a token file or a
// setting holds once an editor's trailing newline or a CRLF is taken away.
std::string TrimBlanks(std::string_view text);
// The same, as a view into `text`.
std::string_view TrimBlanksView(std::string_view text);

}  // namespace madre
