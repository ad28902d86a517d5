// The settings of autofix's LLM adviser (docs/autofix.md, "The adviser") and the factory that
// builds it. The adviser is on if and only if VX11_AUTOFIX_LLM_URL is set.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/clock.h"
#include "base/status.h"
#include "ports/adviser.h"

namespace madre {

struct AdviserConfig {
  // VX11_AUTOFIX_LLM_URL: https://host[:port]/path (any host) or http:// to loopback only;
  // unset: no adviser. E.g. DeepSeek's https://api.deepseek.com/v1/chat/completions.
  std::optional<std::string> url;
  std::string model = "deepseek-reasoner";  // VX11_AUTOFIX_LLM_MODEL
  // The key, from VX11_DEEPSEEK_API_KEY, DEEPSEEK_API_KEY or DEEPSEEK_API_TOKEN (the first
  // set), else read from key_file by MakeAdviser. Never logged.
  std::string key;
  std::string key_source;                         // the variable's name ("" : none)
  std::optional<std::filesystem::path> key_file;  // VX11_AUTOFIX_LLM_KEY_FILE
  int rate_per_hour = 10;                         // VX11_AUTOFIX_LLM_RATE_PER_HOUR
  int timeout_sec = 30;                           // VX11_AUTOFIX_LLM_TIMEOUT_SEC, per call
  bool mask_names = false;                        // VX11_AUTOFIX_LLM_MASK_NAMES
  std::optional<std::filesystem::path> ca_file;   // VX11_AUTOFIX_LLM_CA_FILE
};

// Reads the adviser's variables through `get` (which answers nullopt for unset or empty).
// kInvalidArgument naming the variable for a bad value, and for an http:// URL whose host is
// not loopback (the key and the prompt would travel in clear text).
Status ApplyAdviserEnv(const std::function<std::optional<std::string>(const char*)>& get,
                       AdviserConfig& config);

// kInvalidArgument naming `setting` when `url` cannot be the adviser's URL (see above).
Status CheckAdviserUrl(const std::string& setting, const std::string& url);

// The adviser for `config`: nullptr when no URL is set. `secrets` are masked in every prompt
// (madre's tokens); `sleep` waits between retries. kInvalidArgument when the URL is set but
// there is no key (none of the variables, no key file), kNotFound when the key file cannot be
// read; the CA file is checked on the first call.
Result<std::unique_ptr<Adviser>> MakeAdviser(const AdviserConfig& config,
                                             std::vector<std::string> secrets, const Clock& clock,
                                             std::function<void(Duration)> sleep);

}  // namespace madre
