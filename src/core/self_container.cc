#include "core/self_container.h"

namespace madre {
namespace {

constexpr std::size_t kFullIdLength = 64;
constexpr std::size_t kShortIdLength = 12;

bool IsLowerHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

// The 64 hex digits at `at` in `text` when exactly 64 are there (a longer run is not an id).
std::optional<std::string> IdAt(std::string_view text, std::size_t at) {
  std::size_t end = at;
  while (end < text.size() && IsLowerHex(text[end])) ++end;
  if (end - at != kFullIdLength) return std::nullopt;
  return std::string(text.substr(at, kFullIdLength));
}

// The first id following `marker` in `text` ("/containers/<id>/" or "docker-<id>.scope").
std::optional<std::string> IdAfter(std::string_view text, std::string_view marker,
                                   std::string_view suffix) {
  for (std::size_t at = text.find(marker); at != std::string_view::npos;
       at = text.find(marker, at + 1)) {
    const std::size_t start = at + marker.size();
    std::optional<std::string> id = IdAt(text, start);
    if (id && text.substr(start + kFullIdLength, suffix.size()) == suffix) return id;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> SelfContainerId(std::string_view mountinfo, std::string_view cgroup) {
  // A mountinfo line: "ID PARENT MAJ:MIN ROOT MOUNTPOINT ...": the root of the bind of
  // /etc/hostname is ".../containers/<id>/hostname" (the data root may be a mount of its own,
  // so only the tail is certain).
  if (auto id = IdAfter(mountinfo, "/containers/", "/")) return id;
  // cgroup v1: "12:memory:/docker/<id>" (cgroupfs driver) or
  // "...:/system.slice/docker-<id>.scope" (systemd driver).
  if (auto id = IdAfter(cgroup, "/docker/", "")) return id;
  if (auto id = IdAfter(cgroup, "docker-", ".scope")) return id;
  return std::nullopt;
}

std::optional<ContainerState> FindSelfContainer(std::string_view self_id,
                                                const std::vector<ContainerState>& observed) {
  if (self_id.size() != kFullIdLength) return std::nullopt;
  for (const ContainerState& c : observed) {
    if (c.id.size() < kShortIdLength || c.id.size() > self_id.size()) continue;
    if (self_id.substr(0, c.id.size()) == c.id) return c;
  }
  return std::nullopt;
}

Status SelfActionRefused(std::string_view service, std::string_view verb) {
  return Status::FailedPrecondition(
      "madre runs in the container of service " + std::string(service) + " and does not " +
      std::string(verb) +
      " its own container (it would end itself); use docker-compose on the host for it");
}

}  // namespace madre
