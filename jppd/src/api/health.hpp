// GET /healthz, for process supervisors and load balancers: 200 when the store and the chain backend answer,
// 503 otherwise, with what failed.
#pragma once

#include "api/api_context.hpp"
#include "http/message.hpp"

namespace jppd::api {

http::Response health(const ApiContext& api);

}  // namespace jppd::api
