// Decoding of Docker Engine API answers (src/adapters/docker/docker_parse.h) and of the /events
// stream (docker_event_parse.h). The first byte picks the decoder ('0'..'5' in the seed
// corpus, any byte modulo 6), the rest is the answer. Answers come from dockerd, but a broken
// or hostile peer on the socket must not crash madre: arbitrary bytes give a value or kInternal.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "adapters/docker/docker_event_parse.h"
#include "adapters/docker/docker_parse.h"
#include "fuzz_check.h"

namespace madre::fuzz {
namespace {

bool Unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

int Hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void CheckEvent(std::string_view line) {
  Result<DockerEvent> event = ParseDockerEvent(line);
  if (!event.ok()) {
    FUZZ_CHECK(event.code() == StatusCode::kInternal);
    return;
  }
  FUZZ_CHECK(event->action.find(':') == std::string::npos);
  FUZZ_CHECK(!event->container_id.empty());
  if (event->exit_code) FUZZ_CHECK(event->action == "die");
  if (!event->health.empty()) FUZZ_CHECK(event->action == "health_status");
  FUZZ_CHECK(event->time == TimePoint(std::chrono::duration_cast<Duration>(
                                std::chrono::nanoseconds(event->time_nano))));
}

// The same lines whether the stream arrives in one piece or cut at `cut`.
void CheckLineSplitter(std::string_view stream, std::size_t cut) {
  constexpr std::size_t kMaxLine = 256;
  std::vector<std::string> whole, pieces;
  LineSplitter one(kMaxLine), two(kMaxLine);
  auto collect = [](std::vector<std::string>& into) {
    return [&into](std::string_view line) { into.emplace_back(line); };
  };
  one.Append(stream, collect(whole));
  cut = std::min(cut, stream.size());
  two.Append(stream.substr(0, cut), collect(pieces));
  two.Append(stream.substr(cut), collect(pieces));
  FUZZ_CHECK(whole == pieces);
  for (const std::string& line : whole) {
    FUZZ_CHECK(!line.empty() && line.size() <= kMaxLine);
    FUZZ_CHECK(line.find('\n') == std::string::npos);
    FUZZ_CHECK(line.back() != '\r');
    CheckEvent(line);
  }
}

void CheckMisc(std::string_view text) {
  const std::string encoded = PercentEncode(text);
  std::string decoded;
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    if (encoded[i] == '%') {
      FUZZ_CHECK(i + 2 < encoded.size() && Hex(encoded[i + 1]) >= 0 && Hex(encoded[i + 2]) >= 0);
      decoded.push_back(static_cast<char>(Hex(encoded[i + 1]) * 16 + Hex(encoded[i + 2])));
      i += 2;
    } else {
      FUZZ_CHECK(Unreserved(static_cast<unsigned char>(encoded[i])));
      decoded.push_back(encoded[i]);
    }
  }
  FUZZ_CHECK(decoded == text);

  if (IsValidContainerRef(text)) {
    FUZZ_CHECK(PercentEncode(text) == text);  // safe in a URL path as it is
    FUZZ_CHECK(text.find('/') == std::string_view::npos && text.front() != '.' &&
               text.front() != '-');
  }
  const std::string health = ParseHealthFromStatus(text);
  FUZZ_CHECK(health.empty() || health == "healthy" || health == "unhealthy" ||
             health == "starting");
  const std::string version = ChooseApiVersion(text);
  // It goes into request paths ("/v1.41/..."): digits '.' digits, never above the tested one.
  const std::size_t dot = version.find('.');
  FUZZ_CHECK(dot != std::string::npos && dot > 0 && dot + 1 < version.size());
  FUZZ_CHECK(version.find_first_not_of("0123456789.") == std::string::npos);
  FUZZ_CHECK(std::stoi(version.substr(0, dot)) <= 1);
  if (Result<std::string> path = UnixSocketPathFromDockerHost(text); path.ok()) {
    FUZZ_CHECK(!path->empty() && path->front() == '/');
  }
  (void)EngineErrorMessage(text);
  (void)ParseApiVersion(text);
  (void)IsExecAction(text);
}

}  // namespace
}  // namespace madre::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace madre;
  using namespace madre::fuzz;
  if (size == 0) return 0;
  const std::string_view text = AsText(data + 1, size - 1);
  switch (data[0] % 6) {
    case 0: {
      Result<std::vector<ContainerState>> list = ParseContainerList(text);
      if (!list.ok()) FUZZ_CHECK(list.code() == StatusCode::kInternal);
      break;
    }
    case 1: {
      Result<ContainerState> c = ParseInspect(text);
      if (!c.ok()) {
        FUZZ_CHECK(c.code() == StatusCode::kInternal);
      } else if (c->exit_code) {
        FUZZ_CHECK(c->state == "exited" || c->state == "dead" || c->state == "restarting");
      }
      break;
    }
    case 2: {
      Result<std::string> logs = DemuxDockerLogs(text);
      if (!logs.ok()) {
        FUZZ_CHECK(logs.code() == StatusCode::kInternal);
      } else {
        FUZZ_CHECK(logs->size() <= text.size());
        const bool framed = text.size() >= 8 && static_cast<unsigned char>(text[0]) <= 3 &&
                            text[1] == 0 && text[2] == 0 && text[3] == 0;
        if (!framed) FUZZ_CHECK(*logs == text);  // TTY output is passed through
      }
      break;
    }
    case 3:
      CheckEvent(text);
      break;
    case 4: {
      // The second byte (if any) says where the stream is cut in two.
      const std::size_t cut = text.empty() ? 0 : static_cast<unsigned char>(text[0]);
      CheckLineSplitter(text.empty() ? text : text.substr(1), cut);
      break;
    }
    case 5:
      CheckMisc(text);
      break;
  }
  return 0;
}
