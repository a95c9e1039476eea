#include "api/invoice_api.hpp"

#include <jpp/hash.hpp>

#include <algorithm>

#include "api/auth.hpp"
#include "api/errors.hpp"
#include "api/invoice_cache.hpp"
#include "api/invoice_page.hpp"
#include "http/accept.hpp"
#include "log.hpp"
#include "paypro/bip70.hpp"
#include "paypro/bitpay.hpp"

namespace jppd::api {

namespace {

constexpr const char* json_type = "application/json; charset=utf-8";

http::Response invoice_response(const ApiContext& api, const jpp::Invoice& invoice, int status) {
    http::Response r;
    r.status = status;
    r.content_type = json_type;
    r.body = jpp::invoice_to_json(invoice, api.json_context());
    return r;
}

}  // namespace

http::Response create_invoice(const ApiContext& api, const http::Request& request) {
    // The key first: a stranger learns nothing from the body's errors. With open creation a key is optional (and
    // still checked when given); either way the invoice belongs to the key's merchant.
    std::optional<jpp::ApiKey> caller;
    if (api.open_invoice_creation) {
        auto found = optional_key(api, request, jpp::invoices_create);
        if (auto* refused = std::get_if<http::Response>(&found)) return std::move(*refused);
        caller = std::move(std::get<std::optional<jpp::ApiKey>>(found));
    } else {
        auto found = require_key(api, request, jpp::invoices_create);
        if (auto* refused = std::get_if<http::Response>(&found)) return std::move(*refused);
        caller = std::move(std::get<jpp::ApiKey>(found));
    }
    return create_invoice_as(api, request, caller, false);
}

http::Response create_invoice_as(const ApiContext& api, const http::Request& request,
                                 const std::optional<jpp::ApiKey>& caller, bool merchant_view) {
    if (!is_json_request(request)) return unsupported_media_type();
    auto parsed = jpp::parse_create_invoice(request.body, api.json_limits);
    if (!parsed) return error_response(parsed.error());
    if (caller) parsed->merchant_id = caller->merchant_id;

    // Idempotency-Key: a shop's retry after a timeout gets the invoice its first request made, never a second.
    std::optional<jpp::IdempotencyKey> key;
    const std::string_view idempotency = request.header("idempotency-key");
    if (!idempotency.empty()) {
        if (idempotency.size() > 255 ||
            std::any_of(idempotency.begin(), idempotency.end(), [](char c) { return c < 0x21 || c > 0x7e; }))
            return http::json_error(400, "invalid_idempotency_key",
                                    "Idempotency-Key: 1 to 255 visible ASCII characters");
        const jpp::Hash256 body_hash = jpp::sha256(jpp::ByteView(
            reinterpret_cast<const std::uint8_t*>(request.body.data()), request.body.size()));
        jpp::IdempotencyKey scoped{caller ? caller->merchant_id : 0, std::string(idempotency), {}};
        std::copy(body_hash.begin(), body_hash.end(), scoped.request_hash.begin());
        key = scoped;
    }
    auto made = api.service.create_idempotent(*parsed, key);
    if (!made) return error_response(made.error(), "creating an invoice");
    const int status = made->existed ? 200 : 201;
    http::Response r;
    if (merchant_view) {
        r.status = status;
        r.content_type = "application/json; charset=utf-8";
        r.body = jpp::merchant_invoice_to_json(made->invoice, api.json_context());
        r.with_header("Location", "/api/v1/invoices/" + made->invoice.id.hex());
    } else {
        r = invoice_response(api, made->invoice, status);
        r.with_header("Location", jpp::payment_url(api.json_context(), made->invoice.id));
    }
    if (made->existed) r.with_header("Idempotent-Replayed", "true");
    return r;
}

http::Response get_invoice(const ApiContext& api, const jpp::InvoiceId& id, const http::Request& request) {
    // JSON for programs (curl and fetch() send */*), the page for browsers (they ask for text/html first), and
    // each wallet protocol's first answer for the wallets that ask for it.
    static const std::vector<std::string_view> offered{"application/json", "text/html", paypro::payment_options_type,
                                                       paypro::payment_request_type, paypro::bip70_request_type};
    const auto chosen = http::negotiate(request.header("accept"), offered);
    http::Response r;
    switch (chosen.value_or(offered.size())) {
        case 2: r = paypro::bitpay_get(api, id, paypro::BitpayVersion::v2, api.public_url + request.path); break;
        case 3: r = paypro::bitpay_get(api, id, paypro::BitpayVersion::v1, api.public_url + request.path); break;
        case 4: r = paypro::bip70_payment_request(api, id, api.public_url + request.path); break;
        case 0:
        case 1: {
            const jpp::JsonContext context = api.json_context();
            if (*chosen == 0 && api.invoice_cache) {
                if (auto json = api.invoice_cache->find(id, context.now)) {
                    r.content_type = json_type;
                    r.body = std::move(*json);
                    break;
                }
            }
            const auto ticket = api.invoice_cache ? api.invoice_cache->ticket(id) : 0;
            auto invoice = api.service.get(id);
            // The 404 depends on Accept too (a wallet's is in its protocol's form): a cache must keep them apart.
            if (!invoice) return error_response(invoice.error(), "invoice " + id.hex()).with_header("Vary", "Accept");
            if (*chosen == 1) {
                r = invoice_page(api, *invoice);
                break;
            }
            r.content_type = json_type;
            r.body = jpp::invoice_to_json(*invoice, context);
            if (api.invoice_cache) api.invoice_cache->keep(*invoice, ticket, r.body, context.now);
            break;
        }
        default: r = not_acceptable(offered);
    }
    r.with_header("Vary", "Accept");
    return r;
}

http::Response post_to_invoice(const ApiContext& api, const jpp::InvoiceId& id, const http::Request& request) {
    const std::string type = request.media_type();
    if (paypro::is_bitpay_post(type)) return paypro::bitpay_post(api, id, request, api.public_url + request.path);
    if (type == paypro::bip70_payment_type) return paypro::bip70_payment(api, id, request);
    return paypro::unsupported_payment_type(request);
}

http::Response verify_payment(const ApiContext& api, const jpp::InvoiceId& id, const http::Request& request) {
    if (!is_json_request(request)) return unsupported_media_type();
    auto hex = jpp::parse_verify_request(request.body, api.json_limits);
    if (!hex) return verify_error_response(hex.error());
    auto verdict = api.service.verify(id, *hex);
    if (!verdict) return verify_error_response(verdict.error(), "verify " + id.hex());
    http::Response r;
    r.content_type = "application/json; charset=utf-8";
    r.body = "{\"valid\":true,\"inputs_checked\":" + std::string(verdict->inputs_checked ? "true" : "false") +
             ",\"size\":" + std::to_string(verdict->size);
    if (verdict->inputs_checked) r.body += ",\"fee\":" + std::to_string(verdict->fee);
    if (!verdict->message.empty()) r.body += ",\"message\":" + http::json_quote(verdict->message);
    r.body += "}";
    return r;
}

http::Response pay_invoice(const ApiContext& api, const jpp::InvoiceId& id, const http::Request& request) {
    if (!is_json_request(request)) return unsupported_media_type();
    auto pay = jpp::parse_pay_request(request.body, api.json_limits, api.service.config());
    if (!pay) return pay_error_response(pay.error());
    auto invoice = api.service.pay(id, *pay);
    count_payment(metrics::Protocol::native, invoice ? nullptr : &invoice.error());
    if (!invoice) return pay_error_response(invoice.error(), "pay " + id.hex());
    return invoice_response(api, *invoice, 200);
}

}  // namespace jppd::api
