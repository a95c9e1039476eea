#include "api/health.hpp"

namespace jppd::api {

namespace {

std::string check(const jpp::Status& status) {
    if (status) return "{\"ok\":true}";
    return "{\"ok\":false,\"code\":" + http::json_quote(jpp::errc_name(status.error().code)) +
           ",\"message\":" + http::json_quote(status.error().describe()) + "}";
}

}  // namespace

http::Response health(const ApiContext& api) {
    const jpp::Status store = api.store.ping();
    const jpp::Status chain = api.chain.ping();
    const bool ok = store && chain;
    http::Response r;
    r.status = ok ? 200 : 503;
    r.content_type = "application/json; charset=utf-8";
    r.body = "{\"status\":" + http::json_quote(ok ? "ok" : "unavailable") + ",\"store\":" + check(store) +
             ",\"chain\":" + check(chain) + ",\"dev_mode\":" + (api.dev_mode ? "true" : "false");
    if (api.dev_mode)
        r.body += ",\"warning\":\"development mode: payments are recorded without being broadcast\"";
    r.body += "}";
    r.with_header("Cache-Control", "no-store");
    return r;
}

}  // namespace jppd::api
