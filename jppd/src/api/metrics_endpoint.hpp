// The metrics listener's one route: GET /metrics, the registry in Prometheus's text format. It is served on a
// listener of its own (--metrics-listen, loopback by default), never on the public port.
#pragma once

#include "http/handler.hpp"

namespace jppd::api {

class MetricsEndpoint final : public http::Handler {
public:
    // Scraping reads gauges that ask the database (the webhook backlog): not on an I/O thread.
    bool may_block(const http::Request&) const override { return true; }
    http::Response handle(const http::Request& request) override;
};

}  // namespace jppd::api
