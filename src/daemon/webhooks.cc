#include "daemon/webhooks.h"

#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <memory>
#include <random>
#include <sstream>

#include "api/webhook_payload.h"
#include "core/secret_mask.h"
#include "daemon/webhooks_file.h"

namespace madre {

namespace {

std::string RandomHex(int bytes) {
  std::random_device device;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < bytes; ++i) {
    const unsigned value = device() & 0xffU;
    out += kHex[value >> 4U];
    out += kHex[value & 0xfU];
  }
  return out;
}

struct TestFlags {
  std::string config_file;
  std::string file;
};

}  // namespace

int RunWebhooksTest(const std::string& config_file, const std::string& file, const EnvLookup& env,
                    std::ostream& out, std::ostream& err) {
  auto usage = [&err](const std::string& message) {
    err << "madre: " << message << "\n";
    return 2;
  };
  DaemonConfig config;
  if (Status status = ApplyEnv(env, config); !status.ok()) return usage(status.message());
  if (!config_file.empty()) {
    std::ifstream in(config_file);
    if (!in) return usage("cannot read config file " + config_file);
    std::stringstream text;
    text << in.rdbuf();
    if (Status status = ApplyToml(text.str(), config_file, config); !status.ok()) {
      return usage(status.message());
    }
  }
  if (!file.empty()) config.webhooks_file = file;
  if (!config.webhooks_file) {
    return usage("no webhooks file: set VX11_WEBHOOKS_FILE, webhooks_file in --config, or --file");
  }
  Result<std::vector<WebhookEndpoint>> endpoints = LoadWebhooksFile(*config.webhooks_file);
  if (!endpoints.ok()) return usage(endpoints.status().message());
  if (endpoints->empty()) {
    return usage("webhooks file " + config.webhooks_file->string() + " names no endpoint");
  }
  SystemClock clock;
  bool all_ok = true;
  for (const WebhookEndpoint& endpoint : *endpoints) {
    const std::string id = "test-" + RandomHex(8);
    const TimePoint now = clock.Now();
    const std::string body = WebhookTestBody(id, endpoint.name, now);
    Result<int> status =
        PostWebhook(endpoint, id, body, now, std::chrono::seconds(10), /*cancel=*/nullptr);
    const bool ok = status.ok() && *status >= 200 && *status < 300;
    all_ok = all_ok && ok;
    const std::string answer =
        status.ok() ? "HTTP " + std::to_string(*status) : "no answer: " + status.status().message();
    out << endpoint.name << "  " << endpoint.url << "  " << (ok ? "ok" : "FAILED") << "  " << answer
        << "  (delivery " << id << ")\n";
  }
  return all_ok ? 0 : 1;
}

WebhookBodyFn MakeWebhookBody(std::vector<std::string> secrets) {
  return [secrets = std::move(secrets)](const AuditRecord& record, const std::string& type,
                                        const std::string& event_id) {
    Masker masker(secrets);
    nlohmann::json data = {{"seq", record.seq},
                           {"actor", record.actor},
                           {"action", record.action},
                           {"window_id", record.window_id},
                           {"services", record.services},
                           {"outcome", AuditOutcomeName(record.outcome)},
                           {"reason", masker.Mask(record.reason)},
                           {"detail", masker.Mask(record.detail)}};
    return WebhookBody(event_id, type, record.time, data);
  };
}

Result<std::unique_ptr<WebhookWorker>> StartWebhookWorker(const DaemonConfig& config,
                                                          Metrics& metrics, const Clock& clock) {
  if (config.webhooks.empty()) return std::unique_ptr<WebhookWorker>();
  ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> db, OpenSqliteDb(config.state_dir / "madre.db"));
  std::vector<std::string> secrets;
  if (!config.token.empty()) secrets.push_back(config.token);
  for (const WebhookEndpoint& endpoint : config.webhooks) secrets.push_back(endpoint.secret);
  auto worker =
      std::make_unique<WebhookWorker>(std::move(db), config.webhooks, kWebhookQueueBound,
                                      MakeWebhookBody(std::move(secrets)), metrics, clock);
  RETURN_IF_ERROR(worker->Prime());
  RETURN_IF_ERROR(
      worker->Start([path = config.state_dir / "madre.db"] { return OpenSqliteDb(path); }));
  for (const WebhookEndpoint& endpoint : config.webhooks) {
    spdlog::info("webhook {}: {} ({})", endpoint.name, endpoint.url,
                 endpoint.events.empty() ? std::string("every event")
                                         : std::to_string(endpoint.events.size()) + " filter(s)");
  }
  return worker;
}

void RegisterWebhooksCommand(CLI::App& app, int* exit_code) {
  CLI::App* webhooks = app.add_subcommand("webhooks", "Webhooks (docs/webhooks.md)");
  webhooks->require_subcommand(1);
  auto flags = std::make_shared<TestFlags>();
  CLI::App* test = webhooks->add_subcommand(
      "test", "POST one signed webhook.test event to each endpoint of the webhooks file now");
  test->add_option("--config", flags->config_file,
                   "TOML config file, as for serve (its webhooks_file)");
  test->add_option("--file", flags->file,
                   "the webhooks file (default: as serve reads it, --config's webhooks_file over "
                   "$VX11_WEBHOOKS_FILE)");
  test->footer("Exit codes: 0 every endpoint answered 2xx, 1 otherwise, 2 a bad or missing file.");
  test->callback([flags, exit_code] {
    *exit_code =
        RunWebhooksTest(flags->config_file, flags->file, ProcessEnv(), std::cout, std::cerr);
  });
}

}  // namespace madre
