#include "daemon/legacy_upstream.h"

#include <utility>

namespace madre {

namespace {

// "[::1]" -> "::1": the endpoint takes an address, the Host header the bracketed form.
std::string Unbracketed(const std::string& host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    return host.substr(1, host.size() - 2);
  }
  return host;
}

}  // namespace

LegacyForwardOptions LegacyForwardOptionsOf(const DaemonConfig& config) {
  LegacyForwardOptions options;
  options.timeout = Seconds(config.legacy_forward_timeout_sec);
  if (!config.legacy_madre_url) return options;
  const LegacyMadreUrl& url = *config.legacy_madre_url;
  options.url = url.text;
  options.host = url.host + ":" + std::to_string(url.port);
  options.path_prefix = url.prefix;
  return options;
}

LegacyUpstream::LegacyUpstream(const LegacyMadreUrl& url, Duration timeout,
                               std::size_t max_body_bytes)
    : endpoint_(HttpEndpoint::Tcp(Unbracketed(url.host), static_cast<std::uint16_t>(url.port))),
      timeout_(timeout),
      max_body_bytes_(max_body_bytes) {}

Result<LegacyAnswer> LegacyUpstream::Call(const LegacyCall& call) {
  HttpCancel cancel;
  {
    std::lock_guard lock(mu_);
    if (cancelled_) cancel.Cancel();  // the call returns at once
    running_.insert(&cancel);
  }
  HttpClientRequest request;
  request.method = call.method;
  request.target = call.target;
  request.host = call.host;
  request.headers = call.headers;
  request.body = call.body;
  Result<HttpClientResponse> answer =
      HttpCall(endpoint_, request, timeout_, max_body_bytes_, &cancel);
  {
    std::lock_guard lock(mu_);
    running_.erase(&cancel);
  }
  if (!answer.ok()) return answer.status();
  return LegacyAnswer{.status = answer->status,
                      .headers = std::move(answer->headers),
                      .body = std::move(answer->body)};
}

void LegacyUpstream::CancelAll() {
  std::lock_guard lock(mu_);
  cancelled_ = true;
  for (HttpCancel* cancel : running_) cancel->Cancel();
}

}  // namespace madre
