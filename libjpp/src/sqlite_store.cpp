#include "jpp/sqlite_store.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <mutex>
#include <stdexcept>
#include <vector>

namespace jpp {
namespace {

// Each entry upgrades the schema by one version; the database records how far it got in PRAGMA user_version.
// To change the schema, append a migration: never edit one that has shipped.
const char* const migrations[] = {
    // 1: invoices, their outputs, at most one payment per invoice, at most one invoice per transaction.
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
        expiry_announced INTEGER NOT NULL DEFAULT 0
    ) WITHOUT ROWID;
    CREATE INDEX invoices_awaiting_expiry ON invoices (expires) WHERE expiry_announced = 0;
    CREATE TABLE invoice_outputs (
        invoice_id BLOB NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        amount INTEGER NOT NULL,
        address TEXT NOT NULL,
        locking_bytecode BLOB NOT NULL,
        description TEXT NOT NULL,
        token_category BLOB,
        token_amount INTEGER,
        nft_capability INTEGER,
        nft_commitment BLOB,
        PRIMARY KEY (invoice_id, position)
    ) WITHOUT ROWID;
    CREATE TABLE payments (
        invoice_id BLOB PRIMARY KEY REFERENCES invoices (id) ON DELETE CASCADE,
        txid BLOB NOT NULL UNIQUE,
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
    )sql",
};

Timestamp from_seconds(std::int64_t s) { return Timestamp(std::chrono::seconds(s)); }
std::int64_t to_seconds(Timestamp t) { return t.time_since_epoch().count(); }

void bind_blob(SQLite::Statement& q, int index, ByteView bytes) {
    q.bind(index, bytes.data(), static_cast<int>(bytes.size()));
}

Bytes blob(const SQLite::Column& column) {
    const auto* data = static_cast<const std::uint8_t*>(column.getBlob());
    return Bytes(data, data + column.getBytes());
}

template <std::size_t N>
std::array<std::uint8_t, N> fixed_blob(const SQLite::Column& column) {
    std::array<std::uint8_t, N> out{};
    if (static_cast<std::size_t>(column.getBytes()) == N) std::copy_n(static_cast<const std::uint8_t*>(column.getBlob()), N, out.begin());
    return out;
}

void insert_payment(SQLite::Database& db, const InvoiceId& id, const Payment& payment) {
    SQLite::Statement p(db, "INSERT INTO payments (invoice_id, txid, memo, paid_at, raw_transaction) "
                            "VALUES (?, ?, ?, ?, ?)");
    bind_blob(p, 1, id.bytes);
    bind_blob(p, 2, payment.txid.bytes);
    p.bind(3, payment.memo);
    p.bind(4, to_seconds(payment.paid_at));
    bind_blob(p, 5, payment.raw_transaction);
    p.exec();
    for (std::size_t i = 0; i < payment.refund_to.size(); ++i) {
        SQLite::Statement r(db, "INSERT INTO refund_outputs (invoice_id, position, amount, address) VALUES (?, ?, ?, ?)");
        bind_blob(r, 1, id.bytes);
        r.bind(2, static_cast<std::int64_t>(i));
        r.bind(3, payment.refund_to[i].amount);
        r.bind(4, payment.refund_to[i].address);
        r.exec();
    }
}

bool is_constraint_violation(const SQLite::Exception& e) { return (e.getErrorCode() & 0xff) == SQLITE_CONSTRAINT; }

}  // namespace

struct SqliteStore::Impl {
    std::string path;
    SqliteOptions options;
    std::mutex mutex;
    std::vector<std::unique_ptr<SQLite::Database>> idle;  // connections not in use by any thread

    std::unique_ptr<SQLite::Database> connect() const {
        auto db = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE,
                                                     static_cast<int>(options.busy_timeout.count()));
        db->exec("PRAGMA foreign_keys = ON");
        db->exec(options.synchronous_full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
        return db;
    }

    // A connection lent to one thread for one operation: SQLite connections must not be shared concurrently.
    class Lease {
    public:
        explicit Lease(Impl& impl) : impl_(impl) {
            {
                std::lock_guard lock(impl_.mutex);
                if (!impl_.idle.empty()) {
                    db_ = std::move(impl_.idle.back());
                    impl_.idle.pop_back();
                }
            }
            if (!db_) db_ = impl_.connect();
        }
        ~Lease() {
            std::lock_guard lock(impl_.mutex);
            impl_.idle.push_back(std::move(db_));
        }
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        SQLite::Database& operator*() { return *db_; }

    private:
        Impl& impl_;
        std::unique_ptr<SQLite::Database> db_;
    };

    std::optional<Invoice> load(SQLite::Database& db, const InvoiceId& id) {
        SQLite::Statement q(db, "SELECT network, currency, required_fee_per_byte, memo, time, expires, merchant_data "
                                "FROM invoices WHERE id = ?");
        bind_blob(q, 1, id.bytes);
        if (!q.executeStep()) return std::nullopt;
        Invoice invoice;
        invoice.id = id;
        invoice.network = network_from_name(q.getColumn(0).getString()).value_or(Network::main);
        invoice.currency = q.getColumn(1).getString();
        invoice.required_fee_per_byte = q.getColumn(2).getDouble();
        invoice.memo = q.getColumn(3).getString();
        invoice.time = from_seconds(q.getColumn(4).getInt64());
        invoice.expires = from_seconds(q.getColumn(5).getInt64());
        invoice.merchant_data = q.getColumn(6).getString();

        SQLite::Statement outputs(db, "SELECT amount, address, locking_bytecode, description, token_category, "
                                      "token_amount, nft_capability, nft_commitment FROM invoice_outputs "
                                      "WHERE invoice_id = ? ORDER BY position");
        bind_blob(outputs, 1, id.bytes);
        while (outputs.executeStep()) {
            InvoiceOutput o;
            o.amount = outputs.getColumn(0).getInt64();
            o.address = outputs.getColumn(1).getString();
            o.locking_bytecode = blob(outputs.getColumn(2));
            o.description = outputs.getColumn(3).getString();
            if (!outputs.getColumn(4).isNull()) {
                TokenData token;
                token.category = fixed_blob<32>(outputs.getColumn(4));
                token.amount = outputs.getColumn(5).getInt64();
                if (!outputs.getColumn(6).isNull())
                    token.nft = Nft{static_cast<NftCapability>(outputs.getColumn(6).getInt()), blob(outputs.getColumn(7))};
                o.token = std::move(token);
            }
            invoice.outputs.push_back(std::move(o));
        }

        SQLite::Statement payment(db, "SELECT txid, memo, paid_at, raw_transaction FROM payments WHERE invoice_id = ?");
        bind_blob(payment, 1, id.bytes);
        if (payment.executeStep()) {
            Payment p;
            p.txid.bytes = fixed_blob<32>(payment.getColumn(0));
            p.memo = payment.getColumn(1).getString();
            p.paid_at = from_seconds(payment.getColumn(2).getInt64());
            p.raw_transaction = blob(payment.getColumn(3));
            SQLite::Statement refunds(db, "SELECT amount, address FROM refund_outputs WHERE invoice_id = ? "
                                          "ORDER BY position");
            bind_blob(refunds, 1, id.bytes);
            while (refunds.executeStep())
                p.refund_to.push_back(RefundOutput{refunds.getColumn(0).getInt64(), refunds.getColumn(1).getString()});
            invoice.payment = std::move(p);
        }
        return invoice;
    }

    // Which invoice, if any, a transaction paid; and which transaction, if any, paid an invoice.
    static std::optional<InvoiceId> invoice_paid_by(SQLite::Database& db, const TxId& txid) {
        SQLite::Statement q(db, "SELECT invoice_id FROM payments WHERE txid = ?");
        bind_blob(q, 1, txid.bytes);
        if (!q.executeStep()) return std::nullopt;
        return InvoiceId{fixed_blob<16>(q.getColumn(0))};
    }

    static std::optional<TxId> payment_of(SQLite::Database& db, const InvoiceId& id) {
        SQLite::Statement q(db, "SELECT txid FROM payments WHERE invoice_id = ?");
        bind_blob(q, 1, id.bytes);
        if (!q.executeStep()) return std::nullopt;
        return TxId{fixed_blob<32>(q.getColumn(0))};
    }

    static bool exists(SQLite::Database& db, const InvoiceId& id) {
        SQLite::Statement q(db, "SELECT 1 FROM invoices WHERE id = ?");
        bind_blob(q, 1, id.bytes);
        return q.executeStep();
    }

    static RecordOutcome classify(SQLite::Database& db, const InvoiceId& id, const TxId& txid) {
        if (!exists(db, id)) return RecordOutcome::not_found;
        if (auto paid = payment_of(db, id)) return *paid == txid ? RecordOutcome::already_paid_same_tx
                                                                  : RecordOutcome::already_paid_other_tx;
        if (invoice_paid_by(db, txid)) return RecordOutcome::tx_used_elsewhere;
        return RecordOutcome::recorded;
    }
};

namespace {

// Runs `body`, turning any exception into Errc::store_failure that names the operation.
template <class T, class F>
Result<T> guarded(const char* operation, F&& body) {
    try {
        return body();
    } catch (const std::exception& e) {
        return make_error(Errc::store_failure, std::string(operation) + ": " + e.what());
    }
}

}  // namespace

SqliteStore::SqliteStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SqliteStore::~SqliteStore() = default;

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path, SqliteOptions options) {
    if (path.empty() || path == ":memory:" || path.rfind("file::memory:", 0) == 0)
        return make_error(Errc::invalid_argument, "SQLite store needs a file path (each thread opens its own connection)");
    auto impl = std::make_unique<Impl>();
    impl->path = path;
    impl->options = options;
    return guarded<std::unique_ptr<SqliteStore>>("open database", [&] {
        auto db = impl->connect();
        // WAL lets readers proceed while a payment is being written; it is a property of the file, set once.
        db->exec("PRAGMA journal_mode = WAL");
        SQLite::Transaction migrate(*db, SQLite::TransactionBehavior::IMMEDIATE);
        const int known = static_cast<int>(std::size(migrations));
        const int version = db->execAndGet("PRAGMA user_version").getInt();
        if (version > known)
            throw std::runtime_error("database schema version " + std::to_string(version) +
                                     " is newer than this program's " + std::to_string(known) + "; refusing to open it");
        for (int v = version; v < known; ++v) db->exec(migrations[v]);
        db->exec("PRAGMA user_version = " + std::to_string(known));
        migrate.commit();
        impl->idle.push_back(std::move(db));
        return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(impl)));
    });
}

Status SqliteStore::insert(const Invoice& invoice) {
    auto done = guarded<bool>("insert invoice", [&] {
        Impl::Lease lease(*impl_);
        SQLite::Database& db = *lease;
        SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
        SQLite::Statement q(db, "INSERT INTO invoices (id, network, currency, required_fee_per_byte, memo, time, "
                                "expires, merchant_data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
        bind_blob(q, 1, invoice.id.bytes);
        q.bind(2, std::string(network_name(invoice.network)));
        q.bind(3, invoice.currency);
        q.bind(4, invoice.required_fee_per_byte);
        q.bind(5, invoice.memo);
        q.bind(6, static_cast<std::int64_t>(to_seconds(invoice.time)));
        q.bind(7, static_cast<std::int64_t>(to_seconds(invoice.expires)));
        q.bind(8, invoice.merchant_data);
        q.exec();
        for (std::size_t i = 0; i < invoice.outputs.size(); ++i) {
            const InvoiceOutput& o = invoice.outputs[i];
            SQLite::Statement out(db, "INSERT INTO invoice_outputs (invoice_id, position, amount, address, "
                                      "locking_bytecode, description, token_category, token_amount, nft_capability, "
                                      "nft_commitment) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
            bind_blob(out, 1, invoice.id.bytes);
            out.bind(2, static_cast<std::int64_t>(i));
            out.bind(3, static_cast<std::int64_t>(o.amount));
            out.bind(4, o.address);
            bind_blob(out, 5, o.locking_bytecode);
            out.bind(6, o.description);
            if (o.token) {
                bind_blob(out, 7, o.token->category);
                out.bind(8, static_cast<std::int64_t>(o.token->amount));
                if (o.token->nft) {
                    out.bind(9, static_cast<int>(o.token->nft->capability));
                    bind_blob(out, 10, o.token->nft->commitment);
                }
            }
            out.exec();
        }
        // Only for importing paid invoices; payments normally arrive through record_payment().
        if (invoice.payment) insert_payment(db, invoice.id, *invoice.payment);
        tx.commit();
        return true;
    });
    if (!done) return std::move(done).error();
    return {};
}

Result<std::optional<Invoice>> SqliteStore::find(const InvoiceId& id) {
    return guarded<std::optional<Invoice>>("find invoice", [&] {
        Impl::Lease lease(*impl_);
        SQLite::Transaction tx(*lease);  // one snapshot for the invoice and its rows
        auto invoice = impl_->load(*lease, id);
        tx.commit();
        return invoice;
    });
}

Result<std::optional<Invoice>> SqliteStore::find_by_txid(const TxId& txid) {
    return guarded<std::optional<Invoice>>("find invoice by txid", [&] {
        Impl::Lease lease(*impl_);
        SQLite::Transaction tx(*lease);
        std::optional<Invoice> invoice;
        if (auto id = Impl::invoice_paid_by(*lease, txid)) invoice = impl_->load(*lease, *id);
        tx.commit();
        return invoice;
    });
}

Result<RecordOutcome> SqliteStore::record_payment(const InvoiceId& id, const Payment& payment) {
    return guarded<RecordOutcome>("record payment", [&] {
        Impl::Lease lease(*impl_);
        SQLite::Database& db = *lease;
        try {
            // IMMEDIATE takes the write lock up front, so the checks below and the insert see one state.
            SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
            const RecordOutcome outcome = Impl::classify(db, id, payment.txid);
            if (outcome != RecordOutcome::recorded) return outcome;
            insert_payment(db, id, payment);
            tx.commit();
            return RecordOutcome::recorded;
        } catch (const SQLite::Exception& e) {
            // The constraints are the last word: a lost race is an answer, not a failure.
            if (!is_constraint_violation(e)) throw;
            const RecordOutcome outcome = Impl::classify(db, id, payment.txid);
            if (outcome == RecordOutcome::recorded) throw;
            return outcome;
        }
    });
}

Result<std::vector<Invoice>> SqliteStore::claim_expired(Timestamp now, std::size_t limit) {
    return guarded<std::vector<Invoice>>("claim expired invoices", [&] {
        Impl::Lease lease(*impl_);
        SQLite::Database& db = *lease;
        SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
        SQLite::Statement q(db, "SELECT id FROM invoices WHERE expiry_announced = 0 AND expires <= ? "
                                "AND NOT EXISTS (SELECT 1 FROM payments WHERE invoice_id = invoices.id) "
                                "ORDER BY expires LIMIT ?");
        q.bind(1, static_cast<std::int64_t>(to_seconds(now)));
        q.bind(2, static_cast<std::int64_t>(limit));
        std::vector<InvoiceId> ids;
        while (q.executeStep()) ids.push_back(InvoiceId{fixed_blob<16>(q.getColumn(0))});
        std::vector<Invoice> claimed;
        for (const InvoiceId& id : ids) {
            SQLite::Statement mark(db, "UPDATE invoices SET expiry_announced = 1 WHERE id = ?");
            bind_blob(mark, 1, id.bytes);
            mark.exec();
            if (auto invoice = impl_->load(db, id)) claimed.push_back(std::move(*invoice));
        }
        tx.commit();
        return claimed;
    });
}

Status SqliteStore::ping() {
    auto ok = guarded<bool>("ping", [&] {
        Impl::Lease lease(*impl_);
        (*lease).execAndGet("SELECT count(*) FROM invoices WHERE 0");
        return true;
    });
    if (!ok) return std::move(ok).error();
    return {};
}

}  // namespace jpp
