// BitPay's JSON Payment Protocol, v2 and v1, as bitcore-wallet-client, Electron Cash, Paytaca and Edge speak it.
//
// v2: GET (Accept: application/payment-options) lists the ways to pay; POST application/payment-request picks
// one and gets the outputs; POST application/payment-verification checks an unsigned transaction; POST
// application/payment pays with the signed one. v1: GET (Accept: application/payment-request) gets the outputs;
// POST application/verify-payment, then application/payment with `transactions` as plain hex strings.
// Every success is JSON in UTF-8 and signed when a key is configured; errors carry the texts clients match on,
// as JSON {"code","msg","message","error"} for v2 and as plain text for v1.
#pragma once

#include <jpp/invoice.hpp>

#include <string>
#include <string_view>

#include "api/api_context.hpp"
#include "http/message.hpp"

namespace jppd::paypro {

inline constexpr std::string_view payment_options_type = "application/payment-options";
inline constexpr std::string_view payment_request_type = "application/payment-request";

enum class BitpayVersion { v1, v2 };

// GET: v2's payment options or v1's payment request. `payment_url` is the URL the wallet fetched: it is where
// the wallet is told to send the rest of the exchange.
http::Response bitpay_get(const api::ApiContext& api, const jpp::InvoiceId& id, BitpayVersion version,
                          const std::string& payment_url);

// Whether a POST with this media type (lowercase, no parameters) belongs to this protocol.
bool is_bitpay_post(std::string_view media_type);
http::Response bitpay_post(const api::ApiContext& api, const jpp::InvoiceId& id, const http::Request& request,
                           const std::string& payment_url);

// 400 "Unsupported Content-Type for payment": a POST to an invoice URL in no protocol's media type. v2's form
// when the request says x-paypro-version 2, v1's otherwise.
http::Response unsupported_payment_type(const http::Request& request);

}  // namespace jppd::paypro
