// The invoice model: what a merchant asks to be paid, and the payment that settled it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jpp/address.hpp"
#include "jpp/block.hpp"
#include "jpp/clock.hpp"
#include "jpp/token.hpp"
#include "jpp/transaction.hpp"

namespace jpp {

// A random (version 4) UUID, shown as 32 lower-case hex digits: the invoice's payment_id.
struct InvoiceId {
    std::array<std::uint8_t, 16> bytes{};

    // From a CSPRNG (OpenSSL RAND_bytes).
    static InvoiceId generate();
    // 32 hex digits, or the dashed 8-4-4-4-12 form; either case.
    static Result<InvoiceId> parse(std::string_view text);
    std::string hex() const;

    bool operator==(const InvoiceId&) const = default;
    auto operator<=>(const InvoiceId&) const = default;
};

struct InvoiceOutput {
    std::int64_t amount = 0;  // satoshis
    std::string address;      // CashAddr with prefix, as the merchant gave it (normalized to lower case)
    Bytes locking_bytecode;   // what the address pays to: the bytes a transaction output must carry
    std::string description;
    std::optional<TokenData> token;

    bool operator==(const InvoiceOutput&) const = default;
};

struct RefundOutput {
    std::int64_t amount = 0;
    std::string address;

    bool operator==(const RefundOutput&) const = default;
};

// Where a payment's transaction stands on the chain, as a chain follower (chain_follower.hpp) last saw it. All
// empty where nothing follows the chain (no node, or the development mode).
struct PaymentChain {
    std::optional<std::int64_t> block_height;  // of the block that holds it on the best chain; none while unmined
    std::optional<BlockHash> block_hash;
    std::uint32_t confirmations = 0;           // 0 while unmined; counted until the follower lets go of it
    std::optional<Timestamp> confirmed;        // when it reached the invoice's required confirmations
    std::optional<Timestamp> reversed;         // when it was found conflicted, or dropped beyond the window
    std::optional<Timestamp> missing_since;    // since when it has been neither in the mempool nor in a block
    bool operator==(const PaymentChain&) const = default;
};

// How a payment reached the server: through a wallet protocol (pay, BitPay, BIP70), or as a transaction the
// chain follower found paying the invoice's address.
enum class PaymentSource : std::uint8_t { protocol, address };
std::string_view payment_source_name(PaymentSource source) noexcept;  // "protocol", "address"

struct Payment {
    TxId txid;
    std::string memo;
    Timestamp paid_at{};
    std::vector<RefundOutput> refund_to;
    Bytes raw_transaction;  // kept for audit
    PaymentChain chain;
    PaymentSource source = PaymentSource::protocol;
    // Found at the address: satoshis paid beyond what the invoice asked, and whether it arrived after expiry.
    std::int64_t overpaid_by = 0;
    bool late = false;

    bool operator==(const Payment&) const = default;
};

// A transaction found paying an invoice's address less than it asks: recorded and told, but not a payment.
struct Underpayment {
    TxId txid;
    std::int64_t amount = 0;  // satoshis it sent to the address
    Timestamp seen{};
    bool operator==(const Underpayment&) const = default;
};

// paid: a payment was accepted (its transaction is in the mempool or a block); confirmed: its transaction has the
// invoice's required confirmations; reversed: it was double-spent, or dropped and not mined again in time.
enum class InvoiceStatus : std::uint8_t { open, paid, expired, cancelled, confirmed, reversed };
// "open", "paid", "expired", "cancelled", "confirmed", "reversed"
std::string_view invoice_status_name(InvoiceStatus status) noexcept;
std::optional<InvoiceStatus> invoice_status_from_name(std::string_view name) noexcept;

struct Invoice {
    InvoiceId id;
    Network network = Network::main;
    std::string currency = "BCH";
    double required_fee_per_byte = 1.0;
    std::string memo;
    Timestamp time{};
    Timestamp expires{};
    std::string merchant_data = "null";  // any JSON value, kept verbatim as text
    std::vector<InvoiceOutput> outputs;
    // How many blocks must hold the payment's transaction before the invoice is confirmed (0: the mempool will
    // do: confirmed once a follower of the chain has seen it there).
    std::uint32_t required_confirmations = 1;
    // Payable by a plain send to its one address (no wallet protocol): it holds that address's claim, so no other
    // open invoice can be paid at it (chain.md). Asked for by the service at creation, kept only if granted.
    bool address_payable = false;
    // For an address-payable invoice, the node's best height when it was made: only later blocks may pay it.
    std::optional<std::int64_t> created_height;
    std::optional<Payment> payment;
    std::vector<Underpayment> underpayments;  // oldest first
    // Who made it: a merchant's id (merchant.hpp), or none for an invoice created without a key (open creation).
    std::optional<std::int64_t> merchant_id;
    // The merchant's private JSON value (order ids, customer references): never shown to payers.
    std::string metadata = "null";
    // The merchant's own reference, private like metadata, unique among the merchant's invoices.
    std::optional<std::string> order_id;
    // When the merchant cancelled it: it takes no payment afterwards.
    std::optional<Timestamp> cancelled;

    // A payment wins over cancelled and expired (a payment accepted before either stays forever), and says
    // paid, confirmed or reversed (reversed wins); cancelled wins over expired.
    InvoiceStatus status_at(Timestamp now) const noexcept;
    std::int64_t total_amount() const noexcept;

    bool operator==(const Invoice&) const = default;
};

}  // namespace jpp
