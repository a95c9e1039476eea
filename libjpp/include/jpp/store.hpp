// Where invoices and payments live. The interface every store implements; sqlite_store.hpp is the default.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jpp/error.hpp"
#include "jpp/events.hpp"
#include "jpp/invoice.hpp"
#include "jpp/merchant.hpp"

namespace jpp {

enum class RecordOutcome : std::uint8_t {
    recorded,               // this call stored the payment
    already_paid_same_tx,   // the invoice was already paid by this very transaction (a retry)
    already_paid_other_tx,  // the invoice was paid by another transaction
    tx_used_elsewhere,      // this transaction already paid another invoice, or is being broadcast for one
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
    bool order_id_taken = false;  // when not inserted: `existing` is another request's invoice with the order id
    bool address_claimed = false;  // when not inserted: another open invoice is payable at the address (no key kept)
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

enum class CancelOutcome : std::uint8_t {
    cancelled,          // this call cancelled it
    already_cancelled,
    paid,
    expired,            // past its expiry time (or announced as expired)
    payment_in_progress,  // a transaction for it is being broadcast
    not_found,          // no such invoice, or another merchant's
};

// A payment whose transaction a chain follower tracks, with what it needs: the invoice's requirement, and the
// transaction (its inputs tell a double spend) with the chain state last saved. refund_to is not loaded.
struct FollowedPayment {
    InvoiceId invoice_id;
    std::uint32_t required_confirmations = 1;
    Payment payment;
};

// How long after its expiry an invoice keeps its address's claim: a payment found there meanwhile is recorded as
// late; after it, another invoice may claim the address.
inline constexpr std::chrono::seconds late_payment_window{3600};

// An invoice payable by a plain send to its address, as the chain follower matches transactions against it.
struct AddressClaim {
    Bytes locking_bytecode;
    InvoiceId invoice_id;
    std::int64_t amount = 0;  // what the invoice asks there
    Timestamp created{};      // the invoice's time: a transaction the node had before it never pays it
    Timestamp expires{};
    // The node's best height when the invoice was made (Invoice::created_height): only later blocks may pay it.
    std::optional<std::int64_t> created_height;
};

// A block a chain follower has handled: where it stands on the chain it followed.
struct HandledBlock {
    std::int64_t height = 0;
    BlockHash hash;
    bool operator==(const HandledBlock&) const = default;
};

// One entry of the event log. Every change of an invoice (created, paid, expired, cancelled) appends one in the
// same database transaction as the change itself, so the log is exactly what happened, whatever crashes when.
struct StoredEvent {
    std::int64_t seq = 0;                     // the log's order: grows with each event, never reused
    std::string id;                           // "evt_" and 32 hex digits: the stable id receivers deduplicate by
    EventType type = EventType::invoice_created;
    InvoiceId invoice_id;
    std::optional<std::int64_t> merchant_id;  // the invoice's owner
    Timestamp created{};

    bool operator==(const StoredEvent&) const = default;
};

// Which of a merchant's invoices to list, newest first (time, then id, descending).
struct InvoiceQuery {
    std::int64_t merchant_id = 0;
    std::optional<InvoiceStatus> status;  // as status_at(now) would say
    Timestamp now{};
    std::optional<Timestamp> created_after;   // time >= this
    std::optional<Timestamp> created_before;  // time < this
    std::optional<std::string> order_id;
    // Keyset paging: only invoices after this one in the order (the last one of the previous page).
    std::optional<std::pair<Timestamp, InvoiceId>> after;
    std::size_t limit = 50;
};

// A place a merchant's events are POSTed to.
struct WebhookEndpoint {
    std::string id;           // "we_" and 16 hex digits
    std::int64_t merchant_id = 0;
    std::string url;
    std::string secret;       // what the deliveries are signed with (webhook_signature.hpp)
    std::uint32_t events = 0;  // bit (1 << EventType) for each type wanted
    Timestamp created{};
};

enum class DeliveryState : std::uint8_t { pending, delivered, failed };
std::string_view delivery_state_name(DeliveryState state) noexcept;  // "pending", "delivered", "failed"

struct DeliveryAttempt {
    Timestamp time{};
    int status_code = 0;  // the receiver's HTTP status; 0 when there was none (timeout, refused connection ...)
    std::string error;    // empty on success
    std::chrono::milliseconds duration{0};
};

// One event to one endpoint: sent until the receiver takes it or the sender gives up, each try logged.
struct WebhookDelivery {
    std::string id;                    // "dlv_" and 32 hex digits, fresh for each delivery, a redelivery included
    std::string endpoint_id;
    StoredEvent event;
    std::optional<std::string> redelivery_of;  // the delivery this one repeats, when asked for by the merchant
    DeliveryState state = DeliveryState::pending;
    Timestamp created{};
    Timestamp next_attempt{};
    std::vector<DeliveryAttempt> attempts;  // oldest first
};

// A delivery taken for sending, with where to send it.
struct DueDelivery {
    WebhookDelivery delivery;
    std::string url;
    std::string secret;
};

// A doorbell for changes that other processes commit (PostgreSQL's LISTEN/NOTIFY): a socket that turns readable
// when one may have happened. It only says "read the event log": what happened is in the log, and a ring missed
// while the connection was down is made up for by reading the log from the last sequence number handled. One
// reader at a time.
class ChangeListener {
public:
    virtual ~ChangeListener() = default;
    // The socket to wait on for reading; -1 while not connected. It changes on every connect().
    virtual int descriptor() const noexcept = 0;
    // Takes in what arrived (call when the socket is readable). False when the connection is lost: connect()
    // again, then read the log.
    virtual bool consume() noexcept = 0;
    virtual Status connect() noexcept = 0;
};

// The right to run a job that one process at a time runs for all (the expiry sweep, settling broadcast intents,
// following the chain). On PostgreSQL a session advisory lock on a connection of its own: it is held while that
// connection lives, so when its holder dies, the database ends the session and another instance takes the job
// over at its next try. The lock is for efficiency and order, never for correctness: a holder can lose it in the
// middle of a round (its connection breaks) while another takes it, so every such job must stay safe to run twice
// at once, as the store's exactly-once rules make it.
class JobLock {
public:
    virtual ~JobLock() = default;
    // Whether this process holds the lock now: takes it when free, and checks that a held one still is (its
    // connection alive). Never throws; a database that cannot be reached means "not held".
    virtual bool held() noexcept = 0;
};

class InvoiceStore {
public:
    virtual ~InvoiceStore() = default;

    // Each insert logs invoice_created with the invoice. An order id the invoice's merchant has used already is
    // refused (order_id_conflict). An invoice that is address_payable claims its one output's locking bytecode in
    // the same transaction: when another unpaid, uncancelled invoice holds that claim (until its expiry plus
    // late_payment_window), nothing is written and the answer is address_claimed.
    virtual Status insert(const Invoice& invoice) = 0;
    // Inserts the invoice and records the key in one transaction, unless the key (in its scope) is recorded
    // already, or the merchant has an invoice with its order id: exactly one invoice per key and per order id,
    // even under concurrent requests.
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

    // Cancels an open invoice of this merchant in one transaction (with its invoice_cancelled event), unless
    // something stands in the way: the outcome says what.
    virtual Result<CancelOutcome> cancel_invoice(const InvoiceId& id, std::int64_t merchant_id, Timestamp now) = 0;
    // The merchant's invoices, as the query says, at most query.limit of them.
    virtual Result<std::vector<Invoice>> list_invoices(const InvoiceQuery& query) = 0;

    // The event log: events after `seq` in order, at most `limit`; and one event by id.
    virtual Result<std::vector<StoredEvent>> events_after(std::int64_t seq, std::size_t limit) = 0;
    // The newest event's seq (0 when there is none): where a reader that wants only what comes next starts.
    virtual Result<std::int64_t> last_event_seq() = 0;
    virtual Result<std::optional<StoredEvent>> find_event(const std::string& id) = 0;

    // Webhook endpoints. An event is queued for each endpoint of its invoice's merchant that wants its type, in
    // the transaction that logs it; an endpoint added later gets only later events. Removing an endpoint drops
    // its deliveries.
    virtual Status add_webhook(const WebhookEndpoint& endpoint) = 0;
    virtual Result<std::vector<WebhookEndpoint>> webhooks(std::optional<std::int64_t> merchant_id) = 0;
    virtual Result<std::optional<WebhookEndpoint>> find_webhook(const std::string& id) = 0;
    virtual Result<bool> remove_webhook(const std::string& id) = 0;

    // Takes up to `limit` deliveries due at `now` for sending: of each endpoint only the oldest pending one (so
    // an endpoint receives its events in order), and marks them not due again before `lease_until`, so that a
    // sender that dies while sending leaves them to be taken again then, and no other sender takes them meanwhile.
    virtual Result<std::vector<DueDelivery>> take_due_deliveries(Timestamp now, Timestamp lease_until,
                                                                std::size_t limit) = 0;
    // Logs an attempt and moves the delivery on: delivered or failed (done), or pending until `next_attempt`.
    virtual Status record_attempt(const std::string& delivery_id, const DeliveryAttempt& attempt,
                                  DeliveryState state, Timestamp next_attempt) = 0;
    // An endpoint's latest deliveries, newest first, with their attempts.
    virtual Result<std::vector<WebhookDelivery>> deliveries(const std::string& endpoint_id, std::size_t limit) = 0;
    // Deliveries still pending (not yet delivered nor given up), of every endpoint: the outbox's backlog.
    virtual Result<std::size_t> delivery_backlog() = 0;
    // Queues the event again for the endpoint, as a new delivery that names the endpoint's latest delivery of
    // it (if any) as the one it repeats. nullopt when the event or the endpoint does not exist, or they belong to
    // different merchants.
    virtual Result<std::optional<WebhookDelivery>> redeliver(const std::string& event_id,
                                                             const std::string& endpoint_id, Timestamp now) = 0;

    // Merchants and their API keys. add_merchant refuses a name in use (invalid_argument).
    virtual Result<Merchant> add_merchant(const std::string& name, Timestamp now) = 0;
    virtual Result<std::vector<Merchant>> merchants() = 0;
    virtual Status add_api_key(const ApiKey& key) = 0;
    virtual Result<std::optional<ApiKey>> find_api_key(const std::string& id) = 0;
    virtual Result<std::vector<ApiKey>> api_keys() = 0;
    // False when there is no such key; revoking a revoked key keeps its first revocation time.
    virtual Result<bool> revoke_api_key(const std::string& id, Timestamp now) = 0;

    // Following the chain (chain_follower.hpp). The payments still followed, at most `limit`, oldest first.
    virtual Result<std::vector<FollowedPayment>> followed_payments(std::size_t limit) = 0;
    // Saves a followed payment's chain state in one transaction, and lets go of it unless `follow`. The first
    // time chain.confirmed (chain.reversed) is set, logs payment_confirmed (payment_reversed) in that transaction,
    // with that time; a time saved before is kept. Returns the events it logged, in order (what to announce).
    virtual Result<std::vector<EventType>> update_payment_chain(const InvoiceId& id, const PaymentChain& chain,
                                                               bool follow) = 0;
    // The claims of invoices still payable at their address (unpaid, not cancelled, before expiry plus
    // late_payment_window), at most `limit`.
    virtual Result<std::vector<AddressClaim>> address_claims(Timestamp now, std::size_t limit) = 0;
    // Records a transaction that paid the invoice's address less than asked, once per transaction, with its
    // payment_underpaid event; false when it was recorded before.
    virtual Result<bool> record_underpayment(const InvoiceId& id, const TxId& txid, std::int64_t amount,
                                             Timestamp at) = 0;
    // The blocks the follower handled, newest first, at most `limit`.
    virtual Result<std::vector<HandledBlock>> handled_blocks(std::size_t limit) = 0;
    // Records a handled block: any block recorded at its height or above is forgotten (it left the best chain),
    // and so are those more than 1000 below it.
    virtual Status handle_block(const HandledBlock& block) = 0;

    // A doorbell for changes made by other processes, connected; nullptr for a store only one process uses.
    virtual Result<std::unique_ptr<ChangeListener>> listen() { return std::unique_ptr<ChangeListener>(); }

    // The lock of the named job. A store only one process uses (SQLite, claimed by its server) answers a lock
    // that is always held.
    virtual std::unique_ptr<JobLock> job_lock(std::string_view job);

    // For health checks: is the store usable now?
    virtual Status ping() = 0;
};

}  // namespace jpp
