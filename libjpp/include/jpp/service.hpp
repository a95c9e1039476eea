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
    std::size_t max_metadata_bytes = 16 * 1024;
    std::size_t max_order_id_bytes = 128;
    // What a payer may attach to a payment: every watcher of the invoice is sent it (and the largest possible
    // event must fit a watcher's send queue, see max_event_json_bytes).
    std::size_t max_refund_outputs = 16;
    std::size_t max_address_bytes = 128;  // an address as text (the longest CashAddr is about 70)
    // A transaction with more inputs than this is refused before any lookup (payment_too_many_inputs): each
    // input is one question to the node. A standard transaction of ordinary inputs has fewer than 700.
    std::size_t max_input_lookups = 700;
    // Confirmations an invoice requires unless its request says (0: the mempool will do), and the most a
    // request may ask.
    std::uint32_t default_confirmations = 1;
    std::uint32_t max_confirmations = 100;
    // Whether invoices of one output without tokens are offered for a plain send to their address (a BIP21 URI
    // with the amount): only where a chain follower matches the chain's transactions against them (jppd with a
    // node). One open invoice per address at a time; the others get the protocol-only URI.
    bool address_payments = false;
    // Underpayments recorded per invoice at most (each is shown with the invoice); later ones are not recorded.
    std::size_t max_underpayments = 10;
    // reconcile_intents() leaves intents younger than this alone: their payment may still be under way.
    std::chrono::seconds intent_grace{60};
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
    std::optional<std::int64_t> required_confirmations;  // default: the service's default_confirmations
    std::string merchant_data = "null";            // a JSON value as text, kept verbatim; the payer's wallet sees it
    std::optional<std::int64_t> merchant_id;       // the owner: the creating key's merchant
    std::string metadata = "null";                 // the merchant's private JSON value, never shown to payers
    // The merchant's own reference (1 to 128 bytes of printable UTF-8), private: at most one invoice per order id
    // and merchant. A repeat of a creation with the same order id and body returns the first invoice.
    std::optional<std::string> order_id;
};

struct PayRequest {
    std::string raw_tx_hex;
    std::string memo;
    std::vector<RefundOutput> refund_to;
};

// Validates a request and builds the open invoice it describes (a fresh id, times from `now`), storing nothing:
// what create() does before it stores, for hosts that check invoices or verify payments without a store. `now`
// is taken as exact: the invoice expires no sooner than `lifetime` after it.
Result<Invoice> build_invoice(const CreateInvoiceRequest& request, const ServiceConfig& config, Timestamp now);

// Thread-safe: every method may be called from any thread at once. Events are published on the calling thread
// after the change is committed and with no lock of the service held, so a subscriber may call the service
// (even pay the same invoice) from its callback. A host's ChainBackend may throw: that is chain_unavailable.
class InvoiceService {
public:
    InvoiceService(InvoiceStore& store, ChainBackend& chain, EventBus& events, const Clock& clock,
                   ServiceConfig config = {});

    // Validates everything (the message names the field: "outputs[1].amount: 500 sat is below the dust
    // threshold of 546 sat for this output") and stores a new open invoice.
    Result<Invoice> create(const CreateInvoiceRequest& request);
    // create() for a request that may be a retry: the first request with `key` makes the invoice, a repeat with
    // the same body gets that invoice back (`existed`), another body with the key is idempotency_conflict.
    // Without a key, a request with an order_id is keyed by it (another body: order_id_conflict); an order id
    // the merchant used in another request is order_id_conflict whatever the key.
    struct Creation {
        Invoice invoice;
        bool existed = false;
    };
    Result<Creation> create_idempotent(const CreateInvoiceRequest& request, std::optional<IdempotencyKey> key);
    Result<Invoice> get(const InvoiceId& id);
    // The invoice if it belongs to the merchant; invoice_not_found otherwise (never telling another merchant's
    // invoice from none).
    Result<Invoice> get_owned(const InvoiceId& id, std::int64_t merchant_id);
    // The merchant's invoices, newest first, as `query` filters them (its `now` is filled in here); at most
    // 1000 per call, whatever the query's limit.
    Result<std::vector<Invoice>> list(InvoiceQuery query);
    // Cancels an open invoice of the merchant and publishes invoice_cancelled: it takes no payment afterwards.
    // invoice_not_found for another merchant's, invoice_not_cancellable when paid, expired or being paid
    // (the message says which); cancelling a cancelled invoice again returns it.
    Result<Invoice> cancel(const InvoiceId& id, std::int64_t merchant_id);

    // Decodes and verifies without broadcasting or recording, with the checks pay() makes before it broadcasts:
    // the transaction that already paid the invoice (or is being broadcast for it) verifies again, as a retry of
    // pay() succeeds; a transaction that settled another invoice is refused (payment_tx_used, never naming it).
    // The verdict's error is the Result's error.
    Result<Verdict> verify(const InvoiceId& id, std::string_view raw_tx_hex);

    // In order: the request's own limits; the invoice exists; a retry with the transaction that paid it, or that
    // this server already began to broadcast for it, succeeds again, even after expiry; another transaction for a
    // paid invoice is refused; not expired; cheap checks (decoding, consensus, standardness, outputs) before any
    // question to the chain (spent outputs, fee); the transaction paid no other invoice; a durable broadcast
    // intent is written; broadcast, where the node's "already known" counts only if that intent existed before
    // this call (otherwise payment_tx_not_new: the transaction reached the network another way); record exactly
    // once; then, with no lock held, publish payment_received. A refused broadcast records nothing; a broadcast
    // whose outcome is unknown, or whose record failed, leaves the intent open for a retry or for
    // reconcile_intents(). Returns the paid invoice.
    Result<Invoice> pay(const InvoiceId& id, const PayRequest& request);

    // Announces invoice_expired for invoices that expired unpaid, were not announced yet and have no broadcast
    // under way; returns how many. An announced invoice takes no payment afterwards, whatever the clock says.
    Result<std::size_t> announce_expired(std::size_t limit = 1000);

    // Settles broadcast intents left open (a crash, a lost answer from the node, a failed record) older than
    // config().intent_grace (all of them with `everything`, for a host that has just started): each transaction
    // is offered to the chain again; one the node takes or already holds is recorded (and announced), one it
    // refuses is forgotten, and one it cannot be asked about stays open. Returns how many payments it recorded.
    Result<std::size_t> reconcile_intents(bool everything = false, std::size_t limit = 100);

    // A transaction the chain follower found sending `paid` satoshis to an address-payable invoice's address,
    // first seen by the node at `seen` (the caller has made sure that was not before the invoice existed). As
    // much as asked or more: recorded as the invoice's payment exactly once (source address; overpaid_by; late
    // when seen after expiry), with payment_received. Less: recorded once as an underpayment, with
    // payment_underpaid; the invoice stays unpaid. Returns the invoice as it is now.
    Result<Invoice> record_address_payment(const InvoiceId& id, const TxId& txid, Bytes raw, std::int64_t paid,
                                           Timestamp seen);
    // Deletes up to `limit` unpaid invoices announced as expired before `before` (a retention policy).
    Result<std::size_t> purge_expired(Timestamp before, std::size_t limit = 1000);

    const ServiceConfig& config() const noexcept { return config_; }

private:
    struct Settled;
    void note_chain_height(Invoice& invoice);
    Result<Transaction> decode_payment(std::string_view raw_tx_hex, Bytes& raw) const;
    Result<Verdict> check(const Invoice& invoice, const Transaction& tx, std::size_t size);
    Result<Settled> settle(const InvoiceId& id, const Transaction& tx, Bytes raw, const PayRequest& request);
    Result<Settled> broadcast_and_record(Invoice invoice, const BroadcastIntent& intent, bool intent_existed);
    Result<std::optional<BroadcastIntent>> open_intent_of(const InvoiceId& id);
    void announce(Event event) noexcept;

    std::mutex& pay_lock(const InvoiceId& id);

    InvoiceStore& store_;
    ChainBackend& chain_;
    EventBus& events_;
    const Clock& clock_;
    ServiceConfig config_;
    // Serializes payments of one invoice inside this process, so two concurrent wallets do not both broadcast;
    // across processes the store's constraints (one broadcast intent per invoice) decide alone. Never held while
    // an event is published, so a subscriber may pay from its callback.
    std::array<std::mutex, 64> pay_locks_;
};

}  // namespace jpp
