// The published API contract (docs/openapi.json, built in as OpenApiDocument()): GET
// /openapi.json serves it without a token, and it describes exactly the router's table: every
// route is an operation and every operation a route, with the route's access (security), role
// (x-madre-role), path parameters and error statuses; its schemas list their required keys and
// every $ref resolves. The live answers are validated against it by
// tests/integration/openapi_itest.cc.
#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>

#include "http_api/http_api_test_support.h"
#include "http_api/openapi_document.h"
#include "http_api/router.h"

namespace madre {
namespace {

using nlohmann::json;

json Document() {
  json doc = json::parse(OpenApiDocument(), nullptr, false);
  EXPECT_FALSE(doc.is_discarded()) << "docs/openapi.json is not JSON";
  return doc;
}

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// The {x} names of a pattern, in order.
std::vector<std::string> PathParams(const std::string& pattern) {
  std::vector<std::string> out;
  for (std::size_t at = pattern.find('{'); at != std::string::npos;
       at = pattern.find('{', at + 1)) {
    out.push_back(pattern.substr(at + 1, pattern.find('}', at) - at - 1));
  }
  return out;
}

bool IsHttpMethod(const std::string& key) {
  static const std::set<std::string> kMethods = {"get",  "put",     "post",  "delete",
                                                 "head", "options", "patch", "trace"};
  return kMethods.count(key) > 0;
}

class OpenApiTest : public HttpApiTest {};

TEST_F(OpenApiTest, IsServedWithoutATokenAsJson) {
  Build();
  for (const std::optional<std::string>& token :
       {std::optional<std::string>(), std::optional<std::string>("wrong-token")}) {
    HttpResponse answer = Call("GET", "/openapi.json", "", token);
    EXPECT_EQ(answer.status, 200);
    EXPECT_EQ(answer.content_type, "application/json");
    EXPECT_EQ(answer.body, std::string(OpenApiDocument()));
  }
  EXPECT_EQ(Call("HEAD", "/openapi.json", "", std::nullopt).status, 200);
  EXPECT_EQ(Call("POST", "/openapi.json", "", std::nullopt).status, 405);
  const json doc = Document();
  EXPECT_EQ(doc.value("openapi", "").substr(0, 4), "3.1.");
  EXPECT_EQ(doc["jsonSchemaDialect"], "https://json-schema.org/draft/2020-12/schema");
}

// Every route of the table is an operation of the document, and every operation a route.
TEST_F(OpenApiTest, DescribesExactlyTheRoutesOfTheTable) {
  Build();
  const json doc = Document();
  std::set<std::pair<std::string, std::string>> routes, operations;
  for (const ApiRouter::RouteAccess& route : router_->Routes()) {
    routes.insert({route.method, route.pattern});
  }
  for (const auto& [path, item] : doc.at("paths").items()) {
    for (const auto& [method, operation] : item.items()) {
      if (IsHttpMethod(method)) operations.insert({method == "get" ? "GET" : "POST", path});
      EXPECT_TRUE(method == "get" || method == "post")
          << method << " " << path << ": the router serves GET (and HEAD) and POST only";
    }
  }
  for (const auto& route : routes) {
    EXPECT_TRUE(operations.count(route))
        << route.first << " " << route.second
        << " is a route but not in docs/openapi.json: describe it there (HACKING.md)";
  }
  for (const auto& operation : operations) {
    EXPECT_TRUE(routes.count(operation))
        << operation.first << " " << operation.second
        << " is in docs/openapi.json but the router has no such route";
  }
  EXPECT_EQ(routes.size(), operations.size());
}

// Security, role, path parameters and error statuses of each operation follow its route.
TEST_F(OpenApiTest, EachOperationHasItsRoutesAccessParametersAndErrors) {
  Build();
  const json doc = Document();
  const json& schemes = doc.at("components").at("securitySchemes");
  ASSERT_TRUE(schemes.contains("vx11Token"));
  EXPECT_EQ(schemes["vx11Token"]["in"], "header");
  EXPECT_EQ(Lower(schemes["vx11Token"]["name"].get<std::string>()), "x-vx11-token");
  ASSERT_TRUE(schemes.contains("bearerToken"));
  EXPECT_EQ(schemes["bearerToken"]["scheme"], "bearer");
  std::set<std::string> operation_ids;
  for (const ApiRouter::RouteAccess& route : router_->Routes()) {
    const std::string what = route.method + " " + route.pattern;
    const json* operation = nullptr;
    if (doc["paths"].contains(route.pattern)) {
      const json& item = doc["paths"][route.pattern];
      if (item.contains(Lower(route.method))) operation = &item[Lower(route.method)];
    }
    if (operation == nullptr) continue;  // DescribesExactlyTheRoutesOfTheTable says so
    EXPECT_TRUE(operation_ids.insert(operation->value("operationId", "")).second)
        << what << ": missing or repeated operationId";
    // The least role a token needs; none on a public route.
    const bool is_public = !route.needs_token && !route.token_optional;
    EXPECT_EQ(operation->value("x-madre-role", ""), is_public ? "" : RoleName(route.role)) << what;

    // Security: public routes none, token routes a scheme and no empty alternative, routes
    // where the token is optional an empty alternative and the schemes.
    const json security = operation->contains("security") ? (*operation)["security"]
                                                          : doc.value("security", json::array());
    bool anonymous = false;
    std::set<std::string> named;
    for (const json& alternative : security) {
      if (alternative.empty()) anonymous = true;
      for (const auto& [scheme, scopes] : alternative.items()) {
        EXPECT_TRUE(schemes.contains(scheme)) << what << ": unknown scheme " << scheme;
        named.insert(scheme);
      }
    }
    const std::set<std::string> both = {"bearerToken", "vx11Token"};
    if (route.needs_token) {
      EXPECT_FALSE(anonymous) << what << " needs a token";
      EXPECT_EQ(named, both) << what << ": X-VX11-Token or Authorization: Bearer";
    } else if (route.token_optional) {
      EXPECT_TRUE(anonymous) << what << " may be called without a token";
      EXPECT_EQ(named, both) << what << ": a token, when given, is checked";
    } else {
      EXPECT_EQ(security, json::array()) << what << " is public: security must be []";
    }

    // Path parameters: each {x} of the pattern, required.
    std::set<std::string> declared;
    for (const json& param : operation->value("parameters", json::array())) {
      if (param.value("in", "") != "path") continue;
      EXPECT_TRUE(param.value("required", false)) << what << " {" << param["name"] << "}";
      declared.insert(param.value("name", ""));
    }
    const std::vector<std::string> params = PathParams(route.pattern);
    EXPECT_EQ(declared, std::set<std::string>(params.begin(), params.end())) << what;

    // Statuses: an answer, and the errors the router and its handlers give.
    const json& responses = operation->at("responses");
    bool success = false;
    for (const auto& [status, response] : responses.items()) {
      if (status.front() == '2') success = true;
      EXPECT_TRUE(response.contains("description")) << what << " " << status;
      if (status.front() == '2') {
        EXPECT_TRUE(response.contains("content")) << what << " " << status;
      }
    }
    EXPECT_TRUE(success) << what << " documents no 2xx answer";
    auto expect_status = [&](const char* status, const char* why) {
      EXPECT_TRUE(responses.contains(status)) << what << " must document " << status << ": " << why;
    };
    if (route.needs_token || route.token_optional) {
      expect_status("401", "the token is missing");
      expect_status("403", "the token is wrong or its role too low");
    }
    if (operation->contains("requestBody")) expect_status("400", "a bad body");
    if (!params.empty()) expect_status("404", "an unknown {x}");
    if (route.pattern.rfind("/madre/power/", 0) == 0) expect_status("503", "madre is starting");
    if (route.needs_windows) expect_status("503", "power windows disabled");
  }
}

// Collects the "$ref" values under `node`.
void CollectRefs(const json& node, std::set<std::string>& refs) {
  if (node.is_object()) {
    for (const auto& [key, value] : node.items()) {
      if (key == "$ref" && value.is_string()) refs.insert(value.get<std::string>());
      CollectRefs(value, refs);
    }
  } else if (node.is_array()) {
    for (const json& value : node) CollectRefs(value, refs);
  }
}

// The schemas list their required keys (a client may count on them; the live validation fails
// when one is missing), every $ref resolves, and the answers stay open to new keys.
TEST(OpenApiSchemas, ListRequiredKeysResolveAndStayOpen) {
  const json doc = Document();
  const json& schemas = doc.at("components").at("schemas");
  std::set<std::string> refs;
  CollectRefs(doc, refs);
  constexpr std::string_view kPrefix = "#/components/schemas/";
  for (const std::string& ref : refs) {
    ASSERT_EQ(ref.rfind(kPrefix, 0), 0u) << ref;
    EXPECT_TRUE(schemas.contains(ref.substr(kPrefix.size()))) << ref << " does not resolve";
  }
  for (const auto& [name, schema] : schemas.items()) {
    if (!schema.contains("properties")) continue;
    ASSERT_TRUE(schema.contains("required")) << name << " lists no required keys";
    for (const json& key : schema["required"]) {
      EXPECT_TRUE(schema["properties"].contains(key.get<std::string>()))
          << name << " requires " << key << ", which it does not describe";
    }
  }
  // The schemas an answer reaches (through $ref) never forbid other keys.
  std::set<std::string> reached;
  std::function<void(const json&)> reach = [&](const json& node) {
    std::set<std::string> found;
    CollectRefs(node, found);
    for (const std::string& ref : found) {
      const std::string name = ref.substr(kPrefix.size());
      if (reached.insert(name).second && schemas.contains(name)) reach(schemas[name]);
    }
  };
  for (const auto& [path, item] : doc.at("paths").items()) {
    for (const auto& [method, operation] : item.items()) {
      if (IsHttpMethod(method)) reach(operation.value("responses", json::object()));
    }
  }
  EXPECT_TRUE(reached.count("Window"));
  EXPECT_TRUE(reached.count("Error"));
  for (const std::string& name : reached) {
    EXPECT_NE(schemas[name].value("additionalProperties", json(true)), json(false))
        << name << " is an answer: new keys must not break clients";
  }
  // Every error body is {"detail", "code"}.
  EXPECT_EQ(schemas["Error"]["required"], json({"code", "detail"}));
}

}  // namespace
}  // namespace madre
