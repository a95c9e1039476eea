// InvoiceStore on PostgreSQL (libpq): a pool of connections, statements prepared once per connection, versioned
// schema migrations. Several instances (threads, processes, hosts) may share one database: every exactly-once
// guarantee of store.hpp is kept by the database's constraints and row locks, never by a read-then-write in the
// program, and the expiry sweep and webhook senders of several instances share the work without waiting on each
// other. Built when JPP_WITH_POSTGRES is on (the compile definition JPP_WITH_POSTGRES=1 says so).
//
// One difference from SQLite: text (memos, metadata, addresses, order ids) must be UTF-8 without NUL bytes, all
// PostgreSQL's text type holds; anything else is refused with store_failure, never stored altered.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "jpp/store.hpp"

namespace jpp {

struct PostgresOptions {
    // Connections kept open at most; a call that finds them all busy waits for one (up to connect_timeout plus
    // statement_timeout) rather than opening more, so that many instances stay within the server's limit.
    std::size_t pool_size = 8;
    // How long opening a connection may take (libpq's connect_timeout, whole seconds, at least 2).
    std::chrono::seconds connect_timeout{10};
    // The server cancels any statement running longer (the session's statement_timeout); zero means no limit.
    // Includes time spent waiting for a row lock another instance holds.
    std::chrono::milliseconds statement_timeout{30000};
};

class PostgresStore final : public InvoiceStore {
public:
    // Connects to `url`, a libpq URI ("postgresql://user@127.0.0.1:5432/db") or key=value string, and migrates
    // the database, once however many instances start at the same moment. A database migrated by a newer
    // program is refused; every failure is store_failure with a message naming what failed.
    static Result<std::unique_ptr<PostgresStore>> open(const std::string& url, PostgresOptions options = {});
    ~PostgresStore() override;

    static constexpr int schema_version = 2;

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
    // A connection of its own that LISTENs for the notification every event sends at its commit.
    Result<std::unique_ptr<ChangeListener>> listen() override;
    std::unique_ptr<JobLock> job_lock(std::string_view job) override;
    Status ping() override;

private:
    struct Impl;
    explicit PostgresStore(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace jpp
