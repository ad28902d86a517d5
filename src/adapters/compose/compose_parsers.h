// Pure parsers for what Docker Compose and `docker inspect` print.
//
// All of them accept arbitrary bytes: they never crash and never throw. Junk
// gives kInvalidArgument with a message that says what was wrong. Because the
// process runner interleaves stderr with stdout, they skip warning lines that
// compose or docker print around the document (e.g. "WARNING: The FOO
// variable is not set").
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "adapters/compose/compose_argv.h"
#include "base/status.h"
#include "core/model.h"

namespace madre {

// `docker compose config --format json` (v2): the `services` map.
// - depends_on: a map {name: {condition, ...}} (v2) or a list of names.
// - labels: a map or a list of "key=value" (a bare "key" gives "").
// - healthcheck: has_healthcheck unless it is absent, `disable: true`, or its
//   test is ["NONE"] / "NONE". A healthcheck without `test` counts (it tunes
//   the image's own check).
// - profiles, container_name.
// - stop_grace_period: a Go duration ("10s", "1m30s", "500ms", "1.5s"), rounded
//   up to whole seconds; a bare number is seconds; default 10.
// - build: context (absolute, as `config` prints it) and dockerfile (made absolute against the
//   context; "Dockerfile" when absent); the short form `build: <context>` too.
// - image: as written ("" when absent; see NameBuiltImages).
// - Service names must pass IsValidServiceName, or the model is rejected.
Result<ServiceModel> ParseConfigJson(std::string_view text);

// `docker-compose config` (v1): the same model from YAML.
Result<ServiceModel> ParseConfigYaml(std::string_view text);

// `docker compose ps --all --format json` (v2): one JSON array (Compose
// < 2.21) or one JSON object per line (Compose >= 2.21). Fields: Service, Name
// (or Names), ID, State, Health, ExitCode. When Health is missing it is taken
// from Status text ("Up 2 minutes (healthy)"), and so is State when missing
// ("Exited (3) 5 seconds ago"). exit_code is set for exited and dead
// containers only. Empty output is an empty list.
Result<std::vector<ContainerState>> ParsePsJson(std::string_view text);

// `docker inspect <ids>...`: a JSON array. Name (without the leading '/'), Id,
// State.Status, State.Health.Status, RestartCount, State.ExitCode (set for
// exited and dead containers only), and the service from
// Config.Labels["com.docker.compose.service"]. Empty output is an empty list.
Result<std::vector<ContainerState>> ParseInspectJson(std::string_view text);

// The container ids in `docker-compose ps -q` output: lines that are hex ids;
// any other line (a warning) is skipped.
std::vector<std::string> ParseContainerIds(std::string_view text);

// Seconds from a compose duration ("1m30s", "500ms", "90"), rounded up;
// nullopt when it is not one.
std::optional<int> ParseComposeDurationSec(std::string_view text);

// The name compose gives the image it builds for a service without `image:`: v1
// `<project>_<service>`, v2 `<project>-<service>` (the project lowercased, as compose does).
std::string BuiltImageName(ComposeFlavor flavor, std::string_view project,
                           std::string_view service);

// Sets `image` of every service with `build:` and no `image:` to BuiltImageName.
void NameBuiltImages(ServiceModel& model, ComposeFlavor flavor, std::string_view project);

}  // namespace madre
