// madre in a container of the stack it manages (deploy/compose.madre.yml, docs/running.md):
// which container is its own, so that it never stops, restarts or recreates it. Docker
// bind-mounts /etc/hostname, /etc/hosts and /etc/resolv.conf from
// <data-root>/containers/<id>/, which /proc/self/mountinfo shows with every network mode
// (the hostname does not name the container under `network_mode: host`); cgroup v1 paths
// (/docker/<id>, docker-<id>.scope) are the fallback. Pure functions over the files' text.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "core/model.h"

namespace madre {

// The full (64 hex digit) id of the Docker container the process runs in, from the text of
// /proc/self/mountinfo and of /proc/self/cgroup; nullopt outside a Docker container.
std::optional<std::string> SelfContainerId(std::string_view mountinfo, std::string_view cgroup);

// madre's own container among the project's (`observed`): the one whose id (full or
// abbreviated, at least 12 digits) is the start of `self_id`. nullopt when madre does not run
// in a container of this project.
std::optional<ContainerState> FindSelfContainer(std::string_view self_id,
                                                const std::vector<ContainerState>& observed);

// The refusal of an action on madre's own service (kFailedPrecondition): `verb` is "stop",
// "restart", ...
Status SelfActionRefused(std::string_view service, std::string_view verb);

}  // namespace madre
