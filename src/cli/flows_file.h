// A conductor flows file (`madre conductor --flows FILE`, `madre flows --flows FILE`): flows of
// several steps, in TOML.
//
//   [[flow]]
//   service = "spawner"
//   name = "daughter"
//     [[flow.step]]
//     request = "POST http://127.0.0.1:8008/task"
//     body = '{"kind": "daughter"}'
//     expect_status = "201"                  # or [201, 202]; default 200
//     capture = { task = "json:/task_id" }   # later steps use ${task}
//     [[flow.step]]
//     request = "GET http://127.0.0.1:8008/task/${task}"
//     until = "json:/state=done"             # polled every poll_ms (500), max_polls times
//     max_polls = 20
//     expect_body = "contains:done"
//     timeout_ms = 2000                      # per answer; default 5000
//
// Every error names the file and line.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "api/flow.h"
#include "base/status.h"

namespace madre::cli {

// `origin` names the text in errors (the file's path).
Result<std::vector<Flow>> ParseFlowsToml(const std::string& text, const std::string& origin);
Result<std::vector<Flow>> LoadFlowsFile(const std::filesystem::path& path);

}  // namespace madre::cli
