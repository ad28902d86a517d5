// VX11_WEBHOOKS_FILE: where madre posts its events (docs/webhooks.md):
//
//   [webhooks.ops]
//   url = "http://127.0.0.1:9000/hook"   # plain http only
//   events = ["window", "crash_loop"]    # optional; filters as core/webhook.h, default all
//   secret = "..."                       # the HMAC-SHA256 key of X-VX11-Signature
//   # or: secret_file = "/etc/madre/ops.secret"  (relative to the webhooks file)
//
// Refused (kInvalidArgument naming the file, the table and the problem): a TOML error, a key
// other than `webhooks` at the top or other than url, events, secret, secret_file in an entry,
// a name outside [A-Za-z0-9_.-]{1,64}, a missing url or one that is not http://host[:port]/...,
// an unknown filter, no secret or both secret and secret_file, an empty secret or an
// unreadable secret file. `madre serve` (and `--check`) refuse to start on any.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "core/webhook.h"

namespace madre {

// Reads a secret_file (already made absolute); nullopt when it cannot be read.
using SecretFileReader = std::function<std::optional<std::string>(const std::filesystem::path&)>;

// Pure but for `read_secret`: the endpoints of `text`, sorted by name; `origin` names the file
// in errors, `base_dir` makes relative secret_file paths absolute.
Result<std::vector<WebhookEndpoint>> ParseWebhooksFile(std::string_view text,
                                                       const std::string& origin,
                                                       const std::filesystem::path& base_dir,
                                                       const SecretFileReader& read_secret);

// Reads and parses `path`; kInvalidArgument when it or a secret file cannot be read.
Result<std::vector<WebhookEndpoint>> LoadWebhooksFile(const std::filesystem::path& path);

}  // namespace madre
