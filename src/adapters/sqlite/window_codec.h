// The storage encoding of a Window: the `body` column of the `windows` table (docs/storage.md).
// Not the API's wire format (that is api/json_codec): times are integer unix microseconds so that
// every field round-trips exactly, and an absent optional is null.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "core/window.h"

namespace madre {

// Compact JSON object with every field of `window`. Never throws: bytes that are not valid UTF-8
// are replaced by U+FFFD.
std::string EncodeWindow(const Window& window);

// The inverse of EncodeWindow. A missing key takes the Window default (so rows written before a
// field existed still load); a key of the wrong type, an unknown state or close reason, or text
// that is not JSON gives kInternal "corrupt window body: ...".
Result<Window> DecodeWindow(std::string_view body);

}  // namespace madre
