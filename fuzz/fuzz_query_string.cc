// Request targets (src/adapters/http/query_string.h): SplitTarget, ParseQueryString and
// PercentDecode on arbitrary targets, plus the window-id check the router applies to the raw
// (undecoded) path segment of GET /madre/power/windows/{id}.
// Properties: decoding never grows the text; text without '%' (and '+') decodes to itself;
// decoding a full %XX encoding gives the bytes back; the query map holds the first occurrence
// of each key; splitting a target loses nothing; a path segment accepted as a window id
// cannot climb out of its directory nor smuggle an escape.
// Also the CLI's URL parser (src/adapters/httpclient/http_client.h, ParseHttpUrl) on the same
// text: an accepted URL has a host, a port, an origin-form target without a fragment, and
// parses again to the same thing from its parts.
#include <cstddef>
#include <cstdint>
#include <string>

#include "adapters/http/query_string.h"
#include "adapters/httpclient/http_client.h"
#include "api/json_codec.h"
#include "fuzz_check.h"

namespace madre::fuzz {
namespace {

std::string EncodeEveryByte(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    out.push_back('%');
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xF]);
  }
  return out;
}

void CheckDecode(std::string_view text) {
  for (bool plus : {false, true}) {
    const std::string decoded = PercentDecode(text, plus);
    FUZZ_CHECK(decoded.size() <= text.size());
    if (text.find('%') == std::string_view::npos &&
        (!plus || text.find('+') == std::string_view::npos)) {
      FUZZ_CHECK(decoded == text);
    }
    FUZZ_CHECK(PercentDecode(EncodeEveryByte(text), plus) == text);
  }
}

void CheckQuery(std::string_view query) {
  const std::map<std::string, std::string> params = ParseQueryString(query);
  // First occurrence wins: the first piece's key maps to the first piece's value.
  std::string_view rest = query;
  while (!rest.empty()) {
    const std::size_t amp = rest.find('&');
    const std::string_view piece = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (piece.empty()) continue;
    const std::size_t eq = piece.find('=');
    const std::string key = PercentDecode(piece.substr(0, eq), true);
    const std::string value =
        eq == std::string_view::npos ? std::string() : PercentDecode(piece.substr(eq + 1), true);
    auto it = params.find(key);
    FUZZ_CHECK(it != params.end());
    FUZZ_CHECK(it->second == value);
    break;
  }
  std::size_t pieces = 0;
  for (std::string_view r = query; !r.empty();) {
    const std::size_t amp = r.find('&');
    if (amp != 0) ++pieces;
    if (amp == std::string_view::npos) break;
    r.remove_prefix(amp + 1);
  }
  FUZZ_CHECK(params.size() <= pieces);
}

void CheckTarget(std::string_view target) {
  const auto [path, query] = SplitTarget(target);
  FUZZ_CHECK(path.find('?') == std::string_view::npos);
  if (path.size() == target.size()) {
    FUZZ_CHECK(query.empty());
  } else {
    FUZZ_CHECK(std::string(path) + "?" + std::string(query) == target);
  }
  CheckQuery(query);
  // The router takes everything after "/madre/power/windows/" as the id, undecoded.
  constexpr std::string_view kWindows = "/madre/power/windows/";
  if (path.substr(0, kWindows.size()) == kWindows) {
    const std::string_view id = path.substr(kWindows.size());
    if (IsValidWindowId(id)) {
      FUZZ_CHECK(id.find_first_of("/\\%?#\0", 0, 6) == std::string_view::npos);
    }
  }
}

void CheckUrl(std::string_view text) {
  for (std::string candidate : {std::string(text), "http://" + std::string(text)}) {
    Result<ParsedHttpUrl> url = ParseHttpUrl(candidate);
    if (!url.ok()) {
      FUZZ_CHECK(url.status().code() == StatusCode::kInvalidArgument);
      continue;
    }
    FUZZ_CHECK(!url->endpoint.address.empty());
    FUZZ_CHECK(url->endpoint.port != 0);
    FUZZ_CHECK(!url->endpoint.unix_socket);
    FUZZ_CHECK(!url->target.empty() && url->target.front() == '/');
    FUZZ_CHECK(url->target.find('#') == std::string::npos);
    Result<ParsedHttpUrl> again = ParseHttpUrl("http://" + url->host_header + url->target);
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(again->endpoint.address == url->endpoint.address);
    FUZZ_CHECK(again->endpoint.port == url->endpoint.port);
    FUZZ_CHECK(again->target == url->target);
  }
}

}  // namespace
}  // namespace madre::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace madre::fuzz;
  const std::string_view text = AsText(data, size);
  CheckDecode(text);
  CheckTarget(text);
  CheckUrl(text);
  return 0;
}
