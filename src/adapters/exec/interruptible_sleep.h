// A sleep that a shutdown can cut short: the daemon's readiness waits sleep through it, so that
// SIGTERM does not have to wait for a poll interval (or a whole wait) to end.
#pragma once

#include <stop_token>

#include "base/time.h"

namespace madre {

// Sleeps for `duration`, or until `stop` is requested, whichever comes first. Returns false
// when it returned because of `stop` (also when it was requested before the call).
bool SleepUnlessStopped(Duration duration, std::stop_token stop);

}  // namespace madre
