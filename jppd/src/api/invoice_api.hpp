// The native JSON API (Watchtower's): create, get, verify and pay an invoice.
#pragma once

#include <string_view>

#include "api/api_context.hpp"
#include "http/message.hpp"

namespace jppd::api {

http::Response create_invoice(const ApiContext& api, const http::Request& request);            // POST /jpp/invoices/
// GET /jpp/invoices/{id}/: JSON, or the invoice page for a browser (Accept: text/html).
http::Response get_invoice(const ApiContext& api, const jpp::InvoiceId& id, const http::Request& request);
http::Response verify_payment(const ApiContext& api, const jpp::InvoiceId& id, const http::Request& request);
http::Response pay_invoice(const ApiContext& api, const jpp::InvoiceId& id, const http::Request& request);

}  // namespace jppd::api
