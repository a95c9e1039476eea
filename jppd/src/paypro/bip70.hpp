// BIP70 in its Bitcoin Cash form (BIP71 media types application/bitcoincash-*): protobuf PaymentRequest,
// Payment and PaymentACK, as Electron Cash, Flowee, Badger and the Bitcoin.com-era wallets exchange them.
// Requests are unsigned (pki_type "none"). Errors are 400 with a short plain-text body, which Electron Cash
// shows as "Bad Request: <body>".
#pragma once

#include <jpp/invoice.hpp>

#include <string>
#include <string_view>

#include "api/api_context.hpp"
#include "http/message.hpp"

namespace jppd::paypro {

inline constexpr std::string_view bip70_request_type = "application/bitcoincash-paymentrequest";
inline constexpr std::string_view bip70_payment_type = "application/bitcoincash-payment";
inline constexpr std::string_view bip70_ack_type = "application/bitcoincash-paymentack";

// GET: the PaymentRequest. Its payment_url is `payment_url`, the URL the wallet fetched.
http::Response bip70_payment_request(const api::ApiContext& api, const jpp::InvoiceId& id,
                                     const std::string& payment_url);
// POST application/bitcoincash-payment: verify, broadcast, record; the PaymentACK carries the Payment back.
http::Response bip70_payment(const api::ApiContext& api, const jpp::InvoiceId& id, const http::Request& request);

}  // namespace jppd::paypro
