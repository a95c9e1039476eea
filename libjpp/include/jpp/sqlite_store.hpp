// InvoiceStore on a SQLite file (SQLiteCpp): WAL, a busy timeout, foreign keys, versioned schema migrations.
// Safe to share between threads (one connection per thread). One process per file: a second store on the same
// file, in this process or another, is refused at open, since watchers and the expiry sweep of one process would
// never hear of what the other did. Several instances share a PostgreSQL store instead.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "jpp/store.hpp"

namespace jpp {

struct SqliteOptions {
    std::chrono::milliseconds busy_timeout{5000};
    // FULL: a payment acknowledged to a wallet survives power loss, not only a crash of the process.
    bool synchronous_full = true;
    // Claim the file for this store alone (see above). Off, several stores may share it and the database's
    // constraints still keep every payment exactly-once, but events reach only the process that caused them: for
    // tools that read a live file, and for tests of those constraints.
    bool exclusive = true;
    // Called after each commit group is durable, with the number of writes it held (see "Group commit" in
    // sqlite_store.cpp): for a host's metrics. Runs on a writer's thread; it must be quick and must not call the
    // store.
    std::function<void(std::size_t writes)> group_committed{};
};

// What a connection of the store actually runs with, as SQLite itself reports it. Most of these are settings of a
// connection, not of the file, so another program opening the file cannot see them: this is how a host logs them
// at startup (and how the tests check that the durability settings took effect).
struct SqliteSettings {
    std::string journal_mode;  // "wal"
    int synchronous = 0;       // 2 = FULL, 1 = NORMAL
    bool foreign_keys = false;
    std::chrono::milliseconds busy_timeout{0};
    int schema_version = 0;    // PRAGMA user_version: the last migration applied
};

struct SqliteBackupOptions {
    // Replace a file already at the destination (at once, by a rename); refused otherwise.
    bool overwrite = false;
    // How long the copy may wait for the source's locks (WAL recovery, a checkpoint starting); writers are not
    // waited for, since a reader in WAL mode never waits for them.
    std::chrono::milliseconds busy_timeout{5000};
};

class SqliteStore final : public InvoiceStore {
public:
    // Opens (creating if needed, mode 0600) and migrates the database at `path`; ":memory:" is not supported
    // because each thread opens its own connection. A file another store holds is refused (store_failure).
    static Result<std::unique_ptr<SqliteStore>> open(const std::string& path, SqliteOptions options = {});
    ~SqliteStore() override;

    static constexpr int schema_version = 4;

    Status insert(const Invoice& invoice) override;
    Result<IdempotentInsert> insert_idempotent(const Invoice& invoice, const IdempotencyKey& key) override;
    Result<std::optional<Invoice>> find(const InvoiceId& id) override;
    Result<std::optional<Invoice>> find_by_txid(const TxId& txid) override;
    Result<RecordOutcome> record_payment(const InvoiceId& id, const Payment& payment) override;
    Result<IntentOutcome> open_intent(const BroadcastIntent& intent) override;
    Result<std::optional<BroadcastIntent>> find_intent(const InvoiceId& id) override;
    Status close_intent(const InvoiceId& id, const TxId& txid) override;
    Result<std::vector<BroadcastIntent>> open_intents(Timestamp before, std::size_t limit) override;
    Result<std::vector<Invoice>> claim_expired(Timestamp now, std::size_t limit) override;
    Result<std::size_t> purge_expired(Timestamp before, std::size_t limit) override;
    Result<CancelOutcome> cancel_invoice(const InvoiceId& id, std::int64_t merchant_id, Timestamp now) override;
    Result<std::vector<Invoice>> list_invoices(const InvoiceQuery& query) override;
    Result<std::vector<StoredEvent>> events_after(std::int64_t seq, std::size_t limit) override;
    Result<std::int64_t> last_event_seq() override;
    Result<std::optional<StoredEvent>> find_event(const std::string& id) override;
    Status add_webhook(const WebhookEndpoint& endpoint) override;
    Result<std::vector<WebhookEndpoint>> webhooks(std::optional<std::int64_t> merchant_id) override;
    Result<std::optional<WebhookEndpoint>> find_webhook(const std::string& id) override;
    Result<bool> remove_webhook(const std::string& id) override;
    Result<std::vector<DueDelivery>> take_due_deliveries(Timestamp now, Timestamp lease_until,
                                                        std::size_t limit) override;
    Status record_attempt(const std::string& delivery_id, const DeliveryAttempt& attempt, DeliveryState state,
                          Timestamp next_attempt) override;
    Result<std::vector<WebhookDelivery>> deliveries(const std::string& endpoint_id, std::size_t limit) override;
    Result<std::size_t> delivery_backlog() override;
    Result<std::optional<WebhookDelivery>> redeliver(const std::string& event_id, const std::string& endpoint_id,
                                                     Timestamp now) override;
    Result<Merchant> add_merchant(const std::string& name, Timestamp now) override;
    Result<std::vector<Merchant>> merchants() override;
    Status add_api_key(const ApiKey& key) override;
    Result<std::optional<ApiKey>> find_api_key(const std::string& id) override;
    Result<std::vector<ApiKey>> api_keys() override;
    Result<bool> revoke_api_key(const std::string& id, Timestamp now) override;
    Result<std::vector<FollowedPayment>> followed_payments(std::size_t limit) override;
    Result<std::vector<EventType>> update_payment_chain(const InvoiceId& id, const PaymentChain& chain,
                                                       bool follow) override;
    Result<std::vector<AddressClaim>> address_claims(Timestamp now, std::size_t limit) override;
    Result<bool> record_underpayment(const InvoiceId& id, const TxId& txid, std::int64_t amount,
                                     Timestamp at) override;
    Result<std::vector<HandledBlock>> handled_blocks(std::size_t limit) override;
    Status handle_block(const HandledBlock& block) override;
    Status ping() override;

    // The settings of the connection serving the calling thread.
    Result<SqliteSettings> settings();

    // A consistent copy of the database file `source`, which a running store (in this process or another) may
    // hold, at `destination`, with SQLite's online backup API. The copy holds every transaction committed before
    // the copy's read began and nothing after it; writers go on committing meanwhile (WAL: a reader never blocks
    // them). The source is only read: opened without the store's claim and never migrated. The copy is written
    // to a temporary file beside `destination`, flushed to disk and renamed into place, so `destination` is
    // either absent, the old file, or the whole copy, whatever crashes. It is a self-contained database file (no
    // -wal beside it) with the source's schema version, which a store opens as it is. Errors: invalid_argument
    // (a path that is not a plain file path, a destination that exists without `overwrite`, or one that is the
    // source itself), store_failure (the source cannot be read or is not a store's database, the destination
    // cannot be written), each with a message naming the file.
    static Status backup(const std::string& source, const std::string& destination, SqliteBackupOptions options = {});

private:
    struct Impl;
    explicit SqliteStore(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace jpp
