#include "cli/client_options.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "base/text.h"

namespace madre::cli {

namespace {

std::string Trim(const std::string& text) { return TrimBlanks(text); }

std::string EnvOr(const GetEnvFn& env, const char* name, const std::string& fallback) {
  std::optional<std::string> value = env(name);
  if (value && !Trim(*value).empty()) return Trim(*value);
  return fallback;
}

std::optional<std::string> ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

GetEnvFn SystemGetEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

std::string ResolveUrl(const std::string& flag_url, const GetEnvFn& env) {
  std::string url = Trim(flag_url);
  if (url.empty()) url = EnvOr(env, "VX11_MADRE_URL", "");
  if (url.empty()) {
    std::string host = EnvOr(env, "VX11_MADRE_BIND", "127.0.0.1");
    if (host == "0.0.0.0" || host == "*") host = "127.0.0.1";
    if (host == "::" || host == "[::]") host = "[::1]";
    if (host.find(':') != std::string::npos && host.front() != '[') host = "[" + host + "]";
    url = "http://" + host + ":" + EnvOr(env, "VX11_MADRE_PORT", "8001");
  }
  if (url.find("://") == std::string::npos) url = "http://" + url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

std::filesystem::path DefaultTokenFile(const GetEnvFn& env) {
  return std::filesystem::path(EnvOr(env, "VX11_STATE_DIR", "./data/madre")) / "token";
}

Result<ResolvedToken> ResolveToken(const std::string& flag_token,
                                   const std::string& flag_token_file, const GetEnvFn& env) {
  if (!Trim(flag_token).empty()) return ResolvedToken{Trim(flag_token), "--token"};
  if (!flag_token_file.empty()) {
    std::optional<std::string> text = ReadFile(flag_token_file);
    if (!text) return Status::NotFound("cannot read token file " + flag_token_file);
    if (Trim(*text).empty())
      return Status::InvalidArgument("token file " + flag_token_file + " is empty");
    return ResolvedToken{Trim(*text), "--token-file"};
  }
  for (const char* name : {"VX11_TENTACULO_LINK_TOKEN", "VX11_TOKEN"}) {
    const std::string value = EnvOr(env, name, "");
    if (!value.empty()) return ResolvedToken{value, name};
  }
  const std::filesystem::path file = DefaultTokenFile(env);
  if (std::optional<std::string> text = ReadFile(file); text && !Trim(*text).empty()) {
    return ResolvedToken{Trim(*text), "token file " + file.string()};
  }
  return ResolvedToken{"", "none"};
}

}  // namespace madre::cli
