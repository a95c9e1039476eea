// The native JSON API (Watchtower's): create, get, verify and pay an invoice; and the invoice URLs wallets use.
#pragma once

#include <jpp/merchant.hpp>

#include <optional>
#include <string_view>

#include "api/api_context.hpp"
#include "http/message.hpp"

namespace jppd::api {

http::Response create_invoice(const ApiContext& api, const http::Request& request);            // POST /jpp/invoices/
// The creation both POST /jpp/invoices/ and POST /api/v1/invoices make once the caller is known (none: open
// creation): the body, Idempotency-Key and order_id, for the caller's merchant. `merchant_view` answers with the
// invoice's private parts (merchant_invoice_to_json) and a Location in the merchant API.
http::Response create_invoice_as(const ApiContext& api, const http::Request& request,
                                 const std::optional<jpp::ApiKey>& caller, bool merchant_view);
// GET on an invoice's URLs (/jpp/invoices/{id}/, /jpp/i/bitpay/{id}/, /jpp/i/{id}/), by Accept: JSON, the invoice
// page for a browser (text/html), BitPay's payment options (v2) or payment request (v1), or BIP70's
// PaymentRequest; 406 otherwise.
http::Response get_invoice(const ApiContext& api, const jpp::InvoiceId& id, const http::Request& request);
// POST on those URLs, by Content-Type: one of BitPay's steps, or a BIP70 Payment.
http::Response post_to_invoice(const ApiContext& api, const jpp::InvoiceId& id, const http::Request& request);
http::Response verify_payment(const ApiContext& api, const jpp::InvoiceId& id, const http::Request& request);
http::Response pay_invoice(const ApiContext& api, const jpp::InvoiceId& id, const http::Request& request);

}  // namespace jppd::api
