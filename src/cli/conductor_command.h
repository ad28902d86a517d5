// `madre conductor` from its flags, shared with `madre autofix`, which runs the same conductor
// again after its fixes from the settings a report recorded (`options` in test_results.json).
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>

#include "base/status.h"
#include "cli/command_context.h"
#include "cli/conductor.h"

namespace madre::cli {

// The run's settings as written in its report (`options`): everything but --out, --force-fail
// (a drill is never repeated) and the --autofix flags; --flows as an absolute path.
nlohmann::json ConductorArgsToJson(const ConductorArgs& args);
// And back; kInvalidArgument naming what is missing or of the wrong type.
Result<ConductorArgs> ConductorArgsFromJson(const nlohmann::json& options);

// Checks `args` (kInvalidArgument naming the flag) and runs one conductor pass with the
// context's transports, one progress line per phase on `progress`.
Result<ConductorReport> RunConductorFromArgs(CommandContext& ctx, const ConductorArgs& args,
                                             std::ostream& progress);

}  // namespace madre::cli
