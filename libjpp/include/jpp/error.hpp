// Errors as values: every fallible libjpp call returns a Result carrying either its value or an Error with a
// machine-readable code, a human message and, for decoders, the byte offset where decoding stopped.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace jpp {

enum class Errc : int {
    ok = 0,
    // Encodings
    invalid_hex,              // not an even-length string of [0-9a-fA-F]
    truncated,                // the input ends before the structure does
    non_canonical_size,       // a CompactSize that is not minimally encoded
    size_too_large,           // a CompactSize above its cap
    trailing_bytes,           // bytes left over after a complete structure
    invalid_token_prefix,     // a CashTokens prefix breaking a rule of the CHIP
    // Consensus rules of a transaction
    tx_undersize,             // below 65 bytes
    tx_oversize,              // above 1,000,000 bytes
    tx_bad_version,           // version other than 1 or 2
    tx_no_inputs,
    tx_no_outputs,
    tx_value_out_of_range,    // an output value or their sum outside 0..21e14 sat
    tx_duplicate_input,       // two inputs spend one outpoint
    tx_null_prevout,          // a non-coinbase input spending the null outpoint
    tx_token_commitment_too_long,
    tx_bad_coinbase,          // coinbase script length outside 2..100, or tokens in a coinbase
    // Standardness (relay policy) of a transaction
    tx_nonstandard_size,      // above 100,000 bytes
    tx_dust_output,           // an output below its dust threshold
    tx_nonstandard_output,    // OP_RETURN data above the 223-byte relay limit
    // Addresses
    invalid_address,          // no valid CashAddr or base58check form
    address_checksum,         // well-formed but the checksum does not match
    address_mixed_case,
    address_wrong_network,
    address_unsupported_type, // a valid encoding of something that is not P2PKH, P2SH20 or P2SH32
    not_a_standard_destination,
    // Keys and signing
    invalid_private_key,
    invalid_argument,
    signing_failed,
    // Invoices and payments
    invoice_invalid,          // a create request that breaks a rule (the message names the field)
    invoice_not_found,
    invoice_expired,
    invoice_already_paid,     // paid by another transaction
    payment_output_missing,   // an invoice output no transaction output matches
    payment_inputs_short,     // the inputs hold less than the outputs
    payment_fee_too_low,      // below the invoice's fee rate over the signed size
    payment_tx_used,          // the transaction already settled another invoice
    broadcast_rejected,       // the node refused the transaction
    chain_unavailable,        // the node could not be reached or timed out
    store_failure,            // the database failed (full disk, I/O error, busy beyond the timeout)
    json_invalid,             // malformed JSON (or not UTF-8), or a field of the wrong type
    // Added later: values above are stable, new codes go at the end.
    json_too_deep,            // arrays and objects nested beyond the limit
    json_too_large,           // a JSON text beyond the size limit
    json_duplicate_key,       // an object naming one key twice
    tx_already_known,         // a chain backend's answer: the node already holds this transaction
    payment_tx_not_new,       // the node had the transaction before this server broadcast it for this invoice
    payment_in_progress,      // another transaction for this invoice is being broadcast; its outcome is pending
    payment_too_many_inputs,  // more inputs than the server will look up to check the fee
    idempotency_conflict,     // an idempotency key used before with another request
    invoice_cancelled,        // the merchant cancelled the invoice: it takes no payment
    invoice_not_cancellable,  // paid, expired, or a payment for it is being broadcast
    order_id_conflict,        // the merchant has an invoice with this order id, made by another request
    signature_invalid,        // a webhook signature header that is malformed or matches no signature of the body
    signature_expired,        // a webhook signature whose timestamp is outside the tolerance
    unauthorized,             // no API key, or one that is unknown, malformed or revoked
    forbidden,                // an API key without the permission the request needs
    not_found,                // a resource other than an invoice (a webhook endpoint, an event) that does not exist
    address_claimed,          // another open invoice is payable at this address (a store's answer to insert)
};

// The highest code: every value from ok to this one has a name.
inline constexpr Errc errc_last = Errc::address_claimed;

// The stable lower_snake_case name of a code, as used in JSON error bodies ("truncated", "tx_dust_output" ...).
std::string_view errc_name(Errc code) noexcept;

struct Error {
    static constexpr std::size_t no_offset = static_cast<std::size_t>(-1);

    Errc code = Errc::ok;
    std::string message;
    std::size_t offset = no_offset;  // byte offset into the decoded input, when there is one

    // "message (at byte N)" when an offset is known, else the message alone.
    std::string describe() const;
};

// A value or an Error. Small and explicit on purpose: check ok() (or bool), then take value() or error().
template <class T>
class [[nodiscard]] Result {
public:
    Result(T value) : state_(std::move(value)) {}  // NOLINT: implicit by design, `return value;`
    Result(Error error) : state_(std::move(error)) {}  // NOLINT

    bool ok() const noexcept { return state_.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }

    T& value() & { return std::get<0>(state_); }
    const T& value() const& { return std::get<0>(state_); }
    T&& value() && { return std::get<0>(std::move(state_)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    const Error& error() const& { return std::get<1>(state_); }
    Error&& error() && { return std::get<1>(std::move(state_)); }

private:
    std::variant<T, Error> state_;
};

// The result of a check that yields nothing but success or an Error.
class [[nodiscard]] Status {
public:
    Status() = default;
    Status(Error error) : error_(std::move(error)) {}  // NOLINT

    bool ok() const noexcept { return error_.code == Errc::ok; }
    explicit operator bool() const noexcept { return ok(); }
    const Error& error() const noexcept { return error_; }

private:
    Error error_;
};

inline Error make_error(Errc code, std::string message, std::size_t offset = Error::no_offset) {
    return Error{code, std::move(message), offset};
}

}  // namespace jpp
