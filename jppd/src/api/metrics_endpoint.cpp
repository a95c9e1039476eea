#include "api/metrics_endpoint.hpp"

#include "metrics/metrics.hpp"

namespace jppd::api {

http::Response MetricsEndpoint::handle(const http::Request& request) {
    if (request.path != "/metrics") return http::json_error(404, "not_found", "the metrics are at /metrics");
    if (request.method != "GET" && request.method != "HEAD")
        return http::json_error(405, "method_not_allowed", request.method + " is not allowed here; allowed: GET, HEAD")
            .with_header("Allow", "GET, HEAD");
    http::Response r;
    r.route = "/metrics";
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = metrics::scrape();
    r.with_header("Cache-Control", "no-store");
    return r;
}

}  // namespace jppd::api
