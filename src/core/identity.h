// Who is asking: the caller of an HTTP request, named by its token (VX11_TOKEN is the admin
// named "default"; VX11_TOKENS_FILE names more), or a token-less component of
// VX11_INTENT_OPEN_SOURCES ("open:<source>", no role beyond submitting intents).
//
// Roles form a ladder: each one may do what the ones below it may.
//   viewer    reads (state, status, audit, events, intents, builds)
//   submitter submits intents
//   operator  windows, services, approving and rejecting intents
//   admin     everything (SOLO_MADRE apply, ...)
// Pure values.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace madre {

enum class Role { kViewer = 0, kSubmitter = 1, kOperator = 2, kAdmin = 3 };

const char* RoleName(Role role);                       // "viewer", "submitter", ...
std::optional<Role> ParseRole(std::string_view text);  // nullopt for anything else
inline bool RoleAllows(Role have, Role need) {
  return static_cast<int>(have) >= static_cast<int>(need);
}

struct Caller {
  std::string name;  // the token's name ("default" for VX11_TOKEN); "open:<source>" token-less
  Role role = Role::kViewer;
  std::string peer;         // the client's address ("127.0.0.1:51234")
  bool token_less = false;  // an open source without a token: may only submit intents

  // The audit actor: "<name>@<peer>" ("default@127.0.0.1:51234"); the name alone without a peer.
  std::string AuditActor() const;

  friend bool operator==(const Caller&, const Caller&) = default;
};

// A token named in VX11_TOKENS_FILE: its name, its role and the SHA-256 of the token (64
// lower-case hex characters; the token itself is never stored).
struct TokenEntry {
  std::string name;
  Role role = Role::kViewer;
  std::string token_sha256;

  friend bool operator==(const TokenEntry&, const TokenEntry&) = default;
};

}  // namespace madre
