// The merchant API under /api/v1/: a merchant's own invoices (create, list, read, cancel) and webhook endpoints
// (add, list, remove, their deliveries, redelivery). Every route needs an API key with the route's permission, and
// a key only ever sees its own merchant's resources: another merchant's invoice, endpoint or event is the same 404
// as one that does not exist. No CORS: these routes are for servers, not for browsers.
#pragma once

#include <string_view>
#include <vector>

#include "api/api_context.hpp"
#include "http/message.hpp"

namespace jppd::api {

// `path`: the request path's segments after "api" ("v1", "invoices", ...), as the router splits them.
http::Response merchant_api(const ApiContext& api, const http::Request& request,
                            const std::vector<std::string_view>& path);

}  // namespace jppd::api
