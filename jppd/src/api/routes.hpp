// The route table: which path and method reach which handler, plus what every route shares (CORS, HEAD as GET,
// 404 / 405 bodies). Paths are accepted with and without their trailing slash.
#pragma once

#include "api/api_context.hpp"
#include "http/handler.hpp"

namespace jppd::api {

class Routes final : public http::Handler {
public:
    explicit Routes(ApiContext& api) : api_(api) {}

    bool may_block(const http::Request& request) const override;
    http::Response handle(const http::Request& request) override;

private:
    ApiContext& api_;
};

}  // namespace jppd::api
