#include "http_api/ui_assets.h"

namespace madre {

std::optional<UiAsset> FindUiAsset(std::string_view path) {
  if (path == "/ui/" || path == "/ui/index.html") {
    return UiAsset{.body = UiIndexHtml(), .content_type = "text/html; charset=utf-8"};
  }
  if (path == "/ui/app.js") {
    return UiAsset{.body = UiAppJs(), .content_type = "text/javascript; charset=utf-8"};
  }
  if (path == "/ui/style.css") {
    return UiAsset{.body = UiStyleCss(), .content_type = "text/css; charset=utf-8"};
  }
  return std::nullopt;
}

const std::vector<std::pair<std::string, std::string>>& UiSecurityHeaders() {
  static const std::vector<std::pair<std::string, std::string>> kHeaders = {
      {"Content-Security-Policy",
       "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src "
       "'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"},
      {"X-Frame-Options", "DENY"},
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "no-referrer"},
      {"Cache-Control", "no-cache"}};
  return kHeaders;
}

}  // namespace madre
