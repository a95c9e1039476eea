// The JSON shapes of the native API and of the WebSocket messages (RapidJSON underneath).
// Field names and types follow Watchtower's: payment_id, payment_url, network, currency, required_fee_per_byte,
// memo, time, expires, outputs, payment, merchant_data; plus status and a bitcoincash:?r= payment URI.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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
// bitcoincash:?r=<base>/jpp/i/bitpay/<id>/; for an address-payable invoice, <address>?amount=<BCH>&r=<same URL>,
// so that wallets without the payment protocols pay the address (chain.md).
std::string payment_uri(const JsonContext& context, const Invoice& invoice);

std::string invoice_to_json(const Invoice& invoice, const JsonContext& context);
// invoice_to_json's object with what only the invoice's merchant may read: order_id, metadata, cancelled_at.
std::string merchant_invoice_to_json(const Invoice& invoice, const JsonContext& context);
// {"category","amount","nft"?:{"capability","commitment"}}: a token as every JSON shape here writes it (an amount
// beyond 2^53 - 1 as a decimal string, which JavaScript clients would otherwise round). ASCII only.
std::string token_to_json(const TokenData& token);
// {"type":"payment_received","invoice":{...},"txid":...,"paid_at":...,"memo":...} (memo falls back to the
// invoice's), {"type":"invoice_expired","invoice":{...},"expires":...}, {"type":"invoice_cancelled",
// "invoice":{...},"cancelled_at":...} or {"type":"invoice_created","invoice":{...}}.
std::string event_to_json(const Event& event, const JsonContext& context);

// What a client's JSON may be: every JSON text that comes from outside (the native API's bodies, the wallet
// protocols' bodies, the C ABI's arguments) is read by parse_json with limits like these, and nothing else.
struct JsonLimits {
    std::size_t max_bytes = 64 * 1024;  // larger: json_too_large
    unsigned max_depth = 16;            // more arrays and objects nested: json_too_deep
};

class JsonDocument;

// A value inside a JsonDocument: a cheap handle, valid while its document lives where it is (not moved from).
class JsonValue {
public:
    enum class Kind : std::uint8_t { null, boolean, integer, big_integer, real, string, array, object };

    Kind kind() const noexcept;
    bool is_null() const noexcept { return kind() == Kind::null; }
    bool is_bool() const noexcept { return kind() == Kind::boolean; }
    bool is_string() const noexcept { return kind() == Kind::string; }
    bool is_array() const noexcept { return kind() == Kind::array; }
    bool is_object() const noexcept { return kind() == Kind::object; }
    bool is_number() const noexcept;
    bool is_int64() const noexcept { return kind() == Kind::integer; }  // an integer that fits an int64

    bool as_bool() const noexcept;            // false unless a boolean
    std::int64_t as_int64() const noexcept;   // 0 unless is_int64()
    double as_double() const noexcept;        // any number; 0 otherwise
    std::string_view as_string() const noexcept;  // "" unless a string (valid UTF-8, may hold U+0000)

    // Arrays: the number of items; objects: the number of members (keys are unique); 0 otherwise.
    std::size_t size() const noexcept;
    JsonValue operator[](std::size_t i) const noexcept;  // array item i (i < size())
    std::string_view key(std::size_t i) const noexcept;  // object member i's key, in document order
    JsonValue value(std::size_t i) const noexcept;       // object member i's value
    // The member named `name` of an object, or nullopt (also when this is not an object).
    std::optional<JsonValue> find(std::string_view name) const noexcept;

private:
    friend class JsonDocument;
    friend struct JsonAccess;
    JsonValue(const JsonDocument* document, std::uint32_t node) noexcept : document_(document), node_(node) {}
    const JsonDocument* document_;
    std::uint32_t node_;
};

// One JSON value read by parse_json, stored flat (no node owns another: building, reading, writing and destroying
// it never recurse, whatever its shape).
class JsonDocument {
public:
    JsonDocument() { nodes_.emplace_back(); }  // null, until parse_json fills one
    JsonValue root() const noexcept { return JsonValue(this, 0); }

private:
    friend class JsonValue;
    friend struct JsonAccess;
    struct Node {
        JsonValue::Kind kind = JsonValue::Kind::null;
        std::uint32_t first = 0;  // strings: offset in strings_; arrays, objects: offset in links_
        std::uint32_t count = 0;  // strings: length; arrays: items; objects: members (two links each: key, value)
        union {
            bool boolean;
            std::int64_t integer;
            std::uint64_t big_integer;
            double real;
        };
        Node() : integer(0) {}
    };
    std::vector<Node> nodes_;
    std::string strings_;
    std::vector<std::uint32_t> links_;
};

// The single entry for JSON from outside: exactly one JSON value (any type) within `limits`, strictly valid
// UTF-8 (strings included, escapes decoded), no object with a key twice. Errors: json_too_large, json_too_deep,
// json_duplicate_key, or json_invalid (malformed, not UTF-8, trailing text), with the byte offset when known.
// Reads with an explicit stack: a body nested 100,000 levels deep costs no stack.
Result<JsonDocument> parse_json(std::string_view text, const JsonLimits& limits = {});

// The value as compact JSON, without recursion: members in document order, numbers as they were read (integers
// exactly), strings re-escaped; with ascii_only every non-ASCII character is written as \uXXXX (so the bytes are
// the same whatever charset a reader assumes).
std::string to_json(JsonValue value, bool ascii_only = false);

// `text` with every byte that does not begin a valid UTF-8 sequence replaced by U+FFFD: for messages that may quote
// what a client sent.
std::string to_valid_utf8(std::string_view text);

// Request bodies. Errors name the field ("outputs[0].amount: expected an integer number of satoshis").
Result<CreateInvoiceRequest> parse_create_invoice(std::string_view body, const JsonLimits& limits = {});
// refund_to is bounded here by `config` (max_refund_outputs entries, each address at most max_address_bytes,
// amounts 0..max_money): invoice_invalid otherwise. The service checks the addresses themselves.
Result<PayRequest> parse_pay_request(std::string_view body, const JsonLimits& limits = {},
                                     const ServiceConfig& config = {});
// {"raw_tx_hex": "..."} for verify.
Result<std::string> parse_verify_request(std::string_view body, const JsonLimits& limits = {});

// Whether `text` is exactly one JSON value within the limits (for merchant_data given through the C++ API).
bool is_json_value(std::string_view text, const JsonLimits& limits = {});

// An upper bound on the size of any event message (event_to_json) about an invoice and payment that `config`
// lets the service accept, for a public URL of `public_url_bytes` bytes: every text at its longest and made
// only of characters JSON escapes as \u00XX, every number at its widest, every list at its limit.
std::size_t max_event_json_bytes(const ServiceConfig& config, std::size_t public_url_bytes);

}  // namespace jpp
