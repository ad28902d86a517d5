// The published API contract: docs/openapi.json (OpenAPI 3.1), built into the binary. The
// build generates its definition from the file (cmake/embed_file.cmake), so an edit of the JSON
// rebuilds madre. Served by GET /openapi.json (no token); openapi_test.cc checks that it
// describes exactly the router's table, with the access and errors of each route.
#pragma once

#include <string_view>

namespace madre {

// The bytes of docs/openapi.json as of the build.
std::string_view OpenApiDocument();

}  // namespace madre
