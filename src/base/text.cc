#include "base/text.h"

namespace madre {

std::string_view TrimBlanksView(std::string_view text) {
  constexpr std::string_view kBlanks = " \t\r\n";
  const std::size_t first = text.find_first_not_of(kBlanks);
  if (first == std::string_view::npos) return {};
  const std::size_t last = text.find_last_not_of(kBlanks);
  return text.substr(first, last - first + 1);
}

std::string TrimBlanks(std::string_view text) { return std::string(TrimBlanksView(text)); }

}  // namespace madre
