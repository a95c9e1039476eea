#include "api/merchant_api.hpp"

#include <jpp/json.hpp>
#include <jpp/merchant.hpp>

#include <algorithm>
#include <charconv>
#include <initializer_list>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <variant>

#include "api/auth.hpp"
#include "api/errors.hpp"
#include "api/invoice_api.hpp"
#include "webhooks/endpoints.hpp"

namespace jppd::api {

namespace {

constexpr std::size_t default_page = 20;
constexpr std::size_t max_page = 100;
constexpr std::size_t max_event_names = 16;  // in one request's "events"
// Redeliveries an endpoint may have waiting at once (among its latest max_page deliveries): a merchant cannot
// queue an unbounded number of them.
constexpr std::size_t max_pending_redeliveries = 50;

enum class Route { none, invoices, invoice, cancel, webhooks, webhook, deliveries, redeliver };

struct Match {
    Route route = Route::none;
    std::string_view id;
};

Match match(const std::vector<std::string_view>& s) {
    if (s.size() < 2 || s.size() > 4 || s[0] != "v1") return {};
    if (s[1] == "invoices") {
        if (s.size() == 2) return {Route::invoices, {}};
        if (s.size() == 3) return {Route::invoice, s[2]};
        if (s[3] == "cancel") return {Route::cancel, s[2]};
    } else if (s[1] == "webhooks") {
        if (s.size() == 2) return {Route::webhooks, {}};
        if (s.size() == 3) return {Route::webhook, s[2]};
        if (s[3] == "deliveries") return {Route::deliveries, s[2]};
        if (s[3] == "redeliver") return {Route::redeliver, s[2]};
    }
    return {};
}

std::string_view route_template(Route r) {
    switch (r) {
        case Route::invoices: return "/api/v1/invoices";
        case Route::invoice: return "/api/v1/invoices/{id}";
        case Route::cancel: return "/api/v1/invoices/{id}/cancel";
        case Route::webhooks: return "/api/v1/webhooks";
        case Route::webhook: return "/api/v1/webhooks/{id}";
        case Route::deliveries: return "/api/v1/webhooks/{id}/deliveries";
        case Route::redeliver: return "/api/v1/webhooks/{id}/redeliver";
        case Route::none: break;
    }
    return "";
}

std::string_view allowed_methods(Route r) {
    switch (r) {
        case Route::invoices:
        case Route::webhooks: return "GET, POST";
        case Route::invoice:
        case Route::deliveries: return "GET";
        case Route::cancel:
        case Route::redeliver: return "POST";
        case Route::webhook: return "DELETE";
        default: return "";
    }
}

bool method_allowed(Route r, std::string_view method) {
    std::string_view allowed = allowed_methods(r);
    while (!allowed.empty()) {
        const auto comma = allowed.find(", ");
        if (allowed.substr(0, comma) == method) return true;
        if (comma == std::string_view::npos) break;
        allowed.remove_prefix(comma + 2);
    }
    return false;
}

jpp::Permission permission(Route r, std::string_view method) {
    switch (r) {
        case Route::invoices: return method == "POST" ? jpp::invoices_create : jpp::invoices_read;
        case Route::invoice: return jpp::invoices_read;
        case Route::cancel: return jpp::invoices_create;
        default: return jpp::webhooks_manage;
    }
}

http::Response json_response(int status, std::string body) {
    http::Response r;
    r.status = status;
    r.content_type = "application/json; charset=utf-8";
    r.body = std::move(body);
    return r;
}

// What a client sent, for a message: at most 64 bytes of it, as valid UTF-8.
std::string shown(std::string_view text) {
    return jpp::to_valid_utf8(text.substr(0, 64)) + (text.size() > 64 ? "..." : "");
}

http::Response invalid_query(std::string_view message) { return http::json_error(400, "invalid_query", message); }
http::Response invalid_body(std::string_view message) { return http::json_error(400, "invalid_body", message); }
// The one answer for an invoice that does not exist, is not this merchant's, or whose id is malformed.
http::Response no_such_invoice() { return http::json_error(404, "invoice_not_found", "no such invoice"); }
http::Response no_such_endpoint() { return http::json_error(404, "not_found", "no such webhook endpoint"); }

// A service error, with invoice_not_found as no_such_invoice() whatever its message says.
http::Response service_error(const jpp::Error& error, std::string_view context) {
    if (error.code == jpp::Errc::invoice_not_found) return no_such_invoice();
    return error_response(error, context);
}

// ---- query strings ----

using Query = std::map<std::string, std::string, std::less<>>;

int hex_digit(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// application/x-www-form-urlencoded's decoding ('+' is a space), strictly: '%' must be followed by two hex digits,
// and control characters, encoded or not, are refused.
std::optional<std::string> percent_decode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            if (text.size() - i < 3) return std::nullopt;
            const int hi = hex_digit(text[i + 1]);
            const int lo = hex_digit(text[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            c = static_cast<char>(hi * 16 + lo);
            i += 2;
        }
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7f) return std::nullopt;
        out += c;
    }
    return out;
}

// The request's query parameters, each of `names` at most once and nothing else; or the 400 to answer.
std::variant<Query, http::Response> parse_query(const http::Request& request,
                                                std::initializer_list<std::string_view> names) {
    Query query;
    const auto mark = request.target.find('?');
    if (mark == std::string::npos) return query;
    std::string_view rest = std::string_view(request.target).substr(mark + 1);
    while (!rest.empty()) {
        const auto amp = rest.find('&');
        const std::string_view pair = rest.substr(0, amp);
        const auto eq = pair.find('=');
        const std::string_view name = pair.substr(0, eq);
        if (std::find(names.begin(), names.end(), name) == names.end()) {
            std::string known;
            for (const auto n : names) known += (known.empty() ? "" : ", ") + std::string(n);
            return invalid_query((name.empty() ? std::string("an empty query parameter")
                                               : "unknown query parameter '" + shown(name) + "'") +
                                 (known.empty() ? "; this route takes none" : "; known: " + known));
        }
        if (query.contains(name)) return invalid_query("query parameter '" + std::string(name) + "' is repeated");
        if (eq == std::string_view::npos) return invalid_query(std::string(name) + ": a value is required");
        auto value = percent_decode(pair.substr(eq + 1));
        if (!value) return invalid_query(std::string(name) + ": malformed percent-encoding or a control character");
        query.emplace(name, std::move(*value));
        if (amp == std::string_view::npos) break;
        rest.remove_prefix(amp + 1);
        if (rest.empty()) return invalid_query("an empty query parameter");  // a trailing '&'
    }
    return query;
}

const std::string* param(const Query& query, std::string_view name) {
    const auto it = query.find(name);
    return it == query.end() ? nullptr : &it->second;
}

// A decimal without sign or leading zeros, of at most `max_digits` digits.
std::optional<std::int64_t> parse_decimal(std::string_view text, std::size_t max_digits) {
    if (text.empty() || text.size() > max_digits || (text.size() > 1 && text[0] == '0')) return std::nullopt;
    if (text.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
    std::int64_t value = 0;
    std::from_chars(text.data(), text.data() + text.size(), value);
    return value;
}

// An RFC 3339 time, or integer unix seconds.
std::optional<jpp::Timestamp> parse_time(std::string_view text) {
    if (!text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos) {
        const auto seconds = parse_decimal(text, 11);
        if (!seconds) return std::nullopt;
        return jpp::Timestamp(std::chrono::seconds(*seconds));
    }
    auto parsed = jpp::parse_rfc3339(text);
    if (!parsed) return std::nullopt;
    return *parsed;
}

// limit: 1..max_page, default_page when absent.
std::optional<std::size_t> page_limit(const Query& query) {
    const std::string* text = param(query, "limit");
    if (!text) return default_page;
    const auto n = parse_decimal(*text, 3);
    if (!n || *n < 1 || *n > static_cast<std::int64_t>(max_page)) return std::nullopt;
    return static_cast<std::size_t>(*n);
}

http::Response bad_limit() {
    return invalid_query("limit: an integer from 1 to " + std::to_string(max_page));
}

// The listing's cursor, "<unix seconds>.<32 hex digits>": the last invoice of the previous page.
std::string encode_cursor(const jpp::Invoice& invoice) {
    return std::to_string(invoice.time.time_since_epoch().count()) + "." + invoice.id.hex();
}

std::optional<std::pair<jpp::Timestamp, jpp::InvoiceId>> decode_cursor(std::string_view text) {
    const auto dot = text.find('.');
    if (dot == std::string_view::npos) return std::nullopt;
    const auto seconds = parse_decimal(text.substr(0, dot), 12);
    const std::string_view hex = text.substr(dot + 1);
    if (!seconds || hex.size() != 32 || hex.find_first_not_of("0123456789abcdef") != std::string_view::npos)
        return std::nullopt;
    auto id = jpp::InvoiceId::parse(hex);
    if (!id) return std::nullopt;
    return std::pair{jpp::Timestamp(std::chrono::seconds(*seconds)), *id};
}

// The 400 for a route that takes no query parameters and was given some; nullopt when there are none.
std::optional<http::Response> refuse_any_query(const http::Request& request) {
    auto query = parse_query(request, {});
    if (auto* refused = std::get_if<http::Response>(&query)) return std::move(*refused);
    return std::nullopt;
}

// ---- invoices ----

http::Response merchant_invoice(const ApiContext& api, const jpp::Invoice& invoice, int status) {
    return json_response(status, jpp::merchant_invoice_to_json(invoice, api.json_context()));
}

std::optional<jpp::InvoiceId> invoice_id(std::string_view text) {
    auto id = jpp::InvoiceId::parse(text);
    if (!id) return std::nullopt;
    return *id;
}

http::Response list_invoices(const ApiContext& api, const jpp::ApiKey& key, const http::Request& request) {
    auto parsed = parse_query(request, {"status", "created_after", "created_before", "order_id", "limit", "cursor"});
    if (auto* refused = std::get_if<http::Response>(&parsed)) return std::move(*refused);
    const Query& q = std::get<Query>(parsed);

    jpp::InvoiceQuery query;
    query.merchant_id = key.merchant_id;
    if (const std::string* status = param(q, "status")) {
        query.status = jpp::invoice_status_from_name(*status);
        if (!query.status) return invalid_query("status: open, paid, confirmed, reversed, expired or cancelled");
    }
    for (const std::string_view name : {"created_after", "created_before"}) {
        const std::string* text = param(q, name);
        if (!text) continue;
        const auto time = parse_time(*text);
        if (!time)
            return invalid_query(std::string(name) +
                                 ": an RFC 3339 time (2026-01-31T12:00:00Z, '+' as %2B) or integer unix seconds");
        (name == "created_after" ? query.created_after : query.created_before) = *time;
    }
    if (const std::string* order_id = param(q, "order_id")) {
        if (order_id->empty() || order_id->size() > api.service.config().max_order_id_bytes)
            return invalid_query("order_id: 1 to " + std::to_string(api.service.config().max_order_id_bytes) +
                                 " bytes");
        query.order_id = *order_id;
    }
    const auto limit = page_limit(q);
    if (!limit) return bad_limit();
    query.limit = *limit;
    if (const std::string* cursor = param(q, "cursor")) {
        query.after = decode_cursor(*cursor);
        if (!query.after)
            return http::json_error(400, "invalid_cursor",
                                    "cursor: pass the next_cursor of the previous page as it is");
    }

    auto page = api.service.list(query);
    if (!page) return error_response(page.error(), "listing invoices");
    std::string body = "{\"invoices\":[";
    const jpp::JsonContext context = api.json_context();
    for (std::size_t i = 0; i < page->size(); ++i)
        body += (i ? "," : "") + jpp::merchant_invoice_to_json((*page)[i], context);
    body += "],\"next_cursor\":";
    body += page->size() == *limit && !page->empty() ? http::json_quote(encode_cursor(page->back())) : "null";
    body += "}";
    return json_response(200, std::move(body));
}

http::Response get_invoice(const ApiContext& api, const jpp::ApiKey& key, std::string_view id_text) {
    const auto id = invoice_id(id_text);
    if (!id) return no_such_invoice();
    auto invoice = api.service.get_owned(*id, key.merchant_id);
    if (!invoice) return service_error(invoice.error(), "invoice " + id->hex());
    return merchant_invoice(api, *invoice, 200);
}

http::Response cancel_invoice(const ApiContext& api, const jpp::ApiKey& key, std::string_view id_text) {
    const auto id = invoice_id(id_text);
    if (!id) return no_such_invoice();
    auto invoice = api.service.cancel(*id, key.merchant_id);
    if (!invoice) return service_error(invoice.error(), "cancel " + id->hex());
    return merchant_invoice(api, *invoice, 200);
}

// ---- webhook endpoints ----

std::string events_json(std::uint32_t types) {
    std::string out = "[";
    for (const auto& name : webhooks::event_type_names(types))
        out += (out.size() > 1 ? "," : "") + http::json_quote(name);
    return out + "]";
}

std::string endpoint_json(const jpp::WebhookEndpoint& endpoint, bool with_secret) {
    std::string out = "{\"id\":" + http::json_quote(endpoint.id) +
                      ",\"url\":" + http::json_quote(jpp::to_valid_utf8(endpoint.url)) +
                      ",\"events\":" + events_json(endpoint.events) +
                      ",\"created\":" + http::json_quote(jpp::to_rfc3339(endpoint.created));
    if (with_secret) out += ",\"secret\":" + http::json_quote(endpoint.secret);
    return out + "}";
}

bool lower_hex(std::string_view text) {
    return text.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

// The endpoint if it exists and is the key's merchant's; no_such_endpoint() otherwise, whichever it is.
std::variant<jpp::WebhookEndpoint, http::Response> owned_endpoint(const ApiContext& api, const jpp::ApiKey& key,
                                                                  std::string_view id) {
    if (id.size() != 3 + 16 || !id.starts_with("we_") || !lower_hex(id.substr(3))) return no_such_endpoint();
    auto found = api.store.find_webhook(std::string(id));
    if (!found) return error_response(found.error(), "webhook endpoint");
    if (!found->has_value() || (*found)->merchant_id != key.merchant_id) return no_such_endpoint();
    return std::move(**found);
}

// A JSON object body whose members are all among `fields`; or the 4xx to answer.
std::variant<jpp::JsonDocument, http::Response> object_body(const ApiContext& api, const http::Request& request,
                                                            std::initializer_list<std::string_view> fields) {
    if (!is_json_request(request)) return unsupported_media_type();
    auto document = jpp::parse_json(request.body, api.json_limits);
    if (!document) return error_response(document.error());
    const jpp::JsonValue root = document->root();
    if (!root.is_object()) return invalid_body("the body must be a JSON object");
    for (std::size_t i = 0; i < root.size(); ++i)
        if (std::find(fields.begin(), fields.end(), root.key(i)) == fields.end())
            return invalid_body("unknown field '" + shown(root.key(i)) + "'");
    return std::move(*document);
}

http::Response list_webhooks(const ApiContext& api, const jpp::ApiKey& key) {
    auto endpoints = api.store.webhooks(key.merchant_id);
    if (!endpoints) return error_response(endpoints.error(), "listing webhook endpoints");
    std::string body = "{\"webhooks\":[";
    for (std::size_t i = 0; i < endpoints->size(); ++i) body += (i ? "," : "") + endpoint_json((*endpoints)[i], false);
    return json_response(200, body + "]}");
}

http::Response add_webhook(const ApiContext& api, const jpp::ApiKey& key, const http::Request& request) {
    auto parsed = object_body(api, request, {"url", "events"});
    if (auto* refused = std::get_if<http::Response>(&parsed)) return std::move(*refused);
    const jpp::JsonValue root = std::get<jpp::JsonDocument>(parsed).root();
    const auto url = root.find("url");
    if (!url || !url->is_string()) return invalid_body("url: a string is required");
    std::vector<std::string> names;
    if (const auto events = root.find("events")) {
        if (!events->is_array() || events->size() == 0 || events->size() > max_event_names)
            return invalid_body("events: an array of 1 to " + std::to_string(max_event_names) +
                                " event type names (leave it out for every type)");
        for (std::size_t i = 0; i < events->size(); ++i) {
            if (!(*events)[i].is_string())
                return invalid_body("events[" + std::to_string(i) + "]: an event type name is expected");
            names.emplace_back((*events)[i].as_string());
        }
    }
    auto types = webhooks::parse_event_types(names);
    if (!types) return invalid_body(jpp::to_valid_utf8(types.error().message));
    auto endpoint = webhooks::make_endpoint(key.merchant_id, url->as_string(), *types, api.webhook_allow_private,
                                            api.clock.now());
    if (!endpoint && endpoint.error().code == jpp::Errc::invalid_argument)
        return http::json_error(400, "invalid_webhook_url", jpp::to_valid_utf8(endpoint.error().message));
    if (!endpoint) return error_response(endpoint.error(), "making a webhook endpoint");

    // Counting and adding under one lock, so concurrent requests cannot pass the limit together.
    static std::mutex adding;
    {
        const std::lock_guard lock(adding);
        auto existing = api.store.webhooks(key.merchant_id);
        if (!existing) return error_response(existing.error(), "listing webhook endpoints");
        if (existing->size() >= webhooks::max_endpoints_per_merchant)
            return http::json_error(409, "too_many_webhooks",
                                    "a merchant may have at most " +
                                        std::to_string(webhooks::max_endpoints_per_merchant) +
                                        " webhook endpoints; remove one first");
        if (auto added = api.store.add_webhook(*endpoint); !added)
            return error_response(added.error(), "adding a webhook endpoint");
    }
    http::Response r = json_response(201, endpoint_json(*endpoint, true));
    r.with_header("Location", "/api/v1/webhooks/" + endpoint->id);
    return r;
}

http::Response remove_webhook(const ApiContext& api, const jpp::ApiKey& key, std::string_view id) {
    auto owned = owned_endpoint(api, key, id);
    if (auto* refused = std::get_if<http::Response>(&owned)) return std::move(*refused);
    auto removed = api.store.remove_webhook(std::get<jpp::WebhookEndpoint>(owned).id);
    if (!removed) return error_response(removed.error(), "removing a webhook endpoint");
    if (!*removed) return no_such_endpoint();
    http::Response r;
    r.status = 204;
    return r;
}

std::string delivery_json(const jpp::WebhookDelivery& d) {
    std::string out = "{\"id\":" + http::json_quote(d.id) + ",\"event_id\":" + http::json_quote(d.event.id) +
                      ",\"event_type\":" + http::json_quote(jpp::event_type_name(d.event.type)) +
                      ",\"invoice_id\":" + http::json_quote(d.event.invoice_id.hex()) + ",\"redelivery_of\":" +
                      (d.redelivery_of ? http::json_quote(*d.redelivery_of) : std::string("null")) +
                      ",\"state\":" + http::json_quote(jpp::delivery_state_name(d.state)) +
                      ",\"created\":" + http::json_quote(jpp::to_rfc3339(d.created)) + ",\"next_attempt\":" +
                      (d.state == jpp::DeliveryState::pending ? http::json_quote(jpp::to_rfc3339(d.next_attempt))
                                                               : std::string("null")) +
                      ",\"attempts\":[";
    for (std::size_t i = 0; i < d.attempts.size(); ++i) {
        const jpp::DeliveryAttempt& a = d.attempts[i];
        out += std::string(i ? "," : "") + "{\"time\":" + http::json_quote(jpp::to_rfc3339(a.time)) +
               ",\"status_code\":" + (a.status_code ? std::to_string(a.status_code) : std::string("null")) +
               ",\"error\":" + (a.error.empty() ? std::string("null") : http::json_quote(jpp::to_valid_utf8(a.error))) +
               ",\"duration_ms\":" + std::to_string(a.duration.count()) + "}";
    }
    return out + "]}";
}

http::Response list_deliveries(const ApiContext& api, const jpp::ApiKey& key, std::string_view id,
                               const http::Request& request) {
    auto owned = owned_endpoint(api, key, id);
    if (auto* refused = std::get_if<http::Response>(&owned)) return std::move(*refused);
    auto parsed = parse_query(request, {"limit"});
    if (auto* refused = std::get_if<http::Response>(&parsed)) return std::move(*refused);
    const auto limit = page_limit(std::get<Query>(parsed));
    if (!limit) return bad_limit();
    auto deliveries = api.store.deliveries(std::get<jpp::WebhookEndpoint>(owned).id, *limit);
    if (!deliveries) return error_response(deliveries.error(), "listing deliveries");
    std::string body = "{\"deliveries\":[";
    for (std::size_t i = 0; i < deliveries->size(); ++i) body += (i ? "," : "") + delivery_json((*deliveries)[i]);
    return json_response(200, body + "]}");
}

http::Response redeliver(const ApiContext& api, const jpp::ApiKey& key, std::string_view id,
                         const http::Request& request) {
    auto owned = owned_endpoint(api, key, id);
    if (auto* refused = std::get_if<http::Response>(&owned)) return std::move(*refused);
    const std::string& endpoint_id = std::get<jpp::WebhookEndpoint>(owned).id;
    auto parsed = object_body(api, request, {"event_id"});
    if (auto* refused = std::get_if<http::Response>(&parsed)) return std::move(*refused);
    const auto event_id = std::get<jpp::JsonDocument>(parsed).root().find("event_id");
    if (!event_id || !event_id->is_string()) return invalid_body("event_id: a string is required");
    const std::string_view event = event_id->as_string();
    const auto no_such_event = [] { return http::json_error(404, "not_found", "no such event"); };
    if (event.size() != 4 + 32 || !event.starts_with("evt_") || !lower_hex(event.substr(4))) return no_such_event();

    auto latest = api.store.deliveries(endpoint_id, max_page);
    if (!latest) return error_response(latest.error(), "listing deliveries");
    const auto pending = std::count_if(latest->begin(), latest->end(), [](const jpp::WebhookDelivery& d) {
        return d.state == jpp::DeliveryState::pending;
    });
    if (static_cast<std::size_t>(pending) >= max_pending_redeliveries)
        return http::json_error(429, "too_many_pending_deliveries",
                                "this endpoint has " + std::to_string(pending) +
                                    " deliveries waiting; retry once they are sent")
            .with_header("Retry-After", "60");

    auto made = api.store.redeliver(std::string(event), endpoint_id, api.clock.now());
    if (!made) return error_response(made.error(), "redelivering " + std::string(event));
    if (!made->has_value()) return no_such_event();
    const jpp::WebhookDelivery& d = **made;
    return json_response(202, "{\"delivery_id\":" + http::json_quote(d.id) + ",\"event_id\":" +
                                  http::json_quote(d.event.id) + ",\"redelivery_of\":" +
                                  (d.redelivery_of ? http::json_quote(*d.redelivery_of) : std::string("null")) + "}");
}

http::Response dispatch(const ApiContext& api, const http::Request& request, const Match& m) {
    if (!method_allowed(m.route, request.method)) {
        http::Response r = http::json_error(405, "method_not_allowed",
                                            shown(request.method) + " is not allowed here; allowed: " +
                                                std::string(allowed_methods(m.route)));
        r.with_header("Allow", std::string(allowed_methods(m.route)));
        return r;
    }
    // The key before anything else: a caller without one learns nothing from the query's or the body's errors.
    auto found = require_key(api, request, permission(m.route, request.method));
    if (auto* refused = std::get_if<http::Response>(&found)) return std::move(*refused);
    const jpp::ApiKey& key = std::get<jpp::ApiKey>(found);

    if (m.route != Route::invoices && m.route != Route::deliveries)
        if (auto refused = refuse_any_query(request)) return std::move(*refused);
    const bool get = request.method == "GET";
    switch (m.route) {
        case Route::invoices:
            if (get) return list_invoices(api, key, request);
            if (auto refused = refuse_any_query(request)) return std::move(*refused);
            return create_invoice_as(api, request, key, true);
        case Route::invoice: return get_invoice(api, key, m.id);
        case Route::cancel: return cancel_invoice(api, key, m.id);
        case Route::webhooks: return get ? list_webhooks(api, key) : add_webhook(api, key, request);
        case Route::webhook: return remove_webhook(api, key, m.id);
        case Route::deliveries: return list_deliveries(api, key, m.id, request);
        case Route::redeliver: return redeliver(api, key, m.id, request);
        default: return http::json_error(404, "not_found", "no such resource");
    }
}

}  // namespace

http::Response merchant_api(const ApiContext& api, const http::Request& request,
                            const std::vector<std::string_view>& path) {
    const Match m = match(path);
    http::Response r = m.route == Route::none
                           ? http::json_error(404, "not_found", "no such resource: " + shown(request.path))
                           : dispatch(api, request, m);
    r.with_header("Cache-Control", "no-store");  // private answers, an endpoint's secret among them
    r.route = route_template(m.route);
    return r;
}

}  // namespace jppd::api
