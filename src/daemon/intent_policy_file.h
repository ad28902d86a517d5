// The intent policy file (VX11_INTENT_POLICY_FILE, docs/intents.md): TOML, ordered rules
//
//   [[rule]]
//   name = "queen-windows"   # required, unique; an auto-approval's actor is policy:<name>
//   source = "hormiguero"    # optional; "*" or absent: any
//   type = "window"          # optional; same
//   action = "auto_approve"  # required: auto_approve | require_approval | deny
//   approvers = ["operator"] # optional, require_approval only: roles that may approve
//                            # (submitter, operator, admin; each with the roles above it)
//
//   [sources.hormiguero]     # a source's quota, applied with VX11_INEE_ENABLED=1
//   max_concurrent = 2       # optional, integer >= 0: its intents executing at once (0: no limit)
//   cpu_share_pct = 25       # optional, 0..100: % of the host's CPU its windows' containers
//                            # may use for a new intent of it to be admitted (0: no limit)
//   [sources."*"]            # every source not named (an intent without a source included)
//
// Errors name the file, the rule (1-based index and name) or the source, and the key. An empty file
// is the default policy (every intent needs approval).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "base/status.h"
#include "core/intent_policy.h"

namespace madre {

// `origin` prefixes every error ("policy.toml"). kInvalidArgument.
Result<IntentPolicy> ParseIntentPolicy(std::string_view text, const std::string& origin);
// Reads and parses `path`; kNotFound when it cannot be read.
Result<IntentPolicy> LoadIntentPolicy(const std::filesystem::path& path);

}  // namespace madre
