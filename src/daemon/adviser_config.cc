#include "daemon/adviser_config.h"

#include <fstream>
#include <sstream>
#include <utility>

#include "adapters/llm/llm_adviser.h"
#include "adapters/webclient/web_client.h"
#include "base/text.h"
#include "daemon/config.h"

namespace madre {

Status CheckAdviserUrl(const std::string& setting, const std::string& url) {
  Result<WebUrl> parsed = ParseWebUrl(url);
  if (!parsed.ok()) return Status::InvalidArgument(setting + ": " + parsed.status().message());
  if (!parsed->tls && !IsLoopbackAddress(parsed->host)) {
    return Status::InvalidArgument(
        setting + "=" + url +
        ": plain http:// is only for a loopback host (the API key and the "
        "prompt would travel in clear text); use https://");
  }
  return Status::Ok();
}

Status ApplyAdviserEnv(const std::function<std::optional<std::string>(const char*)>& get,
                       AdviserConfig& c) {
  if (auto v = get("VX11_AUTOFIX_LLM_URL")) {
    RETURN_IF_ERROR(CheckAdviserUrl("VX11_AUTOFIX_LLM_URL", *v));
    c.url = *v;
  }
  if (auto v = get("VX11_AUTOFIX_LLM_MODEL")) c.model = *v;
  for (const char* name : {"VX11_DEEPSEEK_API_KEY", "DEEPSEEK_API_KEY", "DEEPSEEK_API_TOKEN"}) {
    if (auto v = get(name)) {
      c.key = TrimBlanks(*v);
      c.key_source = name;
      break;
    }
  }
  if (auto v = get("VX11_AUTOFIX_LLM_KEY_FILE")) c.key_file = *v;
  if (auto v = get("VX11_AUTOFIX_LLM_RATE_PER_HOUR")) {
    ASSIGN_OR_RETURN(c.rate_per_hour,
                     ParseIntSetting("VX11_AUTOFIX_LLM_RATE_PER_HOUR", *v, 1, 3600));
  }
  if (auto v = get("VX11_AUTOFIX_LLM_TIMEOUT_SEC")) {
    ASSIGN_OR_RETURN(c.timeout_sec, ParseIntSetting("VX11_AUTOFIX_LLM_TIMEOUT_SEC", *v, 1, 600));
  }
  if (auto v = get("VX11_AUTOFIX_LLM_MASK_NAMES")) {
    ASSIGN_OR_RETURN(c.mask_names, ParseBoolSetting("VX11_AUTOFIX_LLM_MASK_NAMES", *v));
  }
  if (auto v = get("VX11_AUTOFIX_LLM_CA_FILE")) c.ca_file = *v;
  return Status::Ok();
}

Result<std::unique_ptr<Adviser>> MakeAdviser(const AdviserConfig& config,
                                             std::vector<std::string> secrets, const Clock& clock,
                                             std::function<void(Duration)> sleep) {
  if (!config.url) return std::unique_ptr<Adviser>();
  RETURN_IF_ERROR(CheckAdviserUrl("VX11_AUTOFIX_LLM_URL", *config.url));
  std::string key = config.key;
  if (key.empty() && config.key_file) {
    std::ifstream in(*config.key_file);
    if (!in) {
      return Status::NotFound("VX11_AUTOFIX_LLM_KEY_FILE: cannot read " +
                              config.key_file->string());
    }
    std::ostringstream text;
    text << in.rdbuf();
    key = TrimBlanks(text.str());
    if (key.empty()) {
      return Status::InvalidArgument("VX11_AUTOFIX_LLM_KEY_FILE: " + config.key_file->string() +
                                     " is empty");
    }
  }
  if (key.empty()) {
    return Status::InvalidArgument(
        "VX11_AUTOFIX_LLM_URL is set but there is no API key: set VX11_DEEPSEEK_API_KEY, "
        "DEEPSEEK_API_KEY, DEEPSEEK_API_TOKEN or VX11_AUTOFIX_LLM_KEY_FILE");
  }
  LlmAdviserOptions options;
  options.url = *config.url;
  options.model = config.model;
  options.api_key = std::move(key);
  options.rate_per_hour = config.rate_per_hour;
  options.timeout = Seconds(config.timeout_sec);
  options.mask_names = config.mask_names;
  if (config.ca_file) options.ca_file = config.ca_file->string();
  options.secrets = std::move(secrets);
  ASSIGN_OR_RETURN(std::unique_ptr<LlmAdviser> adviser,
                   LlmAdviser::Create(std::move(options), clock, std::move(sleep)));
  return std::unique_ptr<Adviser>(std::move(adviser));
}

}  // namespace madre
