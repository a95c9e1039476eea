// The invoice as a web page, for a browser that GETs an invoice URL: a QR code of the payment URI, the amounts,
// the memo, a live countdown, and a status that turns to paid by itself over the WebSocket. Self-contained: its
// style, script and QR code are inline, so it loads nothing from anywhere else.
#pragma once

#include <jpp/invoice.hpp>

#include "api/api_context.hpp"
#include "http/message.hpp"

namespace jppd::api {

http::Response invoice_page(const ApiContext& api, const jpp::Invoice& invoice);

// "0.0001", "1", "12.3456789": satoshis as BCH, exactly, without trailing zeros.
std::string format_bch(std::int64_t satoshis);

}  // namespace jppd::api
