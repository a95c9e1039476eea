// The native JSON API (Watchtower's): create, get, verify and pay an invoice; and the invoice URLs wallets use.
#pragma once

#include <string_view>

#include "api/api_context.hpp"
#include "http/message.hpp"

namespace jppd::api {

http::Response create_invoice(const ApiContext& api, const http::Request& request);            // POST /jpp/invoices/
// GET on an invoice's URLs (/jpp/invoices/{id}/, /jpp/i/bitpay/{id}/, /jpp/i/{id}/), by Accept: JSON, the invoice
// page for a browser (text/html), BitPay's payment options (v2) or payment request (v1), or BIP70's
// PaymentRequest; 406 otherwise.
http::Response get_invoice(const ApiContext& api, const jpp::InvoiceId& id, const http::Request& request);
// POST on those URLs, by Content-Type: one of BitPay's steps, or a BIP70 Payment.
http::Response post_to_invoice(const ApiContext& api, const jpp::InvoiceId& id, const http::Request& request);
http::Response verify_payment(const ApiContext& api, const jpp::InvoiceId& id, const http::Request& request);
http::Response pay_invoice(const ApiContext& api, const jpp::InvoiceId& id, const http::Request& request);

}  // namespace jppd::api
