// The OpenAPI 3.1 description of jppd's HTTP API (jppd/openapi.json), built into the binary and served at
// GET /openapi.json.
#pragma once

#include <string_view>

#include "http/message.hpp"

namespace jppd::api {

// The document's bytes, exactly as jppd/openapi.json holds them (a source generated from it at build time).
std::string_view openapi_document() noexcept;

// GET or HEAD /openapi.json: the document, cacheable, with an ETag (the document's SHA-256); 304 when
// If-None-Match names that tag (or is "*").
http::Response openapi(const http::Request& request);

}  // namespace jppd::api
