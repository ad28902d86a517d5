// The body of a webhook delivery (docs/webhooks.md): one JSON object
//   {"id": "<event id>", "type": "window.opened", "time": "<RFC 3339>", "data": {...}}
// `id` is also the X-VX11-Delivery header: a receiver deduplicates by it.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "base/time.h"

namespace madre {

std::string WebhookBody(const std::string& id, const std::string& type, TimePoint time,
                        const nlohmann::json& data);

// The `webhook.test` event `madre webhooks test` posts to `endpoint`.
std::string WebhookTestBody(const std::string& id, const std::string& endpoint, TimePoint time);

}  // namespace madre
