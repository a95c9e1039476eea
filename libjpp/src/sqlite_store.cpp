#include "jpp/sqlite_store.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <condition_variable>
#include <cstring>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "store_check.hpp"
#include "store_support.hpp"

namespace jpp {
namespace {

using namespace store_support;

// The schema, as an ordered list of migrations. The database records in PRAGMA user_version how many it has
// applied; open() applies the missing ones in one transaction. To change the schema, append migration N+1 here
// and raise SqliteStore::schema_version to match; never edit a migration that has shipped, since databases in
// the field already ran it.
constexpr std::array<const char*, 4> migrations = {
    // 1: invoices and their outputs; at most one payment per invoice (payments.invoice_id is the key), at most
    // one invoice per transaction (payments.txid is UNIQUE). Those two constraints are what makes a payment
    // exactly-once, whatever the callers race. Lookups by id use the primary keys, lookups by txid the UNIQUE
    // index. claim_expired() reads a partial index holding only invoices that are unpaid and unannounced, so a
    // sweep costs what it claims, not the whole history of paid invoices; invoices.paid exists for that index
    // and is kept by triggers on payments, whoever writes them.
    R"sql(
    CREATE TABLE invoices (
        id BLOB PRIMARY KEY CHECK (length(id) = 16),
        network TEXT NOT NULL,
        currency TEXT NOT NULL,
        required_fee_per_byte REAL NOT NULL,
        memo TEXT NOT NULL,
        time INTEGER NOT NULL,
        expires INTEGER NOT NULL,
        merchant_data TEXT NOT NULL,
        expiry_announced INTEGER NOT NULL DEFAULT 0 CHECK (expiry_announced IN (0, 1)),
        paid INTEGER NOT NULL DEFAULT 0 CHECK (paid IN (0, 1))
    ) WITHOUT ROWID;
    CREATE INDEX invoices_awaiting_expiry ON invoices (expires) WHERE expiry_announced = 0 AND paid = 0;

    CREATE TABLE invoice_outputs (
        invoice_id BLOB NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        amount INTEGER NOT NULL,
        address TEXT NOT NULL,
        locking_bytecode BLOB NOT NULL,
        description TEXT NOT NULL,
        token_category BLOB CHECK (token_category IS NULL OR length(token_category) = 32),
        token_amount INTEGER,
        nft_capability INTEGER CHECK (nft_capability IS NULL OR nft_capability IN (0, 1, 2)),
        nft_commitment BLOB,
        PRIMARY KEY (invoice_id, position),
        CHECK ((token_category IS NULL) = (token_amount IS NULL)),
        CHECK (nft_capability IS NULL OR token_category IS NOT NULL),
        CHECK ((nft_capability IS NULL) = (nft_commitment IS NULL))
    ) WITHOUT ROWID;

    CREATE TABLE payments (
        invoice_id BLOB PRIMARY KEY REFERENCES invoices (id) ON DELETE CASCADE,
        txid BLOB NOT NULL UNIQUE CHECK (length(txid) = 32),
        memo TEXT NOT NULL,
        paid_at INTEGER NOT NULL,
        raw_transaction BLOB NOT NULL
    ) WITHOUT ROWID;

    CREATE TABLE refund_outputs (
        invoice_id BLOB NOT NULL REFERENCES payments (invoice_id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        amount INTEGER NOT NULL,
        address TEXT NOT NULL,
        PRIMARY KEY (invoice_id, position)
    ) WITHOUT ROWID;

    CREATE TRIGGER payments_mark_paid AFTER INSERT ON payments BEGIN
        UPDATE invoices SET paid = 1 WHERE id = NEW.invoice_id;
    END;
    CREATE TRIGGER payments_unmark_paid AFTER DELETE ON payments BEGIN
        UPDATE invoices SET paid = 0 WHERE id = OLD.invoice_id;
    END;
    )sql",

    // 2: merchants and API keys, invoices owned by a merchant with private metadata; broadcast intents; and
    // invoices, outputs and payments in rowid tables. A WITHOUT ROWID table keeps at
    // most about 1,000 bytes of a row on its page and moves the rest to an overflow page of its own, so every
    // output with a long description and every payment of a transaction above 1 KB cost a whole 4 KiB page; a
    // rowid table keeps rows of up to about 4 KB on shared pages. Runs with foreign keys off (see migrate()), as
    // SQLite's procedure for rebuilding a table asks.
    R"sql(
    CREATE TABLE merchants (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        created INTEGER NOT NULL
    );
    -- Only a hash of each key's secret is kept.
    CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        merchant_id INTEGER NOT NULL REFERENCES merchants (id),
        permissions INTEGER NOT NULL,
        secret_hash BLOB NOT NULL CHECK (length(secret_hash) = 32),
        created INTEGER NOT NULL,
        revoked INTEGER
    ) WITHOUT ROWID;

    CREATE TABLE invoices_v2 (
        id BLOB NOT NULL UNIQUE CHECK (length(id) = 16),
        merchant_id INTEGER REFERENCES merchants (id),
        metadata TEXT NOT NULL DEFAULT 'null',
        network TEXT NOT NULL,
        currency TEXT NOT NULL,
        required_fee_per_byte REAL NOT NULL,
        memo TEXT NOT NULL,
        time INTEGER NOT NULL,
        expires INTEGER NOT NULL,
        merchant_data TEXT NOT NULL,
        expiry_announced INTEGER NOT NULL DEFAULT 0 CHECK (expiry_announced IN (0, 1)),
        paid INTEGER NOT NULL DEFAULT 0 CHECK (paid IN (0, 1))
    );
    INSERT INTO invoices_v2 (id, network, currency, required_fee_per_byte, memo, time, expires, merchant_data,
                             expiry_announced, paid)
        SELECT id, network, currency, required_fee_per_byte, memo, time, expires, merchant_data, expiry_announced,
               paid FROM invoices;

    CREATE TABLE invoice_outputs_v2 (
        invoice_id BLOB NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        amount INTEGER NOT NULL,
        address TEXT NOT NULL,
        locking_bytecode BLOB NOT NULL,
        description TEXT NOT NULL,
        token_category BLOB CHECK (token_category IS NULL OR length(token_category) = 32),
        token_amount INTEGER,
        nft_capability INTEGER CHECK (nft_capability IS NULL OR nft_capability IN (0, 1, 2)),
        nft_commitment BLOB,
        UNIQUE (invoice_id, position),
        CHECK ((token_category IS NULL) = (token_amount IS NULL)),
        CHECK (nft_capability IS NULL OR token_category IS NOT NULL),
        CHECK ((nft_capability IS NULL) = (nft_commitment IS NULL))
    );
    INSERT INTO invoice_outputs_v2 SELECT * FROM invoice_outputs;

    CREATE TABLE payments_v2 (
        invoice_id BLOB NOT NULL UNIQUE REFERENCES invoices (id) ON DELETE CASCADE,
        txid BLOB NOT NULL UNIQUE CHECK (length(txid) = 32),
        memo TEXT NOT NULL,
        paid_at INTEGER NOT NULL,
        raw_transaction BLOB NOT NULL
    );
    INSERT INTO payments_v2 SELECT * FROM payments;

    DROP TABLE payments;
    DROP TABLE invoice_outputs;
    DROP TABLE invoices;
    ALTER TABLE invoices_v2 RENAME TO invoices;
    ALTER TABLE invoice_outputs_v2 RENAME TO invoice_outputs;
    ALTER TABLE payments_v2 RENAME TO payments;

    CREATE INDEX invoices_awaiting_expiry ON invoices (expires) WHERE expiry_announced = 0 AND paid = 0;
    -- A merchant's invoices, newest first.
    CREATE INDEX invoices_by_merchant ON invoices (merchant_id, time, id) WHERE merchant_id IS NOT NULL;
    -- What the retention policy deletes: unpaid invoices whose expiry was announced.
    CREATE INDEX invoices_abandoned ON invoices (expires) WHERE expiry_announced = 1 AND paid = 0;
    CREATE TRIGGER payments_mark_paid AFTER INSERT ON payments BEGIN
        UPDATE invoices SET paid = 1 WHERE id = NEW.invoice_id;
    END;
    CREATE TRIGGER payments_unmark_paid AFTER DELETE ON payments BEGIN
        UPDATE invoices SET paid = 0 WHERE id = OLD.invoice_id;
    END;

    -- Creation requests' idempotency keys, per merchant (scope 0: requests without a merchant).
    CREATE TABLE idempotency_keys (
        scope INTEGER NOT NULL,
        key TEXT NOT NULL,
        request_hash BLOB NOT NULL CHECK (length(request_hash) = 32),
        invoice_id BLOB NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
        PRIMARY KEY (scope, key)
    ) WITHOUT ROWID;

    -- At most one open intent per invoice and per transaction. refund_to holds "amount address" lines.
    CREATE TABLE broadcast_intents (
        invoice_id BLOB NOT NULL UNIQUE REFERENCES invoices (id) ON DELETE CASCADE,
        txid BLOB NOT NULL UNIQUE CHECK (length(txid) = 32),
        raw_transaction BLOB NOT NULL,
        memo TEXT NOT NULL,
        refund_to TEXT NOT NULL,
        created INTEGER NOT NULL
    );
    )sql",

    // 3: order ids and cancellation; the event log; webhook endpoints, deliveries and their attempts. A
    // cancelled invoice is also marked expiry_announced: closed to payments (open_intent refuses it) and to the
    // expiry sweep, and purged with the abandoned ones.
    R"sql(
    ALTER TABLE invoices ADD COLUMN order_id TEXT;
    ALTER TABLE invoices ADD COLUMN cancelled INTEGER;
    CREATE UNIQUE INDEX invoices_by_order_id ON invoices (merchant_id, order_id) WHERE order_id IS NOT NULL;

    -- seq: AUTOINCREMENT, so a number is never used twice, even after the newest events are deleted.
    CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        type INTEGER NOT NULL,
        invoice_id BLOB NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
        merchant_id INTEGER,
        created INTEGER NOT NULL
    );
    CREATE INDEX events_by_invoice ON events (invoice_id);

    -- events: a bit set of event types (1 << type).
    CREATE TABLE webhook_endpoints (
        id TEXT PRIMARY KEY,
        merchant_id INTEGER NOT NULL REFERENCES merchants (id),
        url TEXT NOT NULL,
        secret TEXT NOT NULL,
        events INTEGER NOT NULL,
        created INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX webhook_endpoints_by_merchant ON webhook_endpoints (merchant_id);

    -- state: 0 pending, 1 delivered, 2 failed. next_attempt: when a sender may take it (again).
    CREATE TABLE webhook_deliveries (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
        event_seq INTEGER NOT NULL REFERENCES events (seq) ON DELETE CASCADE,
        redelivery_of TEXT,
        state INTEGER NOT NULL DEFAULT 0 CHECK (state IN (0, 1, 2)),
        created INTEGER NOT NULL,
        next_attempt INTEGER NOT NULL
    );
    -- An endpoint's queue: its oldest pending delivery is the one sent next.
    CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (endpoint_id, seq) WHERE state = 0;
    CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, seq);
    CREATE INDEX webhook_deliveries_by_event ON webhook_deliveries (event_seq);

    CREATE TABLE webhook_attempts (
        delivery_seq INTEGER NOT NULL REFERENCES webhook_deliveries (seq) ON DELETE CASCADE,
        number INTEGER NOT NULL,
        time INTEGER NOT NULL,
        status_code INTEGER NOT NULL,
        error TEXT NOT NULL,
        duration_ms INTEGER NOT NULL,
        PRIMARY KEY (delivery_seq, number)
    ) WITHOUT ROWID;
    )sql",

    // 4: following the chain. Payments recorded before it are not followed (followed = 0); the default of
    // required_confirmations is the service's, for invoices made before it. chain_blocks: the blocks the
    // follower handled, by height, to find where a reorganisation forked.
    R"sql(
    ALTER TABLE invoices ADD COLUMN required_confirmations INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE payments ADD COLUMN followed INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE payments ADD COLUMN block_height INTEGER;
    ALTER TABLE payments ADD COLUMN block_hash BLOB;
    ALTER TABLE payments ADD COLUMN confirmations INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE payments ADD COLUMN confirmed INTEGER;
    ALTER TABLE payments ADD COLUMN reversed INTEGER;
    ALTER TABLE payments ADD COLUMN missing_since INTEGER;
    CREATE INDEX payments_followed ON payments (paid_at) WHERE followed = 1;
    CREATE TABLE chain_blocks (
        height INTEGER PRIMARY KEY,
        hash BLOB NOT NULL CHECK (length(hash) = 32)
    );

    -- Payments found at an invoice's address: source 1, with what was paid beyond the amount, and late when it
    -- arrived after expiry. An address is claimed by one payable invoice at a time; a claim ends with its
    -- invoice's payment or cancellation, or at `until` (expiry plus the late window).
    ALTER TABLE invoices ADD COLUMN address_payable INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE payments ADD COLUMN source INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE payments ADD COLUMN overpaid_by INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE payments ADD COLUMN late INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE address_claims (
        locking_bytecode BLOB PRIMARY KEY,
        invoice_id BLOB NOT NULL UNIQUE REFERENCES invoices (id) ON DELETE CASCADE,
        until INTEGER NOT NULL,
        created_height INTEGER
    );
    CREATE TABLE underpayments (
        invoice_id BLOB NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
        txid BLOB NOT NULL CHECK (length(txid) = 32),
        amount INTEGER NOT NULL,
        seen INTEGER NOT NULL,
        PRIMARY KEY (invoice_id, txid)
    );
    )sql",
};
static_assert(migrations.size() == SqliteStore::schema_version, "one migration per schema version");

// Connections kept open between calls; more than this many threads at once open extra ones and close them after.
constexpr std::size_t max_idle_connections = 16;

// sqlite3_bind_blob() stores NULL for a null pointer, which an empty vector may hand out; an empty blob needs a
// non-null one.
void bind_blob(SQLite::Statement& q, int index, ByteView bytes) {
    static constexpr std::uint8_t nothing = 0;
    if (bytes.size() > static_cast<std::size_t>(INT_MAX)) throw std::length_error("blob too large for SQLite");
    q.bind(index, bytes.empty() ? &nothing : bytes.data(), static_cast<int>(bytes.size()));
}

Bytes get_blob(const SQLite::Column& column) {
    const auto* data = static_cast<const std::uint8_t*>(column.getBlob());
    const auto size = static_cast<std::size_t>(column.getBytes());
    return size == 0 ? Bytes{} : Bytes(data, data + size);
}

template <std::size_t N>
std::array<std::uint8_t, N> get_fixed_blob(const SQLite::Column& column, std::string_view what) {
    std::array<std::uint8_t, N> out{};
    if (static_cast<std::size_t>(column.getBytes()) != N) corrupt(std::string(what) + " has the wrong length");
    const auto* data = static_cast<const std::uint8_t*>(column.getBlob());
    std::copy_n(data, N, out.begin());
    return out;
}

// ---- Connections

// A connection and the statements prepared on it. Parsing and planning SQL is most of the cost of a small query
// (a find() took 35 us when it prepared its four statements on every call, 7 us with them kept), so each statement
// is prepared once per connection.
class Connection {
    struct Cached {
        std::unique_ptr<SQLite::Statement> statement;
        bool in_use = false;
    };

public:
    // Busy timeout, foreign keys and synchronous belong to a connection, not to the file: every new one gets them.
    // NOMUTEX: a connection is only ever used by the one thread that leased it, so SQLite's own lock is redundant.
    Connection(const std::string& path, const SqliteOptions& options)
        : db_(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX,
              static_cast<int>(std::clamp<std::int64_t>(options.busy_timeout.count(), 0, INT_MAX))) {
        db_.exec("PRAGMA foreign_keys = ON");
        db_.exec(options.synchronous_full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
    }

    SQLite::Database& db() noexcept { return db_; }

    // One use of the cached statement for `sql`, which must be a string literal (its text is the cache key),
    // with no bindings. Reset when the Query ends: a statement left mid-result would keep a read snapshot open
    // and make the next write transaction on this connection fail.
    class Query {
    public:
        Query(Connection& connection, std::string_view sql) {
            Cached& slot = connection.cache_[sql];
            if (slot.in_use) {  // the same SQL twice at once on one connection: a private statement for this one
                own_ = std::make_unique<SQLite::Statement>(connection.db_, std::string(sql));
                statement_ = own_.get();
                return;
            }
            if (!slot.statement) slot.statement = std::make_unique<SQLite::Statement>(connection.db_, std::string(sql));
            statement_ = slot.statement.get();
            statement_->clearBindings();
            slot.in_use = true;
            slot_ = &slot;
        }
        ~Query() {
            statement_->tryReset();
            if (slot_) slot_->in_use = false;
        }
        Query(const Query&) = delete;
        Query& operator=(const Query&) = delete;

        SQLite::Statement* operator->() noexcept { return statement_; }
        SQLite::Statement& operator*() noexcept { return *statement_; }

    private:
        std::unique_ptr<SQLite::Statement> own_;
        SQLite::Statement* statement_ = nullptr;
        Cached* slot_ = nullptr;
    };

private:
    SQLite::Database db_;
    // Declared after db_, so the statements are finalized before the connection closes.
    std::unordered_map<std::string_view, Cached> cache_;
};

using Query = Connection::Query;

// ---- Rows <-> model

void insert_invoice_rows(Connection& c, const Invoice& invoice) {
    Query q(c, "INSERT INTO invoices (id, network, currency, required_fee_per_byte, memo, time, expires, "
               "merchant_data, merchant_id, metadata, order_id, cancelled, required_confirmations, address_payable) "
               "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    bind_blob(*q, 1, invoice.id.bytes);
    q->bind(2, std::string(network_name(invoice.network)));
    q->bind(3, invoice.currency);
    q->bind(4, invoice.required_fee_per_byte);
    q->bind(5, invoice.memo);
    q->bind(6, to_seconds(invoice.time));
    q->bind(7, to_seconds(invoice.expires));
    q->bind(8, invoice.merchant_data);
    if (invoice.merchant_id) q->bind(9, *invoice.merchant_id);  // else NULL: no owner
    q->bind(10, invoice.metadata);
    if (invoice.order_id) q->bind(11, *invoice.order_id);
    if (invoice.cancelled) q->bind(12, to_seconds(*invoice.cancelled));
    q->bind(13, static_cast<std::int64_t>(invoice.required_confirmations));
    q->bind(14, invoice.address_payable ? 1 : 0);
    q->exec();

    Query out(c, "INSERT INTO invoice_outputs (invoice_id, position, amount, address, locking_bytecode, "
                 "description, token_category, token_amount, nft_capability, nft_commitment) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    for (std::size_t i = 0; i < invoice.outputs.size(); ++i) {
        const InvoiceOutput& o = invoice.outputs[i];
        out->reset();
        out->clearBindings();  // the token columns stay NULL unless bound below
        bind_blob(*out, 1, invoice.id.bytes);
        out->bind(2, static_cast<std::int64_t>(i));
        out->bind(3, static_cast<std::int64_t>(o.amount));
        out->bind(4, o.address);
        bind_blob(*out, 5, o.locking_bytecode);
        out->bind(6, o.description);
        if (o.token) {
            bind_blob(*out, 7, o.token->category);
            out->bind(8, static_cast<std::int64_t>(o.token->amount));
            if (o.token->nft) {
                out->bind(9, static_cast<std::int32_t>(o.token->nft->capability));
                bind_blob(*out, 10, o.token->nft->commitment);
            }
        }
        out->exec();
    }
}

void insert_payment_rows(Connection& c, const InvoiceId& id, const Payment& payment) {
    Query p(c, "INSERT INTO payments (invoice_id, txid, memo, paid_at, raw_transaction, followed, source, "
               "overpaid_by, late) VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?)");
    bind_blob(*p, 1, id.bytes);
    bind_blob(*p, 2, payment.txid.bytes);
    p->bind(3, payment.memo);
    p->bind(4, to_seconds(payment.paid_at));
    bind_blob(*p, 5, payment.raw_transaction);
    p->bind(6, static_cast<int>(payment.source));
    p->bind(7, payment.overpaid_by);
    p->bind(8, payment.late ? 1 : 0);
    p->exec();
    // Paid: the address is free for another invoice.
    Query claim(c, "DELETE FROM address_claims WHERE invoice_id = ?");
    bind_blob(*claim, 1, id.bytes);
    claim->exec();

    Query r(c, "INSERT INTO refund_outputs (invoice_id, position, amount, address) VALUES (?, ?, ?, ?)");
    for (std::size_t i = 0; i < payment.refund_to.size(); ++i) {
        r->reset();
        bind_blob(*r, 1, id.bytes);
        r->bind(2, static_cast<std::int64_t>(i));
        r->bind(3, static_cast<std::int64_t>(payment.refund_to[i].amount));
        r->bind(4, payment.refund_to[i].address);
        r->exec();
    }
}

// Claims the invoice's one address for it (address_payable), unless another invoice holds the claim: false then.
// A claim whose invoice is paid or cancelled, or whose window is over, is void and replaced.
bool claim_address(Connection& c, const Invoice& invoice) {
    const Bytes& bytecode = invoice.outputs.front().locking_bytecode;
    {
        Query q(c, "DELETE FROM address_claims WHERE locking_bytecode = ? AND (until <= ? OR invoice_id IN "
                   "(SELECT id FROM invoices WHERE paid = 1 OR cancelled IS NOT NULL))");
        bind_blob(*q, 1, bytecode);
        q->bind(2, to_seconds(invoice.time));
        q->exec();
    }
    Query q(c, "INSERT OR IGNORE INTO address_claims (locking_bytecode, invoice_id, until, created_height) "
               "VALUES (?, ?, ?, ?)");
    bind_blob(*q, 1, bytecode);
    bind_blob(*q, 2, invoice.id.bytes);
    q->bind(3, to_seconds(invoice.expires + late_payment_window));
    if (invoice.created_height) q->bind(4, *invoice.created_height);
    return q->exec() > 0;
}

std::optional<Timestamp> optional_time(const SQLite::Column& column) {
    if (column.isNull()) return std::nullopt;
    return from_seconds(column.getInt64());
}

void bind_optional_time(SQLite::Statement& q, int index, const std::optional<Timestamp>& time) {
    if (time) q.bind(index, to_seconds(*time));
    else q.bind(index);
}

// The payment columns after txid, memo, paid_at and raw_transaction, from `first` on.
constexpr const char* chain_columns =
    "block_height, block_hash, confirmations, confirmed, reversed, missing_since";

PaymentChain read_chain(SQLite::Statement& q, int first) {
    PaymentChain chain;
    if (!q.getColumn(first).isNull()) {
        chain.block_height = q.getColumn(first).getInt64();
        chain.block_hash = BlockHash{get_fixed_blob<32>(q.getColumn(first + 1), "payments.block_hash")};
    }
    chain.confirmations = static_cast<std::uint32_t>(q.getColumn(first + 2).getInt64());
    chain.confirmed = optional_time(q.getColumn(first + 3));
    chain.reversed = optional_time(q.getColumn(first + 4));
    chain.missing_since = optional_time(q.getColumn(first + 5));
    return chain;
}

std::optional<Payment> load_payment(Connection& c, const InvoiceId& id) {
    Query q(c, "SELECT txid, memo, paid_at, raw_transaction, block_height, block_hash, confirmations, confirmed, "
               "reversed, missing_since, source, overpaid_by, late FROM payments WHERE invoice_id = ?");
    bind_blob(*q, 1, id.bytes);
    if (!q->executeStep()) return std::nullopt;
    Payment p;
    p.txid.bytes = get_fixed_blob<32>(q->getColumn(0), "payments.txid");
    p.memo = q->getColumn(1).getString();
    p.paid_at = from_seconds(q->getColumn(2).getInt64());
    p.raw_transaction = get_blob(q->getColumn(3));
    p.chain = read_chain(*q, 4);
    p.source = q->getColumn(10).getInt() == 1 ? PaymentSource::address : PaymentSource::protocol;
    p.overpaid_by = q->getColumn(11).getInt64();
    p.late = q->getColumn(12).getInt() != 0;

    Query r(c, "SELECT amount, address FROM refund_outputs WHERE invoice_id = ? ORDER BY position");
    bind_blob(*r, 1, id.bytes);
    while (r->executeStep())
        p.refund_to.push_back(RefundOutput{r->getColumn(0).getInt64(), r->getColumn(1).getString()});
    return p;
}

// The whole invoice: its row, its outputs in order, its payment with refund outputs. Callers hold a transaction
// so that the four reads see one state.
std::optional<Invoice> load_invoice(Connection& c, const InvoiceId& id) {
    Query q(c, "SELECT network, currency, required_fee_per_byte, memo, time, expires, merchant_data, merchant_id, "
               "metadata, order_id, cancelled, required_confirmations, address_payable FROM invoices WHERE id = ?");
    bind_blob(*q, 1, id.bytes);
    if (!q->executeStep()) return std::nullopt;
    Invoice invoice;
    invoice.id = id;
    const std::string network = q->getColumn(0).getString();
    const auto parsed_network = network_from_name(network);
    if (!parsed_network) corrupt("unknown network '" + network + "'");
    invoice.network = *parsed_network;
    invoice.currency = q->getColumn(1).getString();
    invoice.required_fee_per_byte = q->getColumn(2).getDouble();
    invoice.memo = q->getColumn(3).getString();
    invoice.time = from_seconds(q->getColumn(4).getInt64());
    invoice.expires = from_seconds(q->getColumn(5).getInt64());
    invoice.merchant_data = q->getColumn(6).getString();
    if (!q->getColumn(7).isNull()) invoice.merchant_id = q->getColumn(7).getInt64();
    invoice.metadata = q->getColumn(8).getString();
    if (!q->getColumn(9).isNull()) invoice.order_id = q->getColumn(9).getString();
    if (!q->getColumn(10).isNull()) invoice.cancelled = from_seconds(q->getColumn(10).getInt64());
    invoice.required_confirmations = static_cast<std::uint32_t>(q->getColumn(11).getInt64());
    invoice.address_payable = q->getColumn(12).getInt() != 0;

    Query out(c, "SELECT amount, address, locking_bytecode, description, token_category, token_amount, "
                 "nft_capability, nft_commitment FROM invoice_outputs WHERE invoice_id = ? ORDER BY position");
    bind_blob(*out, 1, id.bytes);
    while (out->executeStep()) {
        InvoiceOutput o;
        o.amount = out->getColumn(0).getInt64();
        o.address = out->getColumn(1).getString();
        o.locking_bytecode = get_blob(out->getColumn(2));
        o.description = out->getColumn(3).getString();
        if (!out->getColumn(4).isNull()) {
            TokenData token;
            token.category = get_fixed_blob<32>(out->getColumn(4), "invoice_outputs.token_category");
            token.amount = out->getColumn(5).getInt64();
            if (!out->getColumn(6).isNull()) {
                const std::int64_t capability = out->getColumn(6).getInt64();
                if (capability < 0 || capability > 2) corrupt("unknown NFT capability");
                token.nft = Nft{static_cast<NftCapability>(capability), get_blob(out->getColumn(7))};
            }
            o.token = std::move(token);
        }
        invoice.outputs.push_back(std::move(o));
    }
    invoice.payment = load_payment(c, id);
    Query under(c, "SELECT txid, amount, seen FROM underpayments WHERE invoice_id = ? ORDER BY seen, txid");
    bind_blob(*under, 1, id.bytes);
    while (under->executeStep())
        invoice.underpayments.push_back(Underpayment{TxId{get_fixed_blob<32>(under->getColumn(0), "underpayments.txid")},
                                                     under->getColumn(1).getInt64(),
                                                     from_seconds(under->getColumn(2).getInt64())});
    return invoice;
}

std::optional<InvoiceId> invoice_paid_by(Connection& c, const TxId& txid) {
    Query q(c, "SELECT invoice_id FROM payments WHERE txid = ?");
    bind_blob(*q, 1, txid.bytes);
    if (!q->executeStep()) return std::nullopt;
    return InvoiceId{get_fixed_blob<16>(q->getColumn(0), "payments.invoice_id")};
}

std::optional<TxId> txid_that_paid(Connection& c, const InvoiceId& id) {
    Query q(c, "SELECT txid FROM payments WHERE invoice_id = ?");
    bind_blob(*q, 1, id.bytes);
    if (!q->executeStep()) return std::nullopt;
    return TxId{get_fixed_blob<32>(q->getColumn(0), "payments.txid")};
}

// The merchant's invoice with the order id `invoice` has, if any.
std::optional<InvoiceId> invoice_with_order_id(Connection& c, const Invoice& invoice) {
    if (!invoice.order_id || !invoice.merchant_id) return std::nullopt;
    Query q(c, "SELECT id FROM invoices WHERE merchant_id = ? AND order_id = ?");
    q->bind(1, *invoice.merchant_id);
    q->bind(2, *invoice.order_id);
    if (!q->executeStep()) return std::nullopt;
    return InvoiceId{get_fixed_blob<16>(q->getColumn(0), "invoices.id")};
}

bool invoice_exists(Connection& c, const InvoiceId& id) {
    Query q(c, "SELECT 1 FROM invoices WHERE id = ?");
    bind_blob(*q, 1, id.bytes);
    return q->executeStep();
}

// ---- The event log and webhook deliveries

std::optional<std::int64_t> merchant_of(Connection& c, const InvoiceId& id) {
    Query q(c, "SELECT merchant_id FROM invoices WHERE id = ?");
    bind_blob(*q, 1, id.bytes);
    if (!q->executeStep() || q->getColumn(0).isNull()) return std::nullopt;
    return q->getColumn(0).getInt64();
}

// Appends the event and queues a delivery of it to each of the merchant's endpoints that wants its type; the
// caller's transaction makes both part of the change they describe.
void append_event(Connection& c, EventType type, const InvoiceId& invoice_id,
                  std::optional<std::int64_t> merchant_id, Timestamp at) {
    std::int64_t seq = 0;
    {
        Query q(c, "INSERT INTO events (id, type, invoice_id, merchant_id, created) VALUES (?, ?, ?, ?, ?)");
        q->bind(1, "evt_" + InvoiceId::generate().hex());  // 128 random bits
        q->bind(2, static_cast<int>(type));
        bind_blob(*q, 3, invoice_id.bytes);
        if (merchant_id) q->bind(4, *merchant_id);
        q->bind(5, to_seconds(at));
        q->exec();
        seq = c.db().getLastInsertRowid();
    }
    if (!merchant_id) return;
    Query q(c, "INSERT INTO webhook_deliveries (id, endpoint_id, event_seq, created, next_attempt) "
               "SELECT 'dlv_' || lower(hex(randomblob(16))), id, ?, ?, 0 FROM webhook_endpoints "
               "WHERE merchant_id = ? AND (events & ?) != 0 ORDER BY created, id");
    q->bind(1, seq);
    q->bind(2, to_seconds(at));
    // next_attempt 0: due at once. (`at` may be ahead of the clock: an invoice is dated with its second rounded up.)
    q->bind(3, *merchant_id);
    q->bind(4, static_cast<std::int64_t>(1) << static_cast<int>(type));
    q->exec();
}

StoredEvent event_from_row(SQLite::Statement& q, int first) {
    StoredEvent e;
    e.seq = q.getColumn(first).getInt64();
    e.id = q.getColumn(first + 1).getString();
    const std::int64_t type = q.getColumn(first + 2).getInt64();
    if (type < 0 || type > static_cast<std::int64_t>(event_type_last)) corrupt("events.type");
    e.type = static_cast<EventType>(type);
    e.invoice_id.bytes = get_fixed_blob<16>(q.getColumn(first + 3), "events.invoice_id");
    if (!q.getColumn(first + 4).isNull()) e.merchant_id = q.getColumn(first + 4).getInt64();
    e.created = from_seconds(q.getColumn(first + 5).getInt64());
    return e;
}
#define JPP_EVENT_COLUMNS "events.seq, events.id, events.type, events.invoice_id, events.merchant_id, events.created"

// A delivery row with its event, and its attempts.
#define JPP_DELIVERY_COLUMNS \
    "d.seq, d.id, d.endpoint_id, d.redelivery_of, d.state, d.created, d.next_attempt, " JPP_EVENT_COLUMNS
WebhookDelivery delivery_from_row(Connection& c, SQLite::Statement& q) {
    WebhookDelivery d;
    const std::int64_t seq = q.getColumn(0).getInt64();
    d.id = q.getColumn(1).getString();
    d.endpoint_id = q.getColumn(2).getString();
    if (!q.getColumn(3).isNull()) d.redelivery_of = q.getColumn(3).getString();
    const std::int64_t state = q.getColumn(4).getInt64();
    if (state < 0 || state > 2) corrupt("webhook_deliveries.state");
    d.state = static_cast<DeliveryState>(state);
    d.created = from_seconds(q.getColumn(5).getInt64());
    d.next_attempt = from_seconds(q.getColumn(6).getInt64());
    d.event = event_from_row(q, 7);
    Query a(c, "SELECT time, status_code, error, duration_ms FROM webhook_attempts WHERE delivery_seq = ? "
               "ORDER BY number");
    a->bind(1, seq);
    while (a->executeStep())
        d.attempts.push_back(DeliveryAttempt{from_seconds(a->getColumn(0).getInt64()), a->getColumn(1).getInt(),
                                             a->getColumn(2).getString(),
                                             std::chrono::milliseconds(a->getColumn(3).getInt64())});
    return d;
}

WebhookEndpoint endpoint_from_row(SQLite::Statement& q) {
    WebhookEndpoint e;
    e.id = q.getColumn(0).getString();
    e.merchant_id = q.getColumn(1).getInt64();
    e.url = q.getColumn(2).getString();
    e.secret = q.getColumn(3).getString();
    e.events = static_cast<std::uint32_t>(q.getColumn(4).getInt64());
    e.created = from_seconds(q.getColumn(5).getInt64());
    return e;
}
#define JPP_ENDPOINT_COLUMNS "id, merchant_id, url, secret, events, created"

// ---- Broadcast intents

BroadcastIntent intent_from_row(SQLite::Statement& q) {
    BroadcastIntent intent;
    intent.invoice_id.bytes = get_fixed_blob<16>(q.getColumn(0), "broadcast_intents.invoice_id");
    intent.txid.bytes = get_fixed_blob<32>(q.getColumn(1), "broadcast_intents.txid");
    intent.raw_transaction = get_blob(q.getColumn(2));
    intent.memo = q.getColumn(3).getString();
    intent.refund_to = refund_from_text(q.getColumn(4).getString());
    intent.created = from_seconds(q.getColumn(5).getInt64());
    return intent;
}

std::optional<BroadcastIntent> intent_of(Connection& c, const InvoiceId& id) {
    Query q(c, "SELECT invoice_id, txid, raw_transaction, memo, refund_to, created FROM broadcast_intents "
               "WHERE invoice_id = ?");
    bind_blob(*q, 1, id.bytes);
    if (!q->executeStep()) return std::nullopt;
    return intent_from_row(*q);
}

bool tx_has_intent(Connection& c, const TxId& txid) {
    Query q(c, "SELECT 1 FROM broadcast_intents WHERE txid = ?");
    bind_blob(*q, 1, txid.bytes);
    return q->executeStep();
}

void delete_intent(Connection& c, const InvoiceId& id) {
    Query q(c, "DELETE FROM broadcast_intents WHERE invoice_id = ?");
    bind_blob(*q, 1, id.bytes);
    q->exec();
}

// What writing this intent would do now; `opened` means nothing stands in the way.
IntentOutcome classify_intent(Connection& c, const BroadcastIntent& intent) {
    bool announced = false;
    {
        Query q(c, "SELECT paid, expiry_announced FROM invoices WHERE id = ?");
        bind_blob(*q, 1, intent.invoice_id.bytes);
        if (!q->executeStep()) return IntentOutcome::not_found;
        if (q->getColumn(0).getInt() != 0) return IntentOutcome::invoice_paid;
        announced = q->getColumn(1).getInt() != 0;
    }
    if (const auto open = intent_of(c, intent.invoice_id))
        return open->txid == intent.txid ? IntentOutcome::already_open : IntentOutcome::invoice_busy;
    if (announced) return IntentOutcome::expiry_announced;
    if (invoice_paid_by(c, intent.txid) || tx_has_intent(c, intent.txid)) return IntentOutcome::tx_used_elsewhere;
    return IntentOutcome::opened;
}

// What recording `txid` for invoice `id` would do now; `recorded` means nothing stands in the way.
bool intent_for_other_invoice(Connection& c, const InvoiceId& id, const TxId& txid) {
    Query q(c, "SELECT 1 FROM broadcast_intents WHERE txid = ? AND invoice_id <> ?");
    bind_blob(*q, 1, txid.bytes);
    bind_blob(*q, 2, id.bytes);
    return q->executeStep();
}

RecordOutcome classify_payment(Connection& c, const InvoiceId& id, const TxId& txid) {
    if (!invoice_exists(c, id)) return RecordOutcome::not_found;
    if (const auto paid = txid_that_paid(c, id))
        return *paid == txid ? RecordOutcome::already_paid_same_tx : RecordOutcome::already_paid_other_tx;
    if (invoice_paid_by(c, txid)) return RecordOutcome::tx_used_elsewhere;
    // A transaction being broadcast for another invoice belongs to that one: the chain follower, which finds it in
    // the mempool before its payment is recorded, must not take it for this invoice's address payment.
    if (intent_for_other_invoice(c, id, txid)) return RecordOutcome::tx_used_elsewhere;
    return RecordOutcome::recorded;
}

bool is_constraint_violation(const SQLite::Exception& e) noexcept {
    return (e.getErrorCode() & 0xff) == SQLITE_CONSTRAINT;
}

// Group commit. Every write on the hot paths (creating an invoice, opening a broadcast intent, recording a payment)
// goes through one writer connection, and writes that arrive while a commit is in flight share the next one: the
// thread that finds no commit running leads, takes every write queued so far and runs them in one transaction,
// each in its own savepoint, then commits once (one fsync for all of them with synchronous=FULL). Each caller
// returns only after the commit that holds its write is durable, so nothing is acknowledged before it is on disk.
// Nobody waits for company: a write that arrives alone commits alone, at once.
//
// Each write sees the ones before it in its group, as it would have had they committed one by one in that order;
// readers on other connections see none of them before the commit. A write that throws, or asks to be undone (a
// refusal after a partial write), is rolled back to its savepoint and the group goes on without it. A commit that
// fails fails every write of its group, none of which was acknowledged.
class WriteGroups {
public:
    // `work` runs on the writer connection inside a group's transaction (on whichever thread leads the group) and
    // returns false to undo what it wrote. Returns once the group is committed; rethrows what `work` threw, or
    // what failed the group's transaction.
    using Work = std::function<bool(Connection&)>;

    WriteGroups(const std::string& path, const SqliteOptions& options) : path_(path), options_(options) {}

    void run(const Work& work) {
        Item item{&work};
        std::unique_lock lock(mutex_);
        queue_.push_back(&item);
        if (leading_) {
            // Woken once: when its group is committed, or to lead the next group. Each thread has its own
            // condition, so a commit wakes its own group's threads and no others.
            item.wake.wait(lock, [&] { return item.done || item.lead; });
        } else {
            leading_ = true;
            item.lead = true;
        }
        if (item.lead) {
            std::vector<Item*> group;
            group.swap(queue_);
            lock.unlock();
            commit(group);
            lock.lock();
            for (Item* i : group) {
                i->done = true;
                if (i != &item) i->wake.notify_one();
            }
            if (queue_.empty()) {
                leading_ = false;
            } else {  // the writes that arrived during this commit: their first thread leads them
                queue_.front()->lead = true;
                queue_.front()->wake.notify_one();
            }
        }
        if (item.error) std::rethrow_exception(item.error);
    }

private:
    struct Item {
        const Work* work;
        std::exception_ptr error{};
        bool done = false;
        bool lead = false;
        std::condition_variable wake{};
    };

    // Runs on the leader's thread only, so the writer connection is never shared.
    void commit(const std::vector<Item*>& group) noexcept {
        try {
            if (!writer_) writer_ = std::make_unique<Connection>(path_, options_);
            Connection& c = *writer_;
            Query(c, "BEGIN IMMEDIATE")->exec();
            for (Item* item : group) {
                Query(c, "SAVEPOINT write")->exec();
                bool keep = false;
                try {
                    keep = (*item->work)(c);
                } catch (...) {
                    item->error = std::current_exception();
                }
                if (!keep) Query(c, "ROLLBACK TO write")->exec();
                Query(c, "RELEASE write")->exec();
            }
            Query(c, "COMMIT")->exec();
        } catch (...) {
            fail(group, std::current_exception());
            return;
        }
        if (options_.group_committed) {
            try {
                options_.group_committed(group.size());
            } catch (...) {  // the host's metrics never fail a write
            }
        }
    }

    // The group's transaction is gone: every write in it fails with `error` (or the error it threw itself).
    void fail(const std::vector<Item*>& group, const std::exception_ptr& error) noexcept {
        for (Item* item : group)
            if (!item->error) item->error = error;
        // A connection left inside a transaction (its ROLLBACK failed too, say on an I/O error) is dropped; the
        // next group opens a fresh one.
        if (writer_ && sqlite3_get_autocommit(writer_->db().getHandle()) == 0) {
            try {
                writer_->db().exec("ROLLBACK");
            } catch (...) {
                writer_.reset();
            }
        }
    }

    const std::string path_;
    const SqliteOptions options_;
    std::mutex mutex_;
    std::vector<Item*> queue_;
    bool leading_ = false;
    std::unique_ptr<Connection> writer_;  // used by the leader alone
};

}  // namespace

// The file's single-process claim: an exclusive flock() on the database file itself, held by a descriptor of the
// store's own for its whole life. flock() locks are separate from the POSIX locks SQLite takes, so the two never
// interfere; the kernel drops the claim when the process dies, however it dies. Opening here also creates a new
// file readable by its owner alone (0600): it holds what merchants and payers wrote.
class FileClaim {
public:
    FileClaim() = default;
    FileClaim(const FileClaim&) = delete;
    FileClaim& operator=(const FileClaim&) = delete;
    ~FileClaim() {
        if (fd_ >= 0) ::close(fd_);
    }

    // False when the file cannot be opened at all (SQLite then says why); throws when another holds it.
    bool take(const std::string& path, bool exclusive) {
        fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd_ < 0) fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);  // a read-only file: SQLite refuses it later
        if (fd_ < 0) return false;
        if (exclusive && ::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
            const int error = errno;
            throw std::runtime_error(
                error == EWOULDBLOCK
                    ? "the database is in use by another process (or another store in this one); SQLite is the "
                      "single-instance store: run several instances on PostgreSQL"
                    : std::string("cannot lock the database file: ") + std::strerror(error));
        }
        return true;
    }

private:
    int fd_ = -1;
};

struct SqliteStore::Impl {
    FileClaim claim;  // first: released last, after every connection has closed
    std::string path;
    SqliteOptions options;
    std::mutex mutex;
    std::vector<std::unique_ptr<Connection>> idle;  // open connections no thread is using
    std::unique_ptr<WriteGroups> writes;            // the hot paths' writes, committed in groups

    // A connection lent to one thread for one call; SQLite connections must not be used by two threads at once.
    class Lease {
    public:
        explicit Lease(Impl& impl) : impl_(impl) {
            {
                std::lock_guard lock(impl_.mutex);
                if (!impl_.idle.empty()) {
                    connection_ = std::move(impl_.idle.back());
                    impl_.idle.pop_back();
                }
            }
            if (!connection_) connection_ = std::make_unique<Connection>(impl_.path, impl_.options);
        }
        ~Lease() {
            // A connection still inside a transaction (its ROLLBACK failed, say on an I/O error) would poison the
            // next call that gets it: close it instead.
            if (sqlite3_get_autocommit(connection_->db().getHandle()) == 0) return;
            std::lock_guard lock(impl_.mutex);
            if (impl_.idle.size() < max_idle_connections) impl_.idle.push_back(std::move(connection_));
        }
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;

        Connection& connection() noexcept { return *connection_; }
        SQLite::Database& db() noexcept { return connection_->db(); }

    private:
        Impl& impl_;
        std::unique_ptr<Connection> connection_;
    };

    void migrate(SQLite::Database& db) const {
        constexpr int known = SqliteStore::schema_version;
        auto refuse_newer = [&](int version) {
            if (version > known)
                throw std::runtime_error("database schema version " + std::to_string(version) +
                                         " is newer than this program's " + std::to_string(known) +
                                         "; refusing to open it (upgrade the program)");
        };
        // Before anything writes to the file, even the journal mode: a newer program's database stays untouched.
        const int found = db.execAndGet("PRAGMA user_version").getInt();
        refuse_newer(found);
        // SQLite opens a file it may not write read-only without a word; a payment store that cannot record
        // payments is a configuration error to report now, not at the first payment.
        if (sqlite3_db_readonly(db.getHandle(), "main") == 1)
            throw std::runtime_error("the database file is read-only to this process");

        // WAL: readers never wait for the writer, and a commit is one append to the log. It is a property of the
        // file, so it is set here once; SQLite answers with the mode it ended up in.
        const std::string mode = db.execAndGet("PRAGMA journal_mode = WAL").getString();
        if (mode != "wal")
            throw std::runtime_error("could not switch the database to WAL (journal mode is " + mode + ")");

        if (found == known) return;  // versions only grow: nothing to migrate, no write lock needed

        // IMMEDIATE: several processes may open a new file at once; one migrates, the others wait and then see
        // the version it wrote. All missing migrations apply in one transaction: all of them or none.
        // Foreign keys off while tables are rebuilt (dropping a parent table would otherwise cascade); the check
        // before the commit proves the rebuilt tables consistent. The pragma is a no-op inside a transaction.
        db.exec("PRAGMA foreign_keys = OFF");
        struct KeysBackOn {
            SQLite::Database& db;
            ~KeysBackOn() { db.exec("PRAGMA foreign_keys = ON"); }
        } keys_back_on{db};
        SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
        const int version = db.execAndGet("PRAGMA user_version").getInt();
        refuse_newer(version);
        if (version < 0) throw std::runtime_error("database schema version " + std::to_string(version) + " is invalid");
        if (version == known) return;  // the destructor ends the read-only transaction
        for (int v = version; v < known; ++v) db.exec(migrations[static_cast<std::size_t>(v)]);
        SQLite::Statement violations(db, "PRAGMA foreign_key_check");
        if (violations.executeStep()) throw std::runtime_error("migration left rows without their parent");
        db.exec("PRAGMA user_version = " + std::to_string(known));
        tx.commit();
    }
};

SqliteStore::SqliteStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SqliteStore::~SqliteStore() = default;

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path, SqliteOptions options) {
    if (path.empty() || path == ":memory:" || path.rfind("file:", 0) == 0)
        return make_error(Errc::invalid_argument,
                          "the SQLite store needs a plain file path: every thread opens its own connection to it");
    return guarded<std::unique_ptr<SqliteStore>>("open database " + path, [&] {
        auto impl = std::make_unique<Impl>();
        impl->path = path;
        impl->options = options;
        const bool claimed = impl->claim.take(path, options.exclusive);
        auto connection = std::make_unique<Connection>(path, options);
        if (!claimed) impl->claim.take(path, options.exclusive);  // SQLite could open what open(2) could not
        impl->migrate(connection->db());
        impl->idle.push_back(std::move(connection));
        impl->writes = std::make_unique<WriteGroups>(path, options);
        return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(impl)));
    });
}

Status SqliteStore::insert(const Invoice& invoice) {
    auto refused = guarded<std::optional<Errc>>("insert invoice", [&] {
        std::optional<Errc> refusal;
        impl_->writes->run([&](Connection& c) {
            if (invoice_with_order_id(c, invoice)) {
                refusal = Errc::order_id_conflict;
                return false;
            }
            insert_invoice_rows(c, invoice);
            if (invoice.address_payable && !claim_address(c, invoice)) {
                refusal = Errc::address_claimed;
                return false;  // undoes the rows inserted above
            }
            append_event(c, EventType::invoice_created, invoice.id, invoice.merchant_id, invoice.time);
            // For imports of invoices paid elsewhere; payments normally arrive through record_payment().
            if (invoice.payment) insert_payment_rows(c, invoice.id, *invoice.payment);
            return true;
        });
        return refusal;
    });
    if (!refused) return std::move(refused).error();
    if (*refused == Errc::order_id_conflict)
        return make_error(Errc::order_id_conflict, "the merchant has an invoice with this order id");
    if (*refused == Errc::address_claimed)
        return make_error(Errc::address_claimed, "another open invoice is payable at this address");
    return {};
}

Result<IdempotentInsert> SqliteStore::insert_idempotent(const Invoice& invoice, const IdempotencyKey& key) {
    return guarded<IdempotentInsert>("insert invoice", [&] {
        IdempotentInsert outcome;
        // In the writer's transaction: the lookup and the insert see one state, whoever else is creating with
        // this key.
        impl_->writes->run([&](Connection& c) {
            {
                Query q(c, "SELECT invoice_id, request_hash FROM idempotency_keys WHERE scope = ? AND key = ?");
                q->bind(1, key.scope);
                q->bind(2, key.key);
                if (q->executeStep()) {
                    outcome.existing.bytes = get_fixed_blob<16>(q->getColumn(0), "idempotency_keys.invoice_id");
                    outcome.same_request = get_fixed_blob<32>(q->getColumn(1), "idempotency_keys.request_hash") ==
                                           key.request_hash;
                    return false;
                }
            }
            if (const auto taken = invoice_with_order_id(c, invoice)) {
                outcome.existing = *taken;
                outcome.order_id_taken = true;
                return false;
            }
            insert_invoice_rows(c, invoice);
            if (invoice.address_payable && !claim_address(c, invoice)) {
                outcome.address_claimed = true;
                return false;  // undoes the rows inserted above
            }
            append_event(c, EventType::invoice_created, invoice.id, invoice.merchant_id, invoice.time);
            Query q(c, "INSERT INTO idempotency_keys (scope, key, request_hash, invoice_id) VALUES (?, ?, ?, ?)");
            q->bind(1, key.scope);
            q->bind(2, key.key);
            bind_blob(*q, 3, key.request_hash);
            bind_blob(*q, 4, invoice.id.bytes);
            q->exec();
            outcome.inserted = true;
            return true;
        });
        return outcome;
    });
}

Result<std::optional<Invoice>> SqliteStore::find(const InvoiceId& id) {
    return guarded<std::optional<Invoice>>("find invoice", [&] {
        Impl::Lease lease(*impl_);
        SQLite::Transaction tx(lease.db());  // one snapshot for the invoice and its rows
        auto invoice = load_invoice(lease.connection(), id);
        tx.commit();
        return invoice;
    });
}

Result<std::optional<Invoice>> SqliteStore::find_by_txid(const TxId& txid) {
    return guarded<std::optional<Invoice>>("find invoice by txid", [&] {
        Impl::Lease lease(*impl_);
        SQLite::Transaction tx(lease.db());
        std::optional<Invoice> invoice;
        if (const auto id = invoice_paid_by(lease.connection(), txid)) invoice = load_invoice(lease.connection(), *id);
        tx.commit();
        return invoice;
    });
}

Result<RecordOutcome> SqliteStore::record_payment(const InvoiceId& id, const Payment& payment) {
    return guarded<RecordOutcome>("record payment", [&] {
        try {
            // The writer's transaction holds the write lock before the first read, so no other writer (thread or
            // process) can change what the classification saw before the insert lands.
            RecordOutcome outcome = RecordOutcome::not_found;
            impl_->writes->run([&](Connection& c) {
                outcome = classify_payment(c, id, payment.txid);
                if (outcome != RecordOutcome::recorded) return false;
                insert_payment_rows(c, id, payment);
                delete_intent(c, id);
                append_event(c, EventType::payment_received, id, merchant_of(c, id), payment.paid_at);
                return true;
            });
            return outcome;
        } catch (const SQLite::Exception& e) {
            // The constraints have the last word. Should a violation ever happen anyway (another writer that does
            // not take the lock first), it means someone else got there: answer with what is stored now.
            if (!is_constraint_violation(e)) throw;
            Impl::Lease lease(*impl_);
            SQLite::Transaction tx(lease.db());
            const RecordOutcome outcome = classify_payment(lease.connection(), id, payment.txid);
            if (outcome == RecordOutcome::recorded) throw;  // a violation with no conflicting row: a real failure
            return outcome;
        }
    });
}

Result<IntentOutcome> SqliteStore::open_intent(const BroadcastIntent& intent) {
    return guarded<IntentOutcome>("open broadcast intent", [&] {
        try {
            IntentOutcome outcome = IntentOutcome::not_found;
            impl_->writes->run([&](Connection& c) {
                outcome = classify_intent(c, intent);
                if (outcome != IntentOutcome::opened) return false;
                Query q(c, "INSERT INTO broadcast_intents (invoice_id, txid, raw_transaction, memo, refund_to, "
                           "created) VALUES (?, ?, ?, ?, ?, ?)");
                bind_blob(*q, 1, intent.invoice_id.bytes);
                bind_blob(*q, 2, intent.txid.bytes);
                bind_blob(*q, 3, intent.raw_transaction);
                q->bind(4, intent.memo);
                q->bind(5, refund_text(intent.refund_to));
                q->bind(6, to_seconds(intent.created));
                q->exec();
                return true;
            });
            return outcome;
        } catch (const SQLite::Exception& e) {
            if (!is_constraint_violation(e)) throw;  // as in record_payment: someone else got there
            Impl::Lease lease(*impl_);
            SQLite::Transaction tx(lease.db());
            const IntentOutcome outcome = classify_intent(lease.connection(), intent);
            if (outcome == IntentOutcome::opened) throw;
            return outcome;
        }
    });
}

Result<std::optional<BroadcastIntent>> SqliteStore::find_intent(const InvoiceId& id) {
    return guarded<std::optional<BroadcastIntent>>("find broadcast intent", [&] {
        Impl::Lease lease(*impl_);
        return intent_of(lease.connection(), id);
    });
}

Status SqliteStore::close_intent(const InvoiceId& id, const TxId& txid) {
    return guarded_status("close broadcast intent", [&] {
        impl_->writes->run([&](Connection& c) {
            Query q(c, "DELETE FROM broadcast_intents WHERE invoice_id = ? AND txid = ?");
            bind_blob(*q, 1, id.bytes);
            bind_blob(*q, 2, txid.bytes);
            q->exec();
            return true;
        });
    });
}

Result<std::vector<BroadcastIntent>> SqliteStore::open_intents(Timestamp before, std::size_t limit) {
    return guarded<std::vector<BroadcastIntent>>("list broadcast intents", [&] {
        Impl::Lease lease(*impl_);
        Query q(lease.connection(), "SELECT invoice_id, txid, raw_transaction, memo, refund_to, created FROM "
                                    "broadcast_intents WHERE created <= ? ORDER BY created, rowid LIMIT ?");
        q->bind(1, to_seconds(before));
        q->bind(2, sql_limit(limit));
        std::vector<BroadcastIntent> intents;
        while (q->executeStep()) intents.push_back(intent_from_row(*q));
        return intents;
    });
}

Result<std::size_t> SqliteStore::purge_expired(Timestamp before, std::size_t limit) {
    return guarded<std::size_t>("purge expired invoices", [&] {
        Impl::Lease lease(*impl_);
        Connection& c = lease.connection();
        SQLite::Transaction tx(c.db(), SQLite::TransactionBehavior::IMMEDIATE);
        int deleted = 0;
        {
            Query q(c, "DELETE FROM invoices WHERE id IN (SELECT id FROM invoices WHERE expiry_announced = 1 AND "
                       "paid = 0 AND expires < ? AND NOT EXISTS (SELECT 1 FROM broadcast_intents WHERE invoice_id = "
                       "invoices.id) ORDER BY expires LIMIT ?)");
            q->bind(1, to_seconds(before));
            q->bind(2, sql_limit(limit));
            deleted = q->exec();
        }
        tx.commit();
        return static_cast<std::size_t>(deleted);
    });
}

Result<std::vector<Invoice>> SqliteStore::claim_expired(Timestamp now, std::size_t limit) {
    return guarded<std::vector<Invoice>>("claim expired invoices", [&] {
        Impl::Lease lease(*impl_);
        Connection& c = lease.connection();
        // Selecting and marking in one write transaction: two processes running the expiry sweep cannot both
        // claim an invoice, and a payment cannot land between the check for one and the mark.
        SQLite::Transaction tx(c.db(), SQLite::TransactionBehavior::IMMEDIATE);
        std::vector<InvoiceId> ids;
        {
            Query q(c, "SELECT id FROM invoices WHERE expiry_announced = 0 AND paid = 0 AND expires <= ? AND NOT "
                       "EXISTS (SELECT 1 FROM broadcast_intents WHERE invoice_id = invoices.id) "
                       "ORDER BY expires, id LIMIT ?");
            q->bind(1, to_seconds(now));
            q->bind(2, sql_limit(limit));
            while (q->executeStep()) ids.push_back(InvoiceId{get_fixed_blob<16>(q->getColumn(0), "invoices.id")});
        }
        std::vector<Invoice> claimed;
        claimed.reserve(ids.size());
        for (const InvoiceId& id : ids) {
            {
                Query mark(c, "UPDATE invoices SET expiry_announced = 1 WHERE id = ?");
                bind_blob(*mark, 1, id.bytes);
                mark->exec();
            }
            if (auto invoice = load_invoice(c, id)) {
                append_event(c, EventType::invoice_expired, id, invoice->merchant_id, now);
                claimed.push_back(std::move(*invoice));
            }
        }
        tx.commit();
        return claimed;
    });
}

// ---- Cancellation and listing

Result<CancelOutcome> SqliteStore::cancel_invoice(const InvoiceId& id, std::int64_t merchant_id, Timestamp now) {
    return guarded<CancelOutcome>("cancel invoice", [&] {
        Impl::Lease lease(*impl_);
        Connection& c = lease.connection();
        // IMMEDIATE: no payment, intent or sweep can land between the checks and the mark.
        SQLite::Transaction tx(c.db(), SQLite::TransactionBehavior::IMMEDIATE);
        {
            Query q(c, "SELECT merchant_id, paid, cancelled, expiry_announced, expires FROM invoices WHERE id = ?");
            bind_blob(*q, 1, id.bytes);
            if (!q->executeStep() || q->getColumn(0).isNull() || q->getColumn(0).getInt64() != merchant_id)
                return CancelOutcome::not_found;
            if (q->getColumn(1).getInt() != 0) return CancelOutcome::paid;
            if (!q->getColumn(2).isNull()) return CancelOutcome::already_cancelled;
            if (intent_of(c, id)) return CancelOutcome::payment_in_progress;
            if (q->getColumn(3).getInt() != 0 || from_seconds(q->getColumn(4).getInt64()) <= now)
                return CancelOutcome::expired;
        }
        {
            Query q(c, "UPDATE invoices SET cancelled = ?, expiry_announced = 1 WHERE id = ?");
            q->bind(1, to_seconds(now));
            bind_blob(*q, 2, id.bytes);
            q->exec();
        }
        {
            Query q(c, "DELETE FROM address_claims WHERE invoice_id = ?");
            bind_blob(*q, 1, id.bytes);
            q->exec();
        }
        append_event(c, EventType::invoice_cancelled, id, merchant_id, now);
        tx.commit();
        return CancelOutcome::cancelled;
    });
}

Result<std::vector<Invoice>> SqliteStore::list_invoices(const InvoiceQuery& query) {
    return guarded<std::vector<Invoice>>("list invoices", [&] {
        // Built from fixed pieces (never from the query's values, which are bound), and served by the index
        // invoices_by_merchant (merchant_id, time, id) in either direction.
        std::string sql = "SELECT id FROM invoices WHERE merchant_id = ?";
        if (query.created_after) sql += " AND time >= ?";
        if (query.created_before) sql += " AND time < ?";
        if (query.order_id) sql += " AND order_id = ?";
        if (query.status) {
            switch (*query.status) {
                case InvoiceStatus::open: sql += " AND paid = 0 AND cancelled IS NULL AND expires > ?"; break;
                case InvoiceStatus::expired: sql += " AND paid = 0 AND cancelled IS NULL AND expires <= ?"; break;
                case InvoiceStatus::paid:
                    sql += " AND paid = 1 AND EXISTS (SELECT 1 FROM payments p WHERE p.invoice_id = invoices.id AND "
                           "p.confirmed IS NULL AND p.reversed IS NULL)";
                    break;
                case InvoiceStatus::confirmed:
                    sql += " AND paid = 1 AND EXISTS (SELECT 1 FROM payments p WHERE p.invoice_id = invoices.id AND "
                           "p.confirmed IS NOT NULL AND p.reversed IS NULL)";
                    break;
                case InvoiceStatus::reversed:
                    sql += " AND paid = 1 AND EXISTS (SELECT 1 FROM payments p WHERE p.invoice_id = invoices.id AND "
                           "p.reversed IS NOT NULL)";
                    break;
                case InvoiceStatus::cancelled: sql += " AND paid = 0 AND cancelled IS NOT NULL"; break;
            }
        }
        if (query.after) sql += " AND (time < ? OR (time = ? AND id < ?))";
        sql += " ORDER BY time DESC, id DESC LIMIT ?";

        Impl::Lease lease(*impl_);
        Connection& c = lease.connection();
        SQLite::Transaction tx(c.db());  // one snapshot for the page
        SQLite::Statement q(c.db(), sql);
        int n = 0;
        q.bind(++n, query.merchant_id);
        if (query.created_after) q.bind(++n, to_seconds(*query.created_after));
        if (query.created_before) q.bind(++n, to_seconds(*query.created_before));
        if (query.order_id) q.bind(++n, *query.order_id);
        if (query.status == InvoiceStatus::open || query.status == InvoiceStatus::expired)
            q.bind(++n, to_seconds(query.now));
        if (query.after) {
            q.bind(++n, to_seconds(query.after->first));
            q.bind(++n, to_seconds(query.after->first));
            bind_blob(q, ++n, query.after->second.bytes);
        }
        q.bind(++n, sql_limit(query.limit));
        std::vector<InvoiceId> ids;
        while (q.executeStep()) ids.push_back(InvoiceId{get_fixed_blob<16>(q.getColumn(0), "invoices.id")});
        std::vector<Invoice> page;
        page.reserve(ids.size());
        for (const InvoiceId& id : ids)
            if (auto invoice = load_invoice(c, id)) page.push_back(std::move(*invoice));
        q.reset();
        tx.commit();
        return page;
    });
}

// ---- The event log

Result<std::vector<StoredEvent>> SqliteStore::events_after(std::int64_t seq, std::size_t limit) {
    return guarded<std::vector<StoredEvent>>("read events", [&] {
        Impl::Lease lease(*impl_);
        Query q(lease.connection(), "SELECT " JPP_EVENT_COLUMNS " FROM events WHERE seq > ? ORDER BY seq LIMIT ?");
        q->bind(1, seq);
        q->bind(2, sql_limit(limit));
        std::vector<StoredEvent> out;
        while (q->executeStep()) out.push_back(event_from_row(*q, 0));
        return out;
    });
}

Result<std::int64_t> SqliteStore::last_event_seq() {
    return guarded<std::int64_t>("read the last event", [&] {
        Impl::Lease lease(*impl_);
        Query q(lease.connection(), "SELECT coalesce(max(seq), 0) FROM events");
        q->executeStep();
        return q->getColumn(0).getInt64();
    });
}

Result<std::optional<StoredEvent>> SqliteStore::find_event(const std::string& id) {
    return guarded<std::optional<StoredEvent>>("find event", [&]() -> std::optional<StoredEvent> {
        Impl::Lease lease(*impl_);
        Query q(lease.connection(), "SELECT " JPP_EVENT_COLUMNS " FROM events WHERE id = ?");
        q->bind(1, id);
        if (!q->executeStep()) return std::nullopt;
        return event_from_row(*q, 0);
    });
}

// ---- Webhooks

Status SqliteStore::add_webhook(const WebhookEndpoint& endpoint) {
    return guarded_status("add webhook endpoint", [&] {
        Impl::Lease lease(*impl_);
        Query q(lease.connection(), "INSERT INTO webhook_endpoints (" JPP_ENDPOINT_COLUMNS ") VALUES (?, ?, ?, ?, ?, ?)");
        q->bind(1, endpoint.id);
        q->bind(2, endpoint.merchant_id);
        q->bind(3, endpoint.url);
        q->bind(4, endpoint.secret);
        q->bind(5, static_cast<std::int64_t>(endpoint.events));
        q->bind(6, to_seconds(endpoint.created));
        q->exec();
    });
}

Result<std::vector<WebhookEndpoint>> SqliteStore::webhooks(std::optional<std::int64_t> merchant_id) {
    return guarded<std::vector<WebhookEndpoint>>("list webhook endpoints", [&] {
        Impl::Lease lease(*impl_);
        Query q(lease.connection(), "SELECT " JPP_ENDPOINT_COLUMNS " FROM webhook_endpoints "
                                    "WHERE ?1 IS NULL OR merchant_id = ?1 ORDER BY created, id");
        if (merchant_id) q->bind(1, *merchant_id);
        std::vector<WebhookEndpoint> out;
        while (q->executeStep()) out.push_back(endpoint_from_row(*q));
        return out;
    });
}

Result<std::optional<WebhookEndpoint>> SqliteStore::find_webhook(const std::string& id) {
    return guarded<std::optional<WebhookEndpoint>>("find webhook endpoint", [&]() -> std::optional<WebhookEndpoint> {
        Impl::Lease lease(*impl_);
        Query q(lease.connection(), "SELECT " JPP_ENDPOINT_COLUMNS " FROM webhook_endpoints WHERE id = ?");
        q->bind(1, id);
        if (!q->executeStep()) return std::nullopt;
        return endpoint_from_row(*q);
    });
}

Result<bool> SqliteStore::remove_webhook(const std::string& id) {
    return guarded<bool>("remove webhook endpoint", [&] {
        Impl::Lease lease(*impl_);
        Query q(lease.connection(), "DELETE FROM webhook_endpoints WHERE id = ?");
        q->bind(1, id);
        return q->exec() > 0;
    });
}

Result<std::vector<DueDelivery>> SqliteStore::take_due_deliveries(Timestamp now, Timestamp lease_until,
                                                                  std::size_t limit) {
    return guarded<std::vector<DueDelivery>>("take due webhook deliveries", [&] {
        Impl::Lease lease(*impl_);
        Connection& c = lease.connection();
        std::vector<DueDelivery> due;
        {
            // Asked every second: without anything due, it takes no write lock.
            Query q(c, "SELECT 1 FROM webhook_deliveries WHERE state = 0 AND next_attempt <= ? LIMIT 1");
            q->bind(1, to_seconds(now));
            if (!q->executeStep()) return due;
        }
        SQLite::Transaction tx(c.db(), SQLite::TransactionBehavior::IMMEDIATE);
        {
            // Each endpoint's queue head, found through webhook_deliveries_pending: the cost is per endpoint,
            // not per pending delivery.
            Query q(c, "SELECT " JPP_DELIVERY_COLUMNS ", e.url, e.secret FROM webhook_endpoints e "
                       "JOIN webhook_deliveries d ON d.seq = (SELECT seq FROM webhook_deliveries "
                       "WHERE endpoint_id = e.id AND state = 0 ORDER BY seq LIMIT 1) "
                       "JOIN events ON events.seq = d.event_seq "
                       "WHERE d.next_attempt <= ? ORDER BY d.next_attempt, d.seq LIMIT ?");
            q->bind(1, to_seconds(now));
            q->bind(2, sql_limit(limit));
            while (q->executeStep()) {
                DueDelivery d{delivery_from_row(c, *q), q->getColumn(13).getString(), q->getColumn(14).getString()};
                due.push_back(std::move(d));
            }
        }
        for (DueDelivery& d : due) {
            Query q(c, "UPDATE webhook_deliveries SET next_attempt = ? WHERE id = ?");
            q->bind(1, to_seconds(lease_until));
            q->bind(2, d.delivery.id);
            q->exec();
            d.delivery.next_attempt = lease_until;
        }
        tx.commit();
        return due;
    });
}

Status SqliteStore::record_attempt(const std::string& delivery_id, const DeliveryAttempt& attempt,
                                   DeliveryState state, Timestamp next_attempt) {
    return guarded_status("record webhook attempt", [&] {
        Impl::Lease lease(*impl_);
        Connection& c = lease.connection();
        SQLite::Transaction tx(c.db(), SQLite::TransactionBehavior::IMMEDIATE);
        std::int64_t seq = 0;
        {
            Query q(c, "SELECT seq FROM webhook_deliveries WHERE id = ?");
            q->bind(1, delivery_id);
            if (!q->executeStep()) return;  // its endpoint was removed meanwhile
            seq = q->getColumn(0).getInt64();
        }
        {
            Query q(c, "INSERT INTO webhook_attempts (delivery_seq, number, time, status_code, error, duration_ms) "
                       "SELECT ?1, coalesce(max(number), 0) + 1, ?2, ?3, ?4, ?5 FROM webhook_attempts "
                       "WHERE delivery_seq = ?1");
            q->bind(1, seq);
            q->bind(2, to_seconds(attempt.time));
            q->bind(3, attempt.status_code);
            q->bind(4, attempt.error);
            q->bind(5, static_cast<std::int64_t>(attempt.duration.count()));
            q->exec();
        }
        Query q(c, "UPDATE webhook_deliveries SET state = ?, next_attempt = ? WHERE seq = ?");
        q->bind(1, static_cast<int>(state));
        q->bind(2, to_seconds(next_attempt));
        q->bind(3, seq);
        q->exec();
        tx.commit();
    });
}

Result<std::vector<WebhookDelivery>> SqliteStore::deliveries(const std::string& endpoint_id, std::size_t limit) {
    return guarded<std::vector<WebhookDelivery>>("list webhook deliveries", [&] {
        Impl::Lease lease(*impl_);
        Connection& c = lease.connection();
        SQLite::Transaction tx(c.db());
        std::vector<WebhookDelivery> out;
        {
            Query q(c, "SELECT " JPP_DELIVERY_COLUMNS " FROM webhook_deliveries d JOIN events ON events.seq = "
                       "d.event_seq WHERE d.endpoint_id = ? ORDER BY d.seq DESC LIMIT ?");
            q->bind(1, endpoint_id);
            q->bind(2, sql_limit(limit));
            while (q->executeStep()) out.push_back(delivery_from_row(c, *q));
        }
        tx.commit();
        return out;
    });
}

Result<std::size_t> SqliteStore::delivery_backlog() {
    return guarded<std::size_t>("count pending webhook deliveries", [&] {
        Impl::Lease lease(*impl_);
        Query q(lease.connection(), "SELECT count(*) FROM webhook_deliveries WHERE state = 0");
        q->executeStep();
        return static_cast<std::size_t>(q->getColumn(0).getInt64());
    });
}

Result<std::optional<WebhookDelivery>> SqliteStore::redeliver(const std::string& event_id,
                                                              const std::string& endpoint_id, Timestamp now) {
    return guarded<std::optional<WebhookDelivery>>("redeliver event", [&]() -> std::optional<WebhookDelivery> {
        Impl::Lease lease(*impl_);
        Connection& c = lease.connection();
        SQLite::Transaction tx(c.db(), SQLite::TransactionBehavior::IMMEDIATE);
        std::int64_t event_seq = 0;
        {
            Query q(c, "SELECT events.seq FROM events JOIN webhook_endpoints e ON e.merchant_id = events.merchant_id "
                       "WHERE events.id = ? AND e.id = ?");
            q->bind(1, event_id);
            q->bind(2, endpoint_id);
            if (!q->executeStep()) return std::nullopt;
            event_seq = q->getColumn(0).getInt64();
        }
        std::optional<std::string> original;
        {
            Query q(c, "SELECT id FROM webhook_deliveries WHERE event_seq = ? AND endpoint_id = ? ORDER BY seq DESC "
                       "LIMIT 1");
            q->bind(1, event_seq);
            q->bind(2, endpoint_id);
            if (q->executeStep()) original = q->getColumn(0).getString();
        }
        const std::string id = "dlv_" + InvoiceId::generate().hex();
        {
            Query q(c, "INSERT INTO webhook_deliveries (id, endpoint_id, event_seq, redelivery_of, created, "
                       "next_attempt) VALUES (?, ?, ?, ?, ?, ?)");
            q->bind(1, id);
            q->bind(2, endpoint_id);
            q->bind(3, event_seq);
            if (original) q->bind(4, *original);
            q->bind(5, to_seconds(now));
            q->bind(6, to_seconds(now));
            q->exec();
        }
        std::optional<WebhookDelivery> made;
        {
            Query q(c, "SELECT " JPP_DELIVERY_COLUMNS " FROM webhook_deliveries d JOIN events ON events.seq = "
                       "d.event_seq WHERE d.id = ?");
            q->bind(1, id);
            if (q->executeStep()) made = delivery_from_row(c, *q);
        }
        tx.commit();
        return made;
    });
}

// ---- Merchants and keys

namespace {

ApiKey key_from_row(SQLite::Statement& q) {
    ApiKey key;
    key.id = q.getColumn(0).getString();
    key.merchant_id = q.getColumn(1).getInt64();
    key.permissions = static_cast<std::uint32_t>(q.getColumn(2).getInt64());
    key.secret_hash = get_fixed_blob<32>(q.getColumn(3), "api_keys.secret_hash");
    key.created = from_seconds(q.getColumn(4).getInt64());
    if (!q.getColumn(5).isNull()) key.revoked = from_seconds(q.getColumn(5).getInt64());
    return key;
}

}  // namespace

Result<Merchant> SqliteStore::add_merchant(const std::string& name, Timestamp now) {
    if (Status s = check_merchant_name(name); !s) return s.error();
    auto added = guarded<std::optional<Merchant>>("add merchant", [&]() -> std::optional<Merchant> {
        Impl::Lease lease(*impl_);
        Query q(lease.connection(), "INSERT INTO merchants (name, created) VALUES (?, ?) ON CONFLICT (name) DO NOTHING");
        q->bind(1, name);
        q->bind(2, to_seconds(now));
        if (q->exec() == 0) return std::nullopt;
        return Merchant{lease.db().getLastInsertRowid(), name, now};
    });
    if (!added) return std::move(added).error();
    if (!*added) return make_error(Errc::invalid_argument, "a merchant named '" + name + "' exists already");
    return std::move(**added);
}

Result<std::vector<Merchant>> SqliteStore::merchants() {
    return guarded<std::vector<Merchant>>("list merchants", [&] {
        Impl::Lease lease(*impl_);
        Query q(lease.connection(), "SELECT id, name, created FROM merchants ORDER BY id");
        std::vector<Merchant> out;
        while (q->executeStep())
            out.push_back(Merchant{q->getColumn(0).getInt64(), q->getColumn(1).getString(),
                                   from_seconds(q->getColumn(2).getInt64())});
        return out;
    });
}

Status SqliteStore::add_api_key(const ApiKey& key) {
    return guarded_status("add API key", [&] {
        Impl::Lease lease(*impl_);
        Query q(lease.connection(), "INSERT INTO api_keys (id, merchant_id, permissions, secret_hash, created) "
                                    "VALUES (?, ?, ?, ?, ?)");
        q->bind(1, key.id);
        q->bind(2, key.merchant_id);
        q->bind(3, static_cast<std::int64_t>(key.permissions));
        bind_blob(*q, 4, key.secret_hash);
        q->bind(5, to_seconds(key.created));
        q->exec();
    });
}

Result<std::optional<ApiKey>> SqliteStore::find_api_key(const std::string& id) {
    return guarded<std::optional<ApiKey>>("find API key", [&]() -> std::optional<ApiKey> {
        Impl::Lease lease(*impl_);
        Query q(lease.connection(), "SELECT id, merchant_id, permissions, secret_hash, created, revoked FROM api_keys "
                                    "WHERE id = ?");
        q->bind(1, id);
        if (!q->executeStep()) return std::nullopt;
        return key_from_row(*q);
    });
}

Result<std::vector<ApiKey>> SqliteStore::api_keys() {
    return guarded<std::vector<ApiKey>>("list API keys", [&] {
        Impl::Lease lease(*impl_);
        Query q(lease.connection(), "SELECT id, merchant_id, permissions, secret_hash, created, revoked FROM api_keys "
                                    "ORDER BY created, id");
        std::vector<ApiKey> out;
        while (q->executeStep()) out.push_back(key_from_row(*q));
        return out;
    });
}

Result<bool> SqliteStore::revoke_api_key(const std::string& id, Timestamp now) {
    return guarded<bool>("revoke API key", [&] {
        Impl::Lease lease(*impl_);
        Query q(lease.connection(), "UPDATE api_keys SET revoked = coalesce(revoked, ?) WHERE id = ?");
        q->bind(1, to_seconds(now));
        q->bind(2, id);
        return q->exec() > 0;
    });
}

// ---- Following the chain

Result<std::vector<FollowedPayment>> SqliteStore::followed_payments(std::size_t limit) {
    return guarded<std::vector<FollowedPayment>>("read followed payments", [&] {
        Impl::Lease lease(*impl_);
        Query q(lease.connection(),
                "SELECT p.invoice_id, i.required_confirmations, p.txid, p.memo, p.paid_at, p.raw_transaction, "
                "p.block_height, p.block_hash, p.confirmations, p.confirmed, p.reversed, p.missing_since "
                "FROM payments p JOIN invoices i ON i.id = p.invoice_id WHERE p.followed = 1 "
                "ORDER BY p.paid_at, p.rowid LIMIT ?");
        q->bind(1, static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX)));
        std::vector<FollowedPayment> out;
        while (q->executeStep()) {
            FollowedPayment f;
            f.invoice_id.bytes = get_fixed_blob<16>(q->getColumn(0), "payments.invoice_id");
            f.required_confirmations = static_cast<std::uint32_t>(q->getColumn(1).getInt64());
            f.payment.txid.bytes = get_fixed_blob<32>(q->getColumn(2), "payments.txid");
            f.payment.memo = q->getColumn(3).getString();
            f.payment.paid_at = from_seconds(q->getColumn(4).getInt64());
            f.payment.raw_transaction = get_blob(q->getColumn(5));
            f.payment.chain = read_chain(*q, 6);
            out.push_back(std::move(f));
        }
        return out;
    });
}

Result<std::vector<EventType>> SqliteStore::update_payment_chain(const InvoiceId& id, const PaymentChain& chain,
                                                                bool follow) {
    return guarded<std::vector<EventType>>("update payment chain state", [&] {
        Impl::Lease lease(*impl_);
        Connection& c = lease.connection();
        SQLite::Transaction tx(c.db(), SQLite::TransactionBehavior::IMMEDIATE);
        std::optional<Timestamp> confirmed_before, reversed_before;
        {
            Query q(c, "SELECT confirmed, reversed FROM payments WHERE invoice_id = ?");
            bind_blob(*q, 1, id.bytes);
            if (!q->executeStep()) return std::vector<EventType>{};  // purged meanwhile: nothing to follow
            confirmed_before = optional_time(q->getColumn(0));
            reversed_before = optional_time(q->getColumn(1));
        }
        std::vector<EventType> logged;
        const std::optional<std::int64_t> merchant = merchant_of(c, id);
        if (chain.confirmed && !confirmed_before) {
            append_event(c, EventType::payment_confirmed, id, merchant, *chain.confirmed);
            logged.push_back(EventType::payment_confirmed);
        }
        if (chain.reversed && !reversed_before) {
            append_event(c, EventType::payment_reversed, id, merchant, *chain.reversed);
            logged.push_back(EventType::payment_reversed);
        }
        Query q(c, "UPDATE payments SET block_height = ?, block_hash = ?, confirmations = ?, "
                   "confirmed = coalesce(confirmed, ?), reversed = coalesce(reversed, ?), missing_since = ?, "
                   "followed = ? WHERE invoice_id = ?");
        if (chain.block_height && chain.block_hash) {
            q->bind(1, *chain.block_height);
            bind_blob(*q, 2, chain.block_hash->bytes);
        }
        q->bind(3, static_cast<std::int64_t>(chain.confirmations));
        bind_optional_time(*q, 4, chain.confirmed);
        bind_optional_time(*q, 5, chain.reversed);
        bind_optional_time(*q, 6, chain.missing_since);
        q->bind(7, follow ? 1 : 0);
        bind_blob(*q, 8, id.bytes);
        q->exec();
        tx.commit();
        return logged;
    });
}

Result<std::vector<AddressClaim>> SqliteStore::address_claims(Timestamp now, std::size_t limit) {
    return guarded<std::vector<AddressClaim>>("read address claims", [&] {
        Impl::Lease lease(*impl_);
        Query q(lease.connection(),
                "SELECT a.locking_bytecode, a.invoice_id, o.amount, i.time, i.expires, a.created_height "
                "FROM address_claims a JOIN invoices i ON i.id = a.invoice_id "
                "JOIN invoice_outputs o ON o.invoice_id = a.invoice_id AND o.position = 0 "
                "WHERE a.until > ? AND i.paid = 0 AND i.cancelled IS NULL LIMIT ?");
        q->bind(1, to_seconds(now));
        q->bind(2, static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX)));
        std::vector<AddressClaim> out;
        while (q->executeStep()) {
            AddressClaim claim;
            claim.locking_bytecode = get_blob(q->getColumn(0));
            claim.invoice_id.bytes = get_fixed_blob<16>(q->getColumn(1), "address_claims.invoice_id");
            claim.amount = q->getColumn(2).getInt64();
            claim.created = from_seconds(q->getColumn(3).getInt64());
            claim.expires = from_seconds(q->getColumn(4).getInt64());
            if (!q->getColumn(5).isNull()) claim.created_height = q->getColumn(5).getInt64();
            out.push_back(std::move(claim));
        }
        return out;
    });
}

Result<bool> SqliteStore::record_underpayment(const InvoiceId& id, const TxId& txid, std::int64_t amount,
                                              Timestamp at) {
    return guarded<bool>("record underpayment", [&] {
        Impl::Lease lease(*impl_);
        Connection& c = lease.connection();
        SQLite::Transaction tx(c.db(), SQLite::TransactionBehavior::IMMEDIATE);
        Query q(c, "INSERT OR IGNORE INTO underpayments (invoice_id, txid, amount, seen) VALUES (?, ?, ?, ?)");
        bind_blob(*q, 1, id.bytes);
        bind_blob(*q, 2, txid.bytes);
        q->bind(3, amount);
        q->bind(4, to_seconds(at));
        if (q->exec() == 0) return false;
        append_event(c, EventType::payment_underpaid, id, merchant_of(c, id), at);
        tx.commit();
        return true;
    });
}

Result<std::vector<HandledBlock>> SqliteStore::handled_blocks(std::size_t limit) {
    return guarded<std::vector<HandledBlock>>("read handled blocks", [&] {
        Impl::Lease lease(*impl_);
        Query q(lease.connection(), "SELECT height, hash FROM chain_blocks ORDER BY height DESC LIMIT ?");
        q->bind(1, static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX)));
        std::vector<HandledBlock> out;
        while (q->executeStep())
            out.push_back(HandledBlock{q->getColumn(0).getInt64(),
                                       BlockHash{get_fixed_blob<32>(q->getColumn(1), "chain_blocks.hash")}});
        return out;
    });
}

Status SqliteStore::handle_block(const HandledBlock& block) {
    return guarded_status("record handled block", [&] {
        Impl::Lease lease(*impl_);
        Connection& c = lease.connection();
        SQLite::Transaction tx(c.db(), SQLite::TransactionBehavior::IMMEDIATE);
        {
            Query q(c, "DELETE FROM chain_blocks WHERE height >= ? OR height < ?");
            q->bind(1, block.height);
            q->bind(2, block.height - 1000);
            q->exec();
        }
        Query q(c, "INSERT INTO chain_blocks (height, hash) VALUES (?, ?)");
        q->bind(1, block.height);
        bind_blob(*q, 2, block.hash.bytes);
        q->exec();
        tx.commit();
    });
}

Status SqliteStore::ping() {
    return guarded_status("ping", [&] {
        Impl::Lease lease(*impl_);
        // Reads the schema and a page of the file: fails when the file is gone bad or locked beyond the timeout.
        Query q(lease.connection(), "SELECT count(*) FROM (SELECT 1 FROM invoices LIMIT 1)");
        q->executeStep();
    });
}

Result<SqliteSettings> SqliteStore::settings() {
    return guarded<SqliteSettings>("read settings", [&] {
        Impl::Lease lease(*impl_);
        SQLite::Database& db = lease.db();
        SqliteSettings s;
        s.journal_mode = db.execAndGet("PRAGMA journal_mode").getString();
        s.synchronous = db.execAndGet("PRAGMA synchronous").getInt();
        s.foreign_keys = db.execAndGet("PRAGMA foreign_keys").getInt() != 0;
        s.busy_timeout = std::chrono::milliseconds(db.execAndGet("PRAGMA busy_timeout").getInt64());
        s.schema_version = db.execAndGet("PRAGMA user_version").getInt();
        return s;
    });
}

// ---- Backups and checks of the file

namespace {

// A path the backup and the check take: a file, not SQLite's special names (they would open something else).
bool plain_path(const std::string& path) noexcept {
    return !path.empty() && path != ":memory:" && path.rfind("file:", 0) != 0;
}

std::string errno_text(int error) { return std::strerror(error); }

// The temporary file a copy is written to, removed (with any journal SQLite left beside it) unless kept.
class TempCopy {
public:
    // A new file, mode 0600, in the destination's directory: the rename that publishes it stays within one
    // file system, and the copy holds what merchants and payers wrote.
    explicit TempCopy(const std::string& destination) {
        std::string name = destination + ".tmp-XXXXXX";
        const int fd = ::mkstemp(name.data());
        if (fd < 0)
            throw std::runtime_error("cannot create a temporary file beside " + destination + ": " + errno_text(errno));
        // Closed at once: SQLite opens the file itself, and closing a descriptor of ours later would drop the
        // POSIX locks SQLite holds on the same file.
        ::close(fd);
        path_ = std::move(name);
    }
    ~TempCopy() {
        if (kept_) return;
        for (const char* suffix : {"", "-journal", "-wal", "-shm"}) ::unlink((path_ + suffix).c_str());
    }
    TempCopy(const TempCopy&) = delete;
    TempCopy& operator=(const TempCopy&) = delete;

    const std::string& path() const noexcept { return path_; }
    void keep() noexcept { kept_ = true; }

private:
    std::string path_;
    bool kept_ = false;
};

void fsync_path(const std::string& path, int flags) {
    const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error("cannot open " + path + " to flush it: " + errno_text(errno));
    const int done = ::fsync(fd);
    const int error = errno;
    ::close(fd);
    if (done != 0) throw std::runtime_error("cannot flush " + path + " to disk: " + errno_text(error));
}

std::string directory_of(const std::string& path) {
    const auto parent = std::filesystem::path(path).parent_path();
    return parent.empty() ? std::string(".") : parent.string();
}

// Puts `from` at `to` in one step. Without `overwrite`, never replaces a file that appeared at `to` since it was
// looked at: RENAME_NOREPLACE, or link() where the file system lacks it (both fail with EEXIST).
void publish(const std::string& from, const std::string& to, bool overwrite) {
    if (overwrite) {
        if (::rename(from.c_str(), to.c_str()) != 0)
            throw std::runtime_error("cannot rename the copy to " + to + ": " + errno_text(errno));
        return;
    }
    if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return;
    int error = errno;
    if (error == EINVAL || error == ENOSYS) {
        if (::link(from.c_str(), to.c_str()) == 0) {
            ::unlink(from.c_str());
            return;
        }
        error = errno;
    }
    if (error == EEXIST) throw std::invalid_argument(to + " exists; refusing to replace it");
    throw std::runtime_error("cannot rename the copy to " + to + ": " + errno_text(error));
}

bool same_file(const std::string& a, const std::string& b) {
    struct stat sa{}, sb{};
    return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

bool exists(const std::string& path) {
    struct stat st{};
    return ::lstat(path.c_str(), &st) == 0;
}

// A journal SQLite would read when it next opens the file beside it: a WAL or rollback journal with something in
// it. (Empty ones, such as a read-only connection leaves, are ignored by SQLite.)
bool journal_with_content(const std::string& path) {
    struct stat st{};
    return ::stat(path.c_str(), &st) == 0 && st.st_size > 0;
}

// Copies every page of `source` into `destination` from one read transaction.
//
// Why one step: sqlite3_backup_step() with a page count copies that many pages and gives the source's lock up
// between calls; a write by another connection in between makes the next step start the copy over, so under a
// steady stream of payments a copy in steps might never finish. One step (-1) copies every page inside a single
// read transaction. With the store's WAL journal that read transaction is a snapshot: it sees every transaction
// committed before it began and none after, and it never blocks writers, which keep appending to the WAL (the
// checkpoint just cannot pass the snapshot until the copy ends, so the WAL grows meanwhile). So the copy is
// exactly the database as of the moment the read began, and payments go on being recorded during it.
void copy_pages(SQLite::Database& source, SQLite::Database& destination, std::chrono::milliseconds busy_timeout) {
    sqlite3_backup* backup = sqlite3_backup_init(destination.getHandle(), "main", source.getHandle(), "main");
    if (!backup)
        throw std::runtime_error(std::string("cannot start the copy: ") + sqlite3_errmsg(destination.getHandle()));
    const auto deadline = std::chrono::steady_clock::now() + busy_timeout;
    int rc = SQLITE_OK;
    for (;;) {
        rc = sqlite3_backup_step(backup, -1);
        // Busy: the source is being recovered or checkpointed in a way that keeps readers out for a moment.
        if ((rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && std::chrono::steady_clock::now() < deadline) {
            sqlite3_sleep(20);
            continue;
        }
        break;
    }
    const int finished = sqlite3_backup_finish(backup);
    if (rc != SQLITE_DONE)
        throw std::runtime_error(std::string("copy failed: ") + sqlite3_errstr(rc) + " (" +
                                 sqlite3_errmsg(source.getHandle()) + ")");
    if (finished != SQLITE_OK)
        throw std::runtime_error(std::string("copy failed: ") + sqlite3_errmsg(destination.getHandle()));
}

}  // namespace

Status SqliteStore::backup(const std::string& source, const std::string& destination, SqliteBackupOptions options) {
    if (!plain_path(source) || !plain_path(destination))
        return make_error(Errc::invalid_argument, "a backup is made from a database file to a file: plain paths only");
    if (!options.overwrite && exists(destination))
        return make_error(Errc::invalid_argument, destination + " exists; refusing to replace it");
    // Writing over the live file (or its journal files) would destroy the database being copied; writing over a
    // database that has a journal beside it would have SQLite apply that journal, another file's pages, to the copy.
    if (same_file(source, destination))
        return make_error(Errc::invalid_argument, destination + " is the database itself");
    for (const char* suffix : {"-wal", "-shm", "-journal"})
        if (same_file(source + suffix, destination))
            return make_error(Errc::invalid_argument, destination + " is one of the database's own files");
    for (const char* suffix : {"-wal", "-journal"})
        if (journal_with_content(destination + suffix))
            return make_error(Errc::invalid_argument,
                              destination + suffix + " is beside " + destination +
                                  ": a database in use or left by a crash is there; refusing to write over it");

    try {
        try {
            const int timeout = static_cast<int>(std::clamp<std::int64_t>(options.busy_timeout.count(), 0, INT_MAX));
            // Read-only, without the store's claim (a flock() the running store holds; the kernel keeps it, the
            // file never records it, so neither the source nor the copy carries it) and without migrating: the
            // file is copied as it is.
            SQLite::Database from(source, SQLite::OPEN_READONLY, timeout);
            const int version = from.execAndGet("PRAGMA user_version").getInt();
            if (version <= 0)
                return make_error(Errc::store_failure, source + " is not a jppd database (schema version " +
                                                           std::to_string(version) + ")");
            TempCopy temp(destination);
            {
                // The copy's own journal is a rollback journal beside the temporary file, gone at the commit;
                // the copied header keeps the source's WAL mode for whoever opens the file next.
                SQLite::Database to(temp.path(), SQLite::OPEN_READWRITE, timeout);
                copy_pages(from, to, options.busy_timeout);
            }  // closed: every page is in the file, no journal beside it
            fsync_path(temp.path(), O_RDONLY);
            publish(temp.path(), destination, options.overwrite);
            temp.keep();
            fsync_path(directory_of(destination), O_RDONLY | O_DIRECTORY);  // the rename itself, durable
            return Status{};
        } catch (const std::invalid_argument& e) {
            return make_error(Errc::invalid_argument, e.what());
        } catch (const std::exception& e) {
            return make_error(Errc::store_failure, "back up " + source + " to " + destination + ": " + e.what());
        }
    } catch (...) {
        return Error{Errc::store_failure, {}, Error::no_offset};
    }
}

Result<StoreCheck> store_check::check_sqlite(const std::string& path) {
    if (!plain_path(path)) return make_error(Errc::invalid_argument, "a SQLite database is checked by its file path");
    try {
        StoreCheck out;
        out.store = "sqlite";
        out.expected_schema_version = SqliteStore::schema_version;
        std::unique_ptr<SQLite::Database> db;
        try {
            // Read-only and without the claim: beside a running jppd, and never changing what it checks.
            db = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READONLY, 5000);
        } catch (const std::exception& e) {
            return make_error(Errc::store_failure, "cannot open " + path + ": " + e.what());
        }
        try {
            out.schema_version = db->execAndGet("PRAGMA user_version").getInt();
        } catch (const std::exception& e) {
            out.problems.emplace_back(e.what());  // "file is not a database": nothing more can be read
            return out;
        }
        if (out.schema_version <= 0)
            out.problems.push_back("no jppd schema in the file (schema version " +
                                   std::to_string(out.schema_version) + ")");
        else if (out.schema_version > out.expected_schema_version)
            out.problems.push_back("schema version " + std::to_string(out.schema_version) +
                                   " is newer than this program's " + std::to_string(out.expected_schema_version) +
                                   ": this jppd is too old to open it");
        try {
            // Every page: b-tree structure, free list, every index entry against its row, NOT NULL and CHECK
            // constraints. At most 100 findings (SQLite's default).
            SQLite::Statement q(*db, "PRAGMA integrity_check");
            while (q.executeStep()) {
                // A finding may span lines ("*** in database main ***\nPage 41: ..."): one problem per line.
                std::string_view text = q.getColumn(0).getText();
                while (!text.empty()) {
                    const auto end = text.find('\n');
                    const std::string_view line = text.substr(0, end);
                    if (!line.empty() && line != "ok") out.problems.push_back("integrity: " + std::string(line));
                    if (end == std::string_view::npos) break;
                    text.remove_prefix(end + 1);
                }
            }
        } catch (const std::exception& e) {
            out.problems.push_back(std::string("integrity: ") + e.what());
        }
        try {
            SQLite::Statement q(*db, "PRAGMA foreign_key_check");
            while (q.executeStep())
                out.problems.push_back("foreign key: row " + q.getColumn(1).getString() + " of " +
                                       q.getColumn(0).getString() + " has no parent row in " +
                                       q.getColumn(2).getString());
        } catch (const std::exception& e) {
            out.problems.push_back(std::string("foreign keys: ") + e.what());
        }
        return out;
    } catch (const std::exception& e) {
        return make_error(Errc::store_failure, "check " + path + ": " + e.what());
    } catch (...) {
        return Error{Errc::store_failure, {}, Error::no_offset};
    }
}

}  // namespace jpp
