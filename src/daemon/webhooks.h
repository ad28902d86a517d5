// Webhooks in the daemon (docs/webhooks.md): the event body of an audit record, the delivery
// worker `serve` runs, and `madre webhooks test`.
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "adapters/sqlite/sqlite_webhook_outbox.h"
#include "adapters/webhook/webhook_worker.h"
#include "base/clock.h"
#include "base/metrics.h"
#include "daemon/config.h"

namespace CLI {
class App;
}

namespace madre {

// Undelivered events kept per endpoint; beyond it the oldest are dropped.
inline constexpr std::size_t kWebhookQueueBound = 10000;

// The JSON body of an audit record's event: data = seq, actor, action, window_id, services,
// outcome, reason, detail; reason and detail masked as for the LLM adviser (core/secret_mask.h:
// `secrets` and whatever looks like a token or a key).
WebhookBodyFn MakeWebhookBody(std::vector<std::string> secrets);

// The worker of config.webhooks on its own connection to <state dir>/madre.db, primed (each
// new endpoint's cursor set) and started; nullptr without endpoints.
Result<std::unique_ptr<WebhookWorker>> StartWebhookWorker(const DaemonConfig& config,
                                                          Metrics& metrics, const Clock& clock);

// `madre webhooks test`'s work: the webhooks file is `file`, else as serve reads it
// (webhooks_file of `config_file` over VX11_WEBHOOKS_FILE of `env`). One line per endpoint on
// `out`; usage errors on `err`. Returns the exit code (below).
int RunWebhooksTest(const std::string& config_file, const std::string& file, const EnvLookup& env,
                    std::ostream& out, std::ostream& err);

// `madre webhooks test [--config FILE]`: one signed webhook.test event to each endpoint now;
// prints each answer. Exit 0 when all answer 2xx, 1 otherwise, 2 for a bad or missing file.
void RegisterWebhooksCommand(CLI::App& app, int* exit_code);

}  // namespace madre
