// Request bodies (SPEC §5): ParseOpenBody, ParseWindowIdBody, ParseJsonObject and the error
// encoding, on arbitrary bytes. Besides "no crash, no exception", every accepted value must
// respect the limits the decoders promise, and every error must be a 4xx JSON error.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "api/json_codec.h"
#include "fuzz_check.h"

namespace madre::fuzz {
namespace {

using nlohmann::json;

bool Blank(std::string_view text) {
  for (char c : text) {
    if (!std::isspace(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// The error body the router would send must be JSON {"detail","code"} with a 4xx status.
void CheckClientError(const Status& status) {
  FUZZ_CHECK(!status.ok());
  const int http = HttpStatusFor(status.code());
  FUZZ_CHECK(http >= 400 && http < 500);
  const json reparsed = json::parse(Dump(ErrorToJson(status)), nullptr, false);
  FUZZ_CHECK(reparsed.is_object());
  FUZZ_CHECK(reparsed.contains("detail") && reparsed["detail"].is_string());
  FUZZ_CHECK(reparsed.contains("code") && reparsed["code"].is_string());
}

bool ReferenceWindowId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

void FuzzJsonObject(std::string_view body) {
  Result<json> strict = ParseJsonObject(body, /*allow_empty=*/false);
  Result<json> lenient = ParseJsonObject(body, /*allow_empty=*/true);
  if (strict.ok()) {
    FUZZ_CHECK(strict->is_object());
    FUZZ_CHECK(lenient.ok() && *lenient == *strict);
  } else {
    FUZZ_CHECK(strict.code() == StatusCode::kInvalidArgument);
    CheckClientError(strict.status());
  }
  if (Blank(body)) {
    FUZZ_CHECK(!strict.ok());
    FUZZ_CHECK(lenient.ok() && lenient->is_object() && lenient->empty());
  }
  if (!lenient.ok()) CheckClientError(lenient.status());
}

void FuzzOpenBody(std::string_view body) {
  Result<OpenBody> open = ParseOpenBody(body);
  if (!open.ok()) {
    FUZZ_CHECK(open.code() == StatusCode::kInvalidArgument);
    CheckClientError(open.status());
    return;
  }
  FUZZ_CHECK(ParseJsonObject(body, /*allow_empty=*/false).ok());
  FUZZ_CHECK(!open->services.empty() && open->services.size() <= 256);
  FUZZ_CHECK(open->mode == "ttl" || open->mode == "hold");
  FUZZ_CHECK(open->reason.size() <= 512);
  FUZZ_CHECK(open->ttl_given == open->ttl_sec.has_value());
  if (open->wait_timeout_sec) {
    FUZZ_CHECK(*open->wait_timeout_sec >= 1 && *open->wait_timeout_sec <= 3600);
  }
  // Whatever the names are, echoing them in an answer must not throw (Dump replaces bad UTF-8).
  const std::string echoed = Dump(json{{"services", open->services}, {"reason", open->reason}});
  FUZZ_CHECK(json::parse(echoed, nullptr, false).is_object());
}

void FuzzWindowIdBody(std::string_view body) {
  Result<std::optional<std::string>> id = ParseWindowIdBody(body);
  if (!id.ok()) {
    FUZZ_CHECK(id.code() == StatusCode::kInvalidArgument || id.code() == StatusCode::kNotFound);
    CheckClientError(id.status());
    return;
  }
  FUZZ_CHECK(ParseJsonObject(body, /*allow_empty=*/true).ok());
  if (id->has_value()) {
    FUZZ_CHECK(IsValidWindowId(**id));
    // Ids end up in SQL parameters and log lines, never paths: no separators, no escapes.
    FUZZ_CHECK((*id)->find_first_of("/\\%\0\n\r ", 0, 7) == std::string::npos);
  }
}

// Dump() of arbitrary bytes: never throws, always valid JSON, and lossless for valid UTF-8.
void FuzzDump(std::string_view text) {
  const std::string dumped = Dump(json(std::string(text)));
  const json back = json::parse(dumped, nullptr, false);
  FUZZ_CHECK(back.is_string());
  bool valid_utf8 = true;
  try {
    (void)json(std::string(text)).dump();
  } catch (const json::exception&) {
    valid_utf8 = false;
  }
  if (valid_utf8) FUZZ_CHECK(back.get<std::string>() == text);
}

}  // namespace
}  // namespace madre::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace madre::fuzz;
  const std::string_view body = AsText(data, size);
  FuzzJsonObject(body);
  FuzzOpenBody(body);
  FuzzWindowIdBody(body);
  FuzzDump(body);
  FUZZ_CHECK(madre::IsValidWindowId(body) == ReferenceWindowId(body));
  return 0;
}
