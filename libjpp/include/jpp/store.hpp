// Where invoices and payments live. The interface every store implements; sqlite_store.hpp is the default.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "jpp/error.hpp"
#include "jpp/invoice.hpp"

namespace jpp {

enum class RecordOutcome : std::uint8_t {
    recorded,               // this call stored the payment
    already_paid_same_tx,   // the invoice was already paid by this very transaction (a retry)
    already_paid_other_tx,  // the invoice was paid by another transaction
    tx_used_elsewhere,      // this transaction already paid another invoice
    not_found,
};

class InvoiceStore {
public:
    virtual ~InvoiceStore() = default;

    virtual Status insert(const Invoice& invoice) = 0;
    virtual Result<std::optional<Invoice>> find(const InvoiceId& id) = 0;
    virtual Result<std::optional<Invoice>> find_by_txid(const TxId& txid) = 0;

    // Records the payment in one database transaction. Must be exactly-once under concurrent callers, across
    // threads and processes: the database's own constraints decide, never a read-then-write race.
    virtual Result<RecordOutcome> record_payment(const InvoiceId& id, const Payment& payment) = 0;

    // Marks up to `limit` invoices that expired unpaid before `now` and were not yet announced, and returns them.
    // Each invoice is returned by exactly one call, ever, so invoice_expired is announced once.
    virtual Result<std::vector<Invoice>> claim_expired(Timestamp now, std::size_t limit) = 0;

    // For health checks: is the store usable now?
    virtual Status ping() = 0;
};

}  // namespace jpp
