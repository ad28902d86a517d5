#include "core/host_check.h"

#include <algorithm>
#include <cctype>

namespace madre {

namespace {

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool IsWildcard(std::string_view bind) {
  return bind.empty() || bind == "0.0.0.0" || bind == "::" || bind == "[::]" || bind == "*";
}

// "::1" -> "[::1]"; names and IPv4 addresses as they are.
std::string Bracketed(const std::string& address) {
  if (address.find(':') != std::string::npos && address.front() != '[') {
    return "[" + address + "]";
  }
  return address;
}

bool AllDigits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(),
                                      [](unsigned char c) { return std::isdigit(c) != 0; });
}

}  // namespace

HostAllowlist MakeHostAllowlist(std::string_view bind, int port,
                                const std::set<std::string>& extra) {
  HostAllowlist out{.names = {"localhost", "127.0.0.1", "[::1]"}, .port = port};
  if (!IsWildcard(bind)) out.names.insert(Bracketed(Lower(bind)));
  for (const std::string& name : extra) {
    if (!name.empty()) out.names.insert(Bracketed(Lower(name)));
  }
  return out;
}

std::optional<std::string> CheckHost(const HostAllowlist& allowed, std::string_view host_header) {
  const std::string suffix =
      " (allowed: localhost, 127.0.0.1, [::1], the bind address and VX11_UI_HOSTS" +
      (allowed.port > 0 ? ", with port " + std::to_string(allowed.port) : std::string()) + ")";
  if (host_header.empty()) return "the Host header is missing" + suffix;
  const std::string host = Lower(host_header);
  std::string name = host;
  std::string port;
  bool has_port = false;
  if (host.front() == '[') {
    const auto close = host.find(']');
    if (close == std::string::npos) return "the Host header \"" + host + "\" is malformed";
    name = host.substr(0, close + 1);
    if (close + 1 < host.size()) {
      if (host[close + 1] != ':') return "the Host header \"" + host + "\" is malformed";
      port = host.substr(close + 2);
      has_port = true;
    }
  } else if (const auto colon = host.find(':'); colon != std::string::npos) {
    name = host.substr(0, colon);
    port = host.substr(colon + 1);
    has_port = true;
  }
  if (!allowed.names.count(name)) return "the Host \"" + host + "\" is not allowed" + suffix;
  if (has_port && !AllDigits(port)) {
    return "the Host header \"" + host + "\" is malformed";
  }
  if (allowed.port > 0) {
    const std::string want = std::to_string(allowed.port);
    if (has_port ? port != want : allowed.port != 80) {
      return "the Host \"" + host + "\" does not name madre's port" + suffix;
    }
  }
  return std::nullopt;
}

}  // namespace madre
