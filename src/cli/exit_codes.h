// Exit codes of the `madre` client commands. The table is printed in the
// `madre --help` footer (ExitCodesHelp) and documented in commands.h.
#pragma once

#include <string>

namespace madre::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;      // anything not listed below
inline constexpr int kExitUsage = 2;      // bad arguments (CLI11 parse errors, HTTP 400)
inline constexpr int kExitAuth = 3;       // HTTP 401 / 403
inline constexpr int kExitNotFound = 4;   // HTTP 404
inline constexpr int kExitConflict = 5;   // HTTP 409 / 422
inline constexpr int kExitDocker = 6;     // HTTP 500 / 503, or a window that failed
inline constexpr int kExitTimeout = 7;    // client-side timeout or HTTP 504
inline constexpr int kExitNoConnect = 8;  // madre could not be reached
// `madre autofix` (and its exit code only: `conductor --autofix` keeps the run's):
inline constexpr int kExitNotFixed = 9;           // a failure was not fixed
inline constexpr int kExitAwaitingApproval = 10;  // a remediation waits for approval

struct ExitCodeDoc {
  int code;
  const char* meaning;
};

inline constexpr ExitCodeDoc kExitCodeTable[] = {
    {kExitOk, "ok"},
    {kExitError, "any other error"},
    {kExitUsage, "usage error (bad arguments, HTTP 400)"},
    {kExitAuth, "authentication refused (HTTP 401/403)"},
    {kExitNotFound, "not found (HTTP 404)"},
    {kExitConflict, "conflict (HTTP 409/422: window limit, window not open, not in allowlist)"},
    {kExitDocker, "docker failure (HTTP 500/503, window failed)"},
    {kExitTimeout, "timeout (client-side or HTTP 504)"},
    {kExitNoConnect, "cannot connect to madre"},
    {kExitNotFixed,
     "autofix: a failure was not fixed (not_fixed, quarantined, manual, or no incident)"},
    {kExitAwaitingApproval, "autofix: a remediation waits for approval (madre intent approve ID)"},
};

// "Exit codes:\n  0  ok\n  1  ..." for the --help footer.
std::string ExitCodesHelp();

// The exit code for an HTTP status that is not 2xx (2xx gives kExitOk).
int ExitCodeForHttpStatus(int http_status);

}  // namespace madre::cli
