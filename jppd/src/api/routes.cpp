#include "api/routes.hpp"

#include <array>
#include <optional>
#include <string_view>
#include <vector>

#include "api/errors.hpp"
#include "api/health.hpp"
#include "api/invoice_api.hpp"
#include "api/merchant_api.hpp"
#include "api/openapi.hpp"
#include "ws/handshake.hpp"
#include "ws/hub.hpp"

namespace jppd::api {

namespace {

enum class Endpoint { none, bad_invoice_id, health, openapi, invoices, invoice, verify, pay, watch };

struct Match {
    Endpoint endpoint = Endpoint::none;
    jpp::InvoiceId id;
};

// The path's segments; one trailing slash is allowed, empty segments elsewhere are not (they match nothing).
std::vector<std::string_view> segments(std::string_view path) {
    std::vector<std::string_view> out;
    if (path.empty() || path[0] != '/') return out;
    path.remove_prefix(1);
    if (!path.empty() && path.back() == '/') path.remove_suffix(1);
    while (!path.empty()) {
        const auto slash = path.find('/');
        out.push_back(path.substr(0, slash));
        if (slash == std::string_view::npos) break;
        path.remove_prefix(slash + 1);
        if (path.empty()) out.emplace_back();  // "a//": an empty segment
    }
    return out;
}

Match match(std::string_view path) {
    const auto s = segments(path);
    if (s.size() == 1 && s[0] == "healthz") return {Endpoint::health, {}};
    if (s.size() == 1 && s[0] == "openapi.json") return {Endpoint::openapi, {}};
    if (s.size() == 4 && s[0] == "ws" && s[1] == "jpp" && s[2] == "invoice") {
        auto id = jpp::InvoiceId::parse(s[3]);
        return id ? Match{Endpoint::watch, *id} : Match{Endpoint::bad_invoice_id, {}};
    }
    // The wallet protocols' URLs, as Watchtower names them: jpp/i/bitpay/{id}/ (BitPay) and jpp/i/{id}/ (BIP70).
    // Each invoice URL speaks every protocol, so a wallet may take any of them.
    if (s.size() >= 3 && s[0] == "jpp" && s[1] == "i") {
        const bool bitpay = s.size() == 4 && s[2] == "bitpay";
        if (s.size() != 3 && !bitpay) return {};
        auto id = jpp::InvoiceId::parse(s.back());
        return id ? Match{Endpoint::invoice, *id} : Match{Endpoint::bad_invoice_id, {}};
    }
    if (s.size() < 2 || s[0] != "jpp" || s[1] != "invoices") return {};
    if (s.size() == 2) return {Endpoint::invoices, {}};
    if (s.size() > 4) return {};
    auto id = jpp::InvoiceId::parse(s[2]);
    if (!id) return {Endpoint::bad_invoice_id, {}};
    if (s.size() == 3) return {Endpoint::invoice, *id};
    if (s[3] == "verify") return {Endpoint::verify, *id};
    if (s[3] == "pay") return {Endpoint::pay, *id};
    return {};
}

std::string_view allowed_methods(Endpoint e) {
    switch (e) {
        case Endpoint::health:
        case Endpoint::openapi: return "GET, HEAD, OPTIONS";
        case Endpoint::invoice: return "GET, HEAD, POST, OPTIONS";
        case Endpoint::watch: return "GET";
        case Endpoint::invoices:
        case Endpoint::verify:
        case Endpoint::pay: return "POST, OPTIONS";
        default: return "";
    }
}

bool method_allowed(Endpoint e, std::string_view method) {
    if (e == Endpoint::watch) return method == "GET";
    if (e == Endpoint::health || e == Endpoint::openapi) return method == "GET" || method == "HEAD";
    if (e == Endpoint::invoice) return method == "GET" || method == "HEAD" || method == "POST";
    return method == "POST";
}

// The watcher's query: none (only payment_received, what Watchtower's service sends) or events=all (also
// invoice_expired, and whatever else later versions announce). Anything else is refused: a typo must not
// silently watch less than asked.
std::optional<bool> all_events(const http::Request& request) {
    const auto q = request.target.find('?');
    if (q == std::string::npos) return false;
    const std::string_view query = std::string_view(request.target).substr(q + 1);
    if (query.empty()) return false;
    if (query == "events=all") return true;
    if (query == "events=payment_received") return false;
    return std::nullopt;
}

// GET /ws/jpp/invoice/{id}/: a WebSocket that is told of the invoice's payment. Unlike Watchtower, an unknown
// invoice is refused (404) rather than watched forever.
http::Response watch(ApiContext& api, const jpp::InvoiceId& id, const http::Request& request) {
    if (!api.watchers) return http::json_error(404, "not_found", "WebSocket notifications are not enabled");
    const auto all = all_events(request);
    if (!all)
        return http::json_error(400, "invalid_query",
                                "the only query a watcher may give is events=all (every event) or "
                                "events=payment_received (the default)");
    if (auto refused = ws::check_handshake(request)) return std::move(*refused);
    auto invoice = api.service.get(id);
    if (!invoice) return error_response(invoice.error(), "watch " + id.hex());
    // The watcher's place is taken now, in one step, and held by the upgrade until the session owns it: handshakes
    // arriving together cannot all pass a check made before any of them has attached.
    ws::Hub::Refusal why{};
    auto slot = api.watchers->reserve(request.client, why);
    if (!slot && why == ws::Hub::Refusal::client_full)
        return http::json_error(429, "too_many_client_websockets",
                                "this client holds as many WebSockets as one client may; close one first")
            .with_header("Retry-After", "5");
    if (!slot)
        return http::json_error(503, "too_many_watchers", "the server's WebSocket limit is reached; retry shortly")
            .with_header("Retry-After", "5");
    http::Response r = ws::accept_handshake(request);
    r.upgrade = [hub = api.watchers, id, slot = std::move(slot), every = *all](http::Transport transport,
                                                                                std::string already_read) {
        return hub->attach(std::move(transport), id, std::move(already_read), slot, every);
    };
    return r;
}

// The route's template, for metrics (never the id itself).
std::string_view route_template(const Match& m, std::string_view path) {
    switch (m.endpoint) {
        case Endpoint::health: return "/healthz";
        case Endpoint::openapi: return "/openapi.json";
        case Endpoint::invoices: return "/jpp/invoices/";
        case Endpoint::invoice:
            if (path.starts_with("/jpp/i/bitpay/")) return "/jpp/i/bitpay/{id}/";
            if (path.starts_with("/jpp/i/")) return "/jpp/i/{id}/";
            return "/jpp/invoices/{id}/";
        case Endpoint::verify: return "/jpp/invoices/{id}/verify/";
        case Endpoint::pay: return "/jpp/invoices/{id}/pay/";
        case Endpoint::watch: return "/ws/jpp/invoice/{id}/";
        case Endpoint::none:
        case Endpoint::bad_invoice_id: break;
    }
    return "";
}

// A CORS preflight: any origin may call the API (browser wallets run on other origins); the request headers
// are echoed only when they are plain header names.
http::Response preflight(Endpoint e, const http::Request& request) {
    http::Response r;
    r.status = 204;
    r.with_header("Access-Control-Allow-Methods", std::string(allowed_methods(e)));
    std::string_view asked = request.header("access-control-request-headers");
    const bool plain = asked.size() <= 512 && asked.find_first_not_of(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_, ") == std::string_view::npos;
    r.with_header("Access-Control-Allow-Headers",
                  plain && !asked.empty() ? std::string(asked) : "Content-Type, Accept, X-Paypro-Version");
    r.with_header("Access-Control-Max-Age", "600");
    return r;
}

// The merchant API's paths, /api/...: no CORS there (its callers are servers), and no preflights answered.
bool is_merchant_api(std::string_view path) {
    return path == "/api" || path.starts_with("/api/");
}

http::Response route_matched(ApiContext& api, const http::Request& request, const Match& m) {
    if (m.endpoint == Endpoint::none)
        return http::json_error(404, "not_found", "no such resource: " + request.path);
    if (m.endpoint == Endpoint::bad_invoice_id)
        return http::json_error(404, "invoice_not_found",
                                "not an invoice id (32 hex digits or a dashed UUID expected)");
    if (request.method == "OPTIONS" && m.endpoint != Endpoint::watch) return preflight(m.endpoint, request);
    if (!method_allowed(m.endpoint, request.method)) {
        http::Response r = http::json_error(405, "method_not_allowed",
                                            request.method + " is not allowed here; allowed: " +
                                                std::string(allowed_methods(m.endpoint)));
        r.with_header("Allow", std::string(allowed_methods(m.endpoint)));
        return r;
    }
    switch (m.endpoint) {
        case Endpoint::health: return health(api);
        case Endpoint::openapi: return openapi(request);
        case Endpoint::invoices: return create_invoice(api, request);
        case Endpoint::invoice:
            return request.method == "POST" ? post_to_invoice(api, m.id, request) : get_invoice(api, m.id, request);
        case Endpoint::watch: return watch(api, m.id, request);
        case Endpoint::verify: return verify_payment(api, m.id, request);
        case Endpoint::pay: return pay_invoice(api, m.id, request);
        default: return http::json_error(404, "not_found", "no such resource");
    }
}

http::Response route(ApiContext& api, const http::Request& request) {
    if (is_merchant_api(request.path)) {
        auto s = segments(request.path);
        if (!s.empty()) s.erase(s.begin());
        return merchant_api(api, request, s);
    }
    const Match m = match(request.path);
    http::Response r = route_matched(api, request, m);
    r.route = route_template(m, request.path);
    return r;
}

}  // namespace

bool Routes::may_block(const http::Request& request) const {
    // Reading an invoice is a quick indexed read (WAL readers never wait for writers), the OpenAPI document is in
    // memory; everything else may wait on a disk sync or the node.
    if (is_merchant_api(request.path)) return true;
    const Endpoint e = match(request.path).endpoint;
    return !((e == Endpoint::invoice && request.method != "POST") || e == Endpoint::watch || e == Endpoint::openapi ||
             e == Endpoint::none || e == Endpoint::bad_invoice_id || request.method == "OPTIONS");
}

http::Response Routes::handle(const http::Request& request) {
    http::Response r = route(api_, request);
    if (!is_merchant_api(request.path)) r.with_header("Access-Control-Allow-Origin", "*");
    return r;
}

}  // namespace jppd::api
