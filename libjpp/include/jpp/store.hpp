// Where invoices and payments live. The interface every store implements; sqlite_store.hpp is the default.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "jpp/error.hpp"
#include "jpp/invoice.hpp"
#include "jpp/merchant.hpp"

namespace jpp {

enum class RecordOutcome : std::uint8_t {
    recorded,               // this call stored the payment
    already_paid_same_tx,   // the invoice was already paid by this very transaction (a retry)
    already_paid_other_tx,  // the invoice was paid by another transaction
    tx_used_elsewhere,      // this transaction already paid another invoice
    not_found,
};

// A transaction this server is about to hand to the network for an invoice, written durably before it does.
// It is what lets a node's "already known" be told apart: a transaction this server sent before (a retry after a
// lost answer or a failed record) from one someone else sent (a replay of a payment made outside this server).
struct BroadcastIntent {
    InvoiceId invoice_id;
    TxId txid;
    Bytes raw_transaction;
    std::string memo;                     // what the payment will record
    std::vector<RefundOutput> refund_to;
    Timestamp created{};
};

// A creation request's idempotency key: a repeat of the request (same key, same merchant) finds the invoice the
// first one made instead of making another.
struct IdempotencyKey {
    std::int64_t scope = 0;           // the merchant's id; 0 for requests without one
    std::string key;                  // what the client sent
    std::array<std::uint8_t, 32> request_hash{};  // of the request's body: the same key with another body is a conflict
};

// What insert_idempotent did: stored the invoice, or found the one an earlier request with the key made.
struct IdempotentInsert {
    bool inserted = false;
    InvoiceId existing;         // when not inserted
    bool same_request = false;  // when not inserted: the earlier request had the same hash
};

enum class IntentOutcome : std::uint8_t {
    opened,             // this call wrote the intent
    already_open,       // the same invoice and transaction had one already (written by an earlier request)
    invoice_busy,       // the invoice has an open intent for another transaction
    tx_used_elsewhere,  // the transaction has paid, or is being broadcast for, another invoice
    invoice_paid,       // the invoice is paid already
    expiry_announced,   // invoice_expired was announced: the invoice takes no payment any more
    not_found,
};

class InvoiceStore {
public:
    virtual ~InvoiceStore() = default;

    virtual Status insert(const Invoice& invoice) = 0;
    // Inserts the invoice and records the key in one transaction, unless the key (in its scope) is recorded
    // already: exactly one invoice per key, even under concurrent requests.
    virtual Result<IdempotentInsert> insert_idempotent(const Invoice& invoice, const IdempotencyKey& key) = 0;
    virtual Result<std::optional<Invoice>> find(const InvoiceId& id) = 0;
    virtual Result<std::optional<Invoice>> find_by_txid(const TxId& txid) = 0;

    // Records the payment in one database transaction, closing the invoice's broadcast intent in the same one.
    // Must be exactly-once under concurrent callers, across threads and processes: the database's own
    // constraints decide, never a read-then-write race.
    virtual Result<RecordOutcome> record_payment(const InvoiceId& id, const Payment& payment) = 0;

    // Writes a broadcast intent in one database transaction, unless something stands in the way (the outcome
    // says what). At most one open intent per invoice and per transaction, by the database's constraints.
    virtual Result<IntentOutcome> open_intent(const BroadcastIntent& intent) = 0;
    // The invoice's open intent, if any.
    virtual Result<std::optional<BroadcastIntent>> find_intent(const InvoiceId& id) = 0;
    // Removes the intent for this invoice and transaction (the node refused the transaction, or never had it);
    // nothing happens when there is none.
    virtual Status close_intent(const InvoiceId& id, const TxId& txid) = 0;
    // Open intents created at or before `before`, oldest first: what the reconciliation with the node looks at.
    virtual Result<std::vector<BroadcastIntent>> open_intents(Timestamp before, std::size_t limit) = 0;

    // Marks up to `limit` invoices that expired unpaid before `now`, were not yet announced and have no open
    // broadcast intent, and returns them. Each invoice is returned by exactly one call, ever, so invoice_expired
    // is announced once; once announced, open_intent() refuses the invoice, whatever the clock says later.
    virtual Result<std::vector<Invoice>> claim_expired(Timestamp now, std::size_t limit) = 0;

    // Deletes up to `limit` invoices that expired unpaid before `before`, were announced and have no open intent
    // (a retention policy for abandoned invoices); returns how many.
    virtual Result<std::size_t> purge_expired(Timestamp before, std::size_t limit) = 0;

    // Merchants and their API keys. add_merchant refuses a name in use (invalid_argument).
    virtual Result<Merchant> add_merchant(const std::string& name, Timestamp now) = 0;
    virtual Result<std::vector<Merchant>> merchants() = 0;
    virtual Status add_api_key(const ApiKey& key) = 0;
    virtual Result<std::optional<ApiKey>> find_api_key(const std::string& id) = 0;
    virtual Result<std::vector<ApiKey>> api_keys() = 0;
    // False when there is no such key; revoking a revoked key keeps its first revocation time.
    virtual Result<bool> revoke_api_key(const std::string& id, Timestamp now) = 0;

    // For health checks: is the store usable now?
    virtual Status ping() = 0;
};

}  // namespace jpp
