// InvoiceService: create, get, verify and pay. The one place where the business rules of payments live.
#pragma once

#include <array>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jpp/chain.hpp"
#include "jpp/clock.hpp"
#include "jpp/events.hpp"
#include "jpp/invoice.hpp"
#include "jpp/store.hpp"
#include "jpp/verify.hpp"

namespace jpp {

struct ServiceConfig {
    Network network = Network::main;
    std::chrono::seconds invoice_lifetime{30 * 60};
    std::chrono::seconds max_invoice_lifetime{30 * 24 * 3600};
    double default_fee_per_byte = 1.0;
    std::size_t max_outputs = 100;
    std::size_t max_memo_bytes = 1000;
    std::size_t max_description_bytes = 1000;
    std::size_t max_merchant_data_bytes = 16 * 1024;
    // What a payer may attach to a payment: every watcher of the invoice is sent it (and the largest possible
    // event must fit a watcher's send queue, see max_event_json_bytes).
    std::size_t max_refund_outputs = 16;
    std::size_t max_address_bytes = 128;  // an address as text (the longest CashAddr is about 70)
    VerifyOptions verify;
};

struct OutputRequest {
    std::int64_t amount = 0;
    std::string address;
    std::string description;
    std::optional<TokenData> token;
};

struct CreateInvoiceRequest {
    std::vector<OutputRequest> outputs;
    std::string memo;
    std::optional<std::chrono::seconds> lifetime;  // default: the service's invoice_lifetime
    std::optional<double> required_fee_per_byte;   // default: the service's default_fee_per_byte
    std::string merchant_data = "null";            // a JSON value as text, kept verbatim
};

struct PayRequest {
    std::string raw_tx_hex;
    std::string memo;
    std::vector<RefundOutput> refund_to;
};

// Validates a request and builds the open invoice it describes (a fresh id, times from `now`), storing nothing:
// what create() does before it stores, for hosts that check invoices or verify payments without a store.
Result<Invoice> build_invoice(const CreateInvoiceRequest& request, const ServiceConfig& config, Timestamp now);

class InvoiceService {
public:
    InvoiceService(InvoiceStore& store, ChainBackend& chain, EventBus& events, const Clock& clock,
                   ServiceConfig config = {});

    // Validates everything (the message names the field: "outputs[1].amount: 500 sat is below the dust
    // threshold of 546 sat for this output") and stores a new open invoice.
    Result<Invoice> create(const CreateInvoiceRequest& request);
    Result<Invoice> get(const InvoiceId& id);

    // Decodes and verifies without broadcasting or recording. The verdict's error is the Result's error.
    Result<Verdict> verify(const InvoiceId& id, std::string_view raw_tx_hex);

    // In order: the invoice exists; is not expired; the transaction verifies; a retry with the transaction that
    // already paid it succeeds again; another transaction is refused; broadcast (nothing is recorded if it
    // fails); record exactly once; only then publish payment_received. Returns the paid invoice.
    Result<Invoice> pay(const InvoiceId& id, const PayRequest& request);

    // Announces invoice_expired for invoices that expired unpaid and were not announced yet; returns how many.
    Result<std::size_t> announce_expired(std::size_t limit = 1000);

    const ServiceConfig& config() const noexcept { return config_; }

private:
    Result<Transaction> decode_payment(std::string_view raw_tx_hex, Bytes& raw) const;
    Result<Verdict> check(const Invoice& invoice, const Transaction& tx, std::size_t size);

    std::mutex& pay_lock(const InvoiceId& id);

    InvoiceStore& store_;
    ChainBackend& chain_;
    EventBus& events_;
    const Clock& clock_;
    ServiceConfig config_;
    // Serializes payments of one invoice inside this process, so two concurrent wallets do not both broadcast;
    // across processes the store's constraints still decide alone.
    std::array<std::mutex, 64> pay_locks_;
};

}  // namespace jpp
