#include "cli/command_context.h"

#include <ostream>

#include "cli/window_json.h"

namespace madre::cli {

std::optional<std::int64_t> DurationSeconds(const std::string& text) {
  std::optional<Duration> d = ParseHumanDuration(text);
  if (!d) return std::nullopt;
  return std::chrono::duration_cast<std::chrono::seconds>(*d).count();
}

CommandContext::CommandContext(const CommandEnv& env, const CommonFlags& flags,
                               Duration default_timeout)
    : env_(env), flags_(flags), default_timeout_(default_timeout) {}

std::optional<int> CommandContext::Init() {
  connection_.url = ResolveUrl(flags_.url, env_.getenv);
  Result<ResolvedToken> token = ResolveToken(flags_.token, flags_.token_file, env_.getenv);
  if (!token.ok()) return Fail(kExitUsage, token.status().message());
  connection_.token = token->token;
  connection_.timeout = default_timeout_;
  if (!flags_.timeout.empty()) {
    std::optional<Duration> timeout = ParseHumanDuration(flags_.timeout);
    if (!timeout || *timeout <= Duration::zero()) {
      return Fail(kExitUsage, "--timeout wants a positive duration, got '" + flags_.timeout + "'");
    }
    connection_.timeout = *timeout;
  }
  transport_ = env_.make_transport(connection_);
  if (!transport_) return Fail(kExitError, "no transport to " + connection_.url);
  return std::nullopt;
}

ApiResponse CommandContext::Call(std::string_view method, std::string_view path,
                                 const nlohmann::json& body) {
  return CallApi(*transport_, method, path, body);
}

int CommandContext::Fail(const ApiResponse& response) {
  if (flags_.json && !response.body.is_null()) out() << DumpJson(response.body, 2) << "\n";
  std::string message = response.detail;
  if (response.exit_code == kExitAuth && connection_.token.empty()) {
    message +=
        " (no token found: use --token, --token-file, VX11_TENTACULO_LINK_TOKEN or "
        "VX11_TOKEN)";
  }
  return Fail(response.exit_code, message);
}

int CommandContext::Fail(int exit_code, const std::string& message) {
  err() << "madre: " << message << "\n";
  err().flush();
  return exit_code;
}

int CommandContext::CallAndPrint(std::string_view method, std::string_view path,
                                 const nlohmann::json& body,
                                 const std::function<std::string(const nlohmann::json&)>& render) {
  ApiResponse r = Call(method, path, body);
  if (!r.ok()) return Fail(r);
  if (flags_.json) {
    out() << DumpJson(r.body, 2) << "\n";
  } else {
    out() << render(r.body);
  }
  out().flush();
  return kExitOk;
}

}  // namespace madre::cli
