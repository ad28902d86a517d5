// One HTTP/1.1 call to a URL on the network, for the LLM adviser (chat completions) and the
// webhooks: over TLS (Boost.Beast + OpenSSL: SNI set, the certificate verified against the
// system store and an optional extra CA file, the host name checked) for https://, or plain
// HTTP through adapters/httpclient for http://. One connection and one io_context per call, so
// calls from several threads are independent. Beast and OpenSSL live in web_client.cc only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "adapters/httpclient/http_client.h"
#include "base/status.h"
#include "base/time.h"

namespace madre {

struct WebUrl {
  bool tls = false;
  std::string host;  // a name or an IP literal (without brackets)
  std::uint16_t port = 0;
  std::string host_header;  // "host[:port]" as written
  std::string target;       // "/v1/chat/completions"
  std::string text;         // as given
};

// "https://host[:port]/path" (port 443 by default) or "http://host[:port]/path" (80).
// kInvalidArgument for any other scheme or a malformed URL. Says nothing about loopback: the
// daemon refuses the adviser plain http to any other host (MakeAdviser).
Result<WebUrl> ParseWebUrl(std::string_view url);

struct WebCallOptions {
  Duration timeout = Seconds(30);  // the whole call: resolve, connect, handshake, send, read
  std::string ca_file;             // PEM, trusted besides the system store ("" : none)
  std::size_t max_body_bytes = 8 << 20;
  // Ends the call at once from another thread (kUnavailable "cancelled"); may be null.
  HttpCancel* cancel = nullptr;
};

// POSTs `request` (its method, host and headers as given) to `url`. Any HTTP status is an
// answer. Errors: kDeadlineExceeded after the timeout, kUnavailable when the host cannot be
// reached or the connection is lost, kFailedPrecondition when the TLS handshake fails (an
// untrusted certificate says so), kInvalidArgument for a CA file that cannot be read,
// kPayloadTooLarge, kInternal for an answer that is not HTTP.
Result<HttpClientResponse> WebCall(const WebUrl& url, const HttpClientRequest& request,
                                   const WebCallOptions& options);

}  // namespace madre
