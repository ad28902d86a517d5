#include "api/webhook_payload.h"

namespace madre {

std::string WebhookBody(const std::string& id, const std::string& type, TimePoint time,
                        const nlohmann::json& data) {
  nlohmann::json body = {{"id", id}, {"type", type}, {"time", FormatRfc3339(time)}, {"data", data}};
  return body.dump();
}

std::string WebhookTestBody(const std::string& id, const std::string& endpoint, TimePoint time) {
  return WebhookBody(id, "webhook.test", time,
                     {{"endpoint", endpoint}, {"message", "a test from madre webhooks test"}});
}

}  // namespace madre
