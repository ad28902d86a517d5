// The operator console (ui/: index.html, app.js, style.css; docs/console.md), built into madre
// by cmake/embed_file.cmake (CMakeLists.txt) and served at /ui/ without a token.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace madre {

// The bytes of each file, generated at build time.
std::string_view UiIndexHtml();
std::string_view UiAppJs();
std::string_view UiStyleCss();

struct UiAsset {
  std::string_view body;
  const char* content_type;
};

// The file of a path under /ui/ ("/ui/" is index.html); nullopt for another path.
std::optional<UiAsset> FindUiAsset(std::string_view path);

// The headers of every /ui/ answer: the Content-Security-Policy (nothing but madre itself, no
// inline script or style, no framing), X-Frame-Options: DENY, nosniff, no referrer.
const std::vector<std::pair<std::string, std::string>>& UiSecurityHeaders();

}  // namespace madre
