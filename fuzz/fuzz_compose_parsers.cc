// What Docker Compose and `docker inspect` print (src/adapters/compose/compose_parsers.h). The
// first byte picks the parser ('0'..'5' in the seed corpus, any byte modulo 6), the rest is the
// text. The parsers promise: arbitrary bytes never crash nor throw, junk is kInvalidArgument,
// and an accepted model / container list respects the documented shape.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "adapters/compose/compose_argv.h"
#include "adapters/compose/compose_parsers.h"
#include "fuzz_check.h"

namespace madre::fuzz {
namespace {

bool IsHex(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  });
}

void CheckModel(const Result<ServiceModel>& model) {
  if (!model.ok()) {
    FUZZ_CHECK(model.code() == StatusCode::kInvalidArgument);
    return;
  }
  for (const auto& [name, def] : model->services) {
    FUZZ_CHECK(name == def.name);
    // Names reach compose command lines: the parser must have rejected anything else.
    FUZZ_CHECK(IsValidServiceName(name));
    FUZZ_CHECK(std::is_sorted(def.depends_on.begin(), def.depends_on.end()));
    FUZZ_CHECK(std::adjacent_find(def.depends_on.begin(), def.depends_on.end()) ==
               def.depends_on.end());
    FUZZ_CHECK(def.stop_grace_sec >= 0);
  }
}

void CheckContainers(const Result<std::vector<ContainerState>>& list) {
  if (!list.ok()) {
    FUZZ_CHECK(list.code() == StatusCode::kInvalidArgument);
    return;
  }
  for (const ContainerState& c : *list) {
    // exit_code is set for exited and dead containers only.
    if (c.exit_code) FUZZ_CHECK(c.state == "exited" || c.state == "dead");
  }
}

}  // namespace
}  // namespace madre::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace madre;
  using namespace madre::fuzz;
  if (size == 0) return 0;
  const std::string_view text = AsText(data + 1, size - 1);
  switch (data[0] % 6) {
    case 0:
      CheckModel(ParseConfigJson(text));
      break;
    case 1:
      CheckModel(ParseConfigYaml(text));
      break;
    case 2:
      CheckContainers(ParsePsJson(text));
      break;
    case 3:
      CheckContainers(ParseInspectJson(text));
      break;
    case 4:
      for (const std::string& id : ParseContainerIds(text)) {
        FUZZ_CHECK(IsHex(id));
        FUZZ_CHECK(text.find(id) != std::string_view::npos);
      }
      break;
    case 5: {
      const std::optional<int> sec = ParseComposeDurationSec(text);
      if (sec) FUZZ_CHECK(*sec >= 0);
      // A bare non-negative integer of seconds is itself.
      if (!text.empty() && text.size() <= 9 &&
          std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        FUZZ_CHECK(sec && *sec == std::stoi(std::string(text)));
      }
      break;
    }
  }
  return 0;
}
