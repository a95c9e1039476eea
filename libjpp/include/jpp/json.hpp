// The JSON shapes of the native API and of the WebSocket messages (RapidJSON underneath).
// Field names and types follow Watchtower's: payment_id, payment_url, network, currency, required_fee_per_byte,
// memo, time, expires, outputs, payment, merchant_data; plus status and a bitcoincash:?r= payment URI.
#pragma once

#include <string>
#include <string_view>

#include "jpp/error.hpp"
#include "jpp/events.hpp"
#include "jpp/invoice.hpp"
#include "jpp/service.hpp"

namespace jpp {

// Where the invoice's URLs point: an absolute base such as "https://pay.example.com" (no trailing slash needed).
struct JsonContext {
    std::string public_url;
    Timestamp now{};  // for the status field
};

std::string payment_url(const JsonContext& context, const InvoiceId& id);  // <base>/jpp/invoices/<id>/
std::string payment_uri(const JsonContext& context, const InvoiceId& id);  // bitcoincash:?r=<base>/jpp/i/bitpay/<id>/

std::string invoice_to_json(const Invoice& invoice, const JsonContext& context);
// {"category","amount","nft"?:{"capability","commitment"}}: a token as every JSON shape here writes it (an amount
// beyond 2^53 - 1 as a decimal string, which JavaScript clients would otherwise round). ASCII only.
std::string token_to_json(const TokenData& token);
// {"type":"payment_received","invoice":{...},"txid":...,"paid_at":...,"memo":...} (memo falls back to the
// invoice's), or {"type":"invoice_expired","invoice":{...}}.
std::string event_to_json(const Event& event, const JsonContext& context);

struct JsonLimits {
    std::size_t max_bytes = 64 * 1024;
    unsigned max_depth = 16;
};

// Request bodies. Errors name the field ("outputs[0].amount: expected an integer number of satoshis").
Result<CreateInvoiceRequest> parse_create_invoice(std::string_view body, const JsonLimits& limits = {});
Result<PayRequest> parse_pay_request(std::string_view body, const JsonLimits& limits = {});
// {"raw_tx_hex": "..."} for verify.
Result<std::string> parse_verify_request(std::string_view body, const JsonLimits& limits = {});

// Whether `text` is exactly one JSON value within the limits (for merchant_data given through the C++ API).
bool is_json_value(std::string_view text, const JsonLimits& limits = {});

}  // namespace jpp
