// The Host header check against DNS rebinding (issue 14): a page of another site whose name
// was rebound to madre's address must not read madre's token-less routes (the console at /ui/,
// /health, /openapi.json, a public /metrics). Allowed are the loopback names (`localhost`,
// `127.0.0.1`, `[::1]`), the bind address unless it is a wildcard, and the names of
// VX11_UI_HOSTS, each with madre's port. Pure values.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace madre {

struct HostAllowlist {
  std::set<std::string> names;  // lower case, without port; IPv6 addresses in brackets
  int port = 0;                 // the listening port; 0: any port (an ephemeral bind)
};

// The allowlist of a madre bound to `bind` (an address: "127.0.0.1", "::1", "0.0.0.0") on
// `port`, with `extra` names (VX11_UI_HOSTS, any case).
HostAllowlist MakeHostAllowlist(std::string_view bind, int port,
                                const std::set<std::string>& extra);

// nullopt when `host_header` (the request's Host: "name", "name:port", "[v6]:port") names an
// allowed host with the port (without a port: only when the port is 80); else why not, a
// sentence for the error's detail.
std::optional<std::string> CheckHost(const HostAllowlist& allowed, std::string_view host_header);

}  // namespace madre
