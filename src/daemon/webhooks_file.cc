#include "daemon/webhooks_file.h"

#include <toml++/toml.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "adapters/webclient/web_client.h"
#include "daemon/tokens_file.h"
#include "daemon/toml_named_tables.h"

namespace madre {

namespace {

Status Bad(const std::string& origin, const std::string& what) {
  return Status::InvalidArgument("webhooks file " + origin + ": " + what);
}

std::string Trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

Result<WebhookEndpoint> ParseEntry(const std::string& name, const toml::node& node,
                                   const std::string& origin, const std::filesystem::path& base_dir,
                                   const SecretFileReader& read_secret) {
  const std::string where = "[webhooks." + name + "]";
  if (!IsValidTokenName(name)) {
    return Bad(origin, where + ": the name must be 1 to 64 of [A-Za-z0-9_.-]");
  }
  const toml::table* table = node.as_table();
  if (!table) return Bad(origin, where + ": must be a table (url, events, secret)");
  for (const auto& [key, value] : *table) {
    const std::string k(key.str());
    if (k != "url" && k != "events" && k != "secret" && k != "secret_file" && k != "ca_file") {
      if (value.is_table()) {
        return Bad(origin, "[webhooks." + name + "." + k + "]: a name with a dot needs quotes: " +
                               "[webhooks.\"" + name + "." + k + "\"]");
      }
      return Bad(origin,
                 where + ": unknown key '" + k + "' (url, events, secret, secret_file, ca_file)");
    }
  }
  WebhookEndpoint endpoint;
  endpoint.name = name;
  const toml::node* url = table->get("url");
  if (!url || !url->is_string()) {
    return Bad(origin, where + ": url is missing (a string: https://HOST[:PORT]/path)");
  }
  endpoint.url = url->as_string()->get();
  Result<WebUrl> parsed = ParseWebUrl(endpoint.url);
  if (!parsed.ok()) return Bad(origin, where + ": " + parsed.status().message());
  if (const toml::node* ca_file = table->get("ca_file")) {
    if (!ca_file->is_string()) return Bad(origin, where + ": ca_file must be a string");
    if (!parsed->tls) return Bad(origin, where + ": ca_file is for an https:// url");
    std::filesystem::path path = ca_file->as_string()->get();
    if (path.is_relative()) path = base_dir / path;
    if (!read_secret(path)) return Bad(origin, where + ": cannot read ca_file " + path.string());
    endpoint.ca_file = path.string();
  }
  if (const toml::node* events = table->get("events")) {
    const toml::array* list = events->as_array();
    if (!list) return Bad(origin, where + ": events must be a list of strings");
    for (const toml::node& item : *list) {
      if (!item.is_string() || !IsValidWebhookFilter(item.as_string()->get())) {
        std::string families;
        for (const std::string& f : WebhookEventFamilies()) {
          families += (families.empty() ? "" : ", ") + f;
        }
        const std::string shown = item.is_string() ? "'" + item.as_string()->get() + "' " : "";
        return Bad(origin, where + ": unknown event filter " + shown + "(\"*\", a family: " +
                               families + ", \"FAMILY.*\" or \"FAMILY.NAME\")");
      }
      endpoint.events.push_back(item.as_string()->get());
    }
  }
  const toml::node* secret = table->get("secret");
  const toml::node* secret_file = table->get("secret_file");
  if (secret && secret_file) return Bad(origin, where + ": secret or secret_file, not both");
  if (secret) {
    if (!secret->is_string()) return Bad(origin, where + ": secret must be a string");
    endpoint.secret = secret->as_string()->get();
  } else if (secret_file) {
    if (!secret_file->is_string()) return Bad(origin, where + ": secret_file must be a string");
    std::filesystem::path path = secret_file->as_string()->get();
    if (path.is_relative()) path = base_dir / path;
    std::optional<std::string> text = read_secret(path);
    if (!text) return Bad(origin, where + ": cannot read secret_file " + path.string());
    endpoint.secret = Trimmed(*text);
  } else {
    return Bad(origin, where + ": secret (or secret_file) is missing: the HMAC key that signs " +
                           "each delivery");
  }
  if (endpoint.secret.empty()) return Bad(origin, where + ": the secret is empty");
  return endpoint;
}

}  // namespace

Result<std::vector<WebhookEndpoint>> ParseWebhooksFile(std::string_view text,
                                                       const std::string& origin,
                                                       const std::filesystem::path& base_dir,
                                                       const SecretFileReader& read_secret) {
  ASSIGN_OR_RETURN(const toml::table named,
                   ParseNamedTables(text, origin, "webhooks file", "webhooks"));
  std::vector<WebhookEndpoint> endpoints;
  for (const auto& [key, node] : named) {
    ASSIGN_OR_RETURN(WebhookEndpoint endpoint,
                     ParseEntry(std::string(key.str()), node, origin, base_dir, read_secret));
    endpoints.push_back(std::move(endpoint));
  }
  std::sort(endpoints.begin(), endpoints.end(),
            [](const WebhookEndpoint& a, const WebhookEndpoint& b) { return a.name < b.name; });
  return endpoints;
}

Result<std::vector<WebhookEndpoint>> LoadWebhooksFile(const std::filesystem::path& path) {
  auto read = [](const std::filesystem::path& p) -> std::optional<std::string> {
    std::ifstream in(p, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  };
  std::optional<std::string> text = read(path);
  if (!text) return Status::InvalidArgument("cannot read VX11_WEBHOOKS_FILE " + path.string());
  return ParseWebhooksFile(*text, path.string(), path.parent_path(), read);
}

}  // namespace madre
