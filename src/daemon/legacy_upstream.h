// The transport of the forwards to the original madre (VX11_LEGACY_MADRE_URL): one blocking
// HTTP/1.1 call per forward (adapters/httpclient), bounded by the forward timeout and the
// answer's size, and cancellable all at once at shutdown so that no worker waits for a slow
// upstream then.
#pragma once

#include <cstddef>
#include <mutex>
#include <set>

#include "adapters/httpclient/http_client.h"
#include "daemon/config.h"
#include "http_api/legacy_forward.h"

namespace madre {

// The forwarder's options for `config`: url empty when VX11_LEGACY_MADRE_URL is unset.
LegacyForwardOptions LegacyForwardOptionsOf(const DaemonConfig& config);

class LegacyUpstream {
 public:
  explicit LegacyUpstream(const LegacyMadreUrl& url, Duration timeout, std::size_t max_body_bytes);
  LegacyUpstream(const LegacyUpstream&) = delete;
  LegacyUpstream& operator=(const LegacyUpstream&) = delete;

  // LegacyTransport: any thread, several at once. Errors: those of HttpCall (kUnavailable,
  // kDeadlineExceeded, kPayloadTooLarge, kInternal); kUnavailable "cancelled" after CancelAll.
  Result<LegacyAnswer> Call(const LegacyCall& call);
  // Ends every running call at once, and every later one before it connects. Any thread.
  void CancelAll();

 private:
  HttpEndpoint endpoint_;
  Duration timeout_;
  std::size_t max_body_bytes_;
  std::mutex mu_;
  bool cancelled_ = false;         // guarded by mu_
  std::set<HttpCancel*> running_;  // guarded by mu_
};

}  // namespace madre
