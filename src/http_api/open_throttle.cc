#include "http_api/open_throttle.h"

#include <spdlog/spdlog.h>

#include <cstdio>

namespace madre {

OpenThrottle::OpenThrottle(ThrottleOptions options, Deps deps)
    : options_(options), deps_(std::move(deps)) {}

bool OpenThrottle::enabled() const {
  return options_.cpu_pct > 0 && options_.cpu_pct < 100 && deps_.busy && deps_.after;
}

void OpenThrottle::Start() {
  if (enabled() && deps_.snapshot) FeedMeter();
}

void OpenThrottle::FeedMeter() {
  deps_.snapshot();
  deps_.after(kMeterPeriod, [this] { FeedMeter(); });
}

void OpenThrottle::Admit(const std::string& actor, std::function<void()> go, Responder respond) {
  if (deps_.hold) {
    if (std::optional<std::string> held = deps_.hold()) {
      spdlog::info("window open refused: {}", *held);
      return Refuse(actor, "refused: " + *held + "; retry later", std::move(respond));
    }
  }
  if (!enabled()) return go();
  ++waiting_;
  Decide(actor, 0, false, std::move(go), std::move(respond));
}

void OpenThrottle::Decide(std::string actor, int attempt, bool looked_again,
                          std::function<void()> go, Responder respond) {
  const std::optional<double> busy = deps_.busy();
  if (!busy && !looked_again) {
    // No reading old enough (the meter just kept one): look again in a second.
    return deps_.after(Seconds(1), [this, actor = std::move(actor), attempt, go = std::move(go),
                                    respond = std::move(respond)]() mutable {
      Decide(std::move(actor), attempt, true, std::move(go), std::move(respond));
    });
  }
  const double cpu = busy.value_or(0.0);  // still nothing: no throttling rather than a refusal
  if (cpu <= options_.cpu_pct) {
    --waiting_;
    return go();
  }
  char text[160];
  std::snprintf(text, sizeof text, "host CPU %.0f%% is above %d%% (VX11_THROTTLE_CPU_PCT)", cpu,
                options_.cpu_pct);
  if (options_.wait && attempt < kRetries) {
    spdlog::info("window open throttled ({}): retry {} of {}", text, attempt + 1, kRetries);
    return deps_.after(
        Seconds(1LL << attempt), [this, actor = std::move(actor), attempt, go = std::move(go),
                                  respond = std::move(respond)]() mutable {
          Decide(std::move(actor), attempt + 1, false, std::move(go), std::move(respond));
        });
  }
  --waiting_;
  Refuse(actor, std::string("throttled: ") + text + "; retry later", std::move(respond));
}

void OpenThrottle::Refuse(const std::string& actor, const std::string& message, Responder respond) {
  const Status why = Status::Unavailable(message);
  if (deps_.audit_rejected) deps_.audit_rejected(actor, why);
  HttpResponse response = ErrorResponse(why);
  response.headers.clear();
  response.headers.emplace_back("Retry-After", "10");
  respond(std::move(response));
}

}  // namespace madre
