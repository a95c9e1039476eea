#include "jpp/service.hpp"

#include <cmath>

#include "jpp/json.hpp"

namespace jpp {
namespace {

Error field_error(const std::string& field, const std::string& message) {
    return make_error(Errc::invoice_invalid, field + ": " + message);
}

Error store_error(const Error& error) { return make_error(Errc::store_failure, error.message); }

}  // namespace

InvoiceService::InvoiceService(InvoiceStore& store, ChainBackend& chain, EventBus& events, const Clock& clock,
                               ServiceConfig config)
    : store_(store), chain_(chain), events_(events), clock_(clock), config_(std::move(config)) {}

std::mutex& InvoiceService::pay_lock(const InvoiceId& id) { return pay_locks_[id.bytes[0] % pay_locks_.size()]; }

Result<Invoice> build_invoice(const CreateInvoiceRequest& request, const ServiceConfig& config, Timestamp now) {
    if (request.outputs.empty()) return field_error("outputs", "at least one output is required");
    if (request.outputs.size() > config.max_outputs)
        return field_error("outputs", std::to_string(request.outputs.size()) + " outputs exceed the limit of " +
                                          std::to_string(config.max_outputs));
    if (request.memo.size() > config.max_memo_bytes)
        return field_error("memo", "longer than " + std::to_string(config.max_memo_bytes) + " bytes");
    if (request.merchant_data.size() > config.max_merchant_data_bytes)
        return field_error("merchant_data", "longer than " + std::to_string(config.max_merchant_data_bytes) +
                                                " bytes");
    if (!is_json_value(request.merchant_data)) return field_error("merchant_data", "not a single valid JSON value");
    const double fee_rate = request.required_fee_per_byte.value_or(config.default_fee_per_byte);
    if (!std::isfinite(fee_rate) || fee_rate < 0 || fee_rate > 1000)
        return field_error("required_fee_per_byte", "must be between 0 and 1000 sat/byte");
    const std::chrono::seconds lifetime = request.lifetime.value_or(config.invoice_lifetime);
    if (lifetime.count() <= 0 || lifetime > config.max_invoice_lifetime)
        return field_error("expires_in", "must be between 1 and " +
                                             std::to_string(config.max_invoice_lifetime.count()) + " seconds");

    Invoice invoice;
    invoice.id = InvoiceId::generate();
    invoice.network = config.network;
    invoice.required_fee_per_byte = fee_rate;
    invoice.memo = request.memo;
    invoice.time = now;
    invoice.expires = invoice.time + lifetime;
    invoice.merchant_data = request.merchant_data;

    std::int64_t total = 0;
    for (std::size_t i = 0; i < request.outputs.size(); ++i) {
        const OutputRequest& wanted = request.outputs[i];
        const std::string field = "outputs[" + std::to_string(i) + "]";
        auto address = decode_address(wanted.address, config.network);
        if (!address) return field_error(field + ".address", address.error().message);
        if (wanted.description.size() > config.max_description_bytes)
            return field_error(field + ".description",
                               "longer than " + std::to_string(config.max_description_bytes) + " bytes");
        if (wanted.token) {
            if (Status s = check_token_data(*wanted.token, config.verify.rules.max_commitment_length); !s)
                return field_error(field + ".token", s.error().message);
            if (!address->token_aware)
                return field_error(field + ".address", "tokens can only be sent to a token-aware address (the z... "
                                                       "or r... CashAddr form); " + wanted.address + " is not one");
        }
        InvoiceOutput output;
        output.amount = wanted.amount;
        output.address = encode_cashaddr(*address);
        output.locking_bytecode = locking_bytecode(*address);
        output.description = wanted.description;
        output.token = wanted.token;

        const Output as_paid{wanted.amount, output.locking_bytecode, wanted.token};
        if (wanted.amount > max_money)
            return field_error(field + ".amount", std::to_string(wanted.amount) + " sat is more than 21,000,000 BCH");
        if (wanted.amount < dust_threshold(as_paid))
            return field_error(field + ".amount", std::to_string(wanted.amount) +
                                                      " sat is below the dust threshold of " +
                                                      std::to_string(dust_threshold(as_paid)) + " sat for this output");
        total += wanted.amount;
        if (total > max_money) return field_error("outputs", "the amounts add up to more than 21,000,000 BCH");
        invoice.outputs.push_back(std::move(output));
    }
    return invoice;
}

Result<Invoice> InvoiceService::create(const CreateInvoiceRequest& request) {
    auto invoice = build_invoice(request, config_, clock_.now());
    if (!invoice) return invoice;
    if (Status s = store_.insert(*invoice); !s) return store_error(s.error());
    return invoice;
}

Result<Invoice> InvoiceService::get(const InvoiceId& id) {
    auto found = store_.find(id);
    if (!found) return store_error(found.error());
    if (!found->has_value()) return make_error(Errc::invoice_not_found, "no invoice " + id.hex());
    return std::move(**found);
}

Result<Transaction> InvoiceService::decode_payment(std::string_view raw_tx_hex, Bytes& raw) const {
    if (raw_tx_hex.size() > 2 * max_transaction_size)
        return make_error(Errc::tx_oversize, "raw_tx_hex: " + std::to_string(raw_tx_hex.size() / 2) +
                                                 " bytes exceed the 1,000,000-byte maximum");
    auto bytes = from_hex(raw_tx_hex);
    if (!bytes) return make_error(bytes.error().code, "raw_tx_hex: " + bytes.error().message, bytes.error().offset);
    raw = std::move(*bytes);
    auto tx = decode_transaction(raw);
    if (!tx) return make_error(tx.error().code, "raw_tx_hex: " + tx.error().describe(), tx.error().offset);
    return tx;
}

Result<Verdict> InvoiceService::check(const Invoice& invoice, const Transaction& tx, std::size_t size) {
    auto spent = chain_.spent_outputs(tx);
    const std::vector<Output>* coins = spent.ok() && spent->has_value() ? &**spent : nullptr;
    Verdict verdict = verify_payment(invoice, tx, size, coins, config_.verify);
    if (!verdict.ok()) return make_error(verdict.code, verdict.message);
    if (!spent.ok()) verdict.message += " (the node could not be asked: " + spent.error().message + ")";
    return verdict;
}

Result<Verdict> InvoiceService::verify(const InvoiceId& id, std::string_view raw_tx_hex) {
    auto invoice = get(id);
    if (!invoice) return std::move(invoice).error();
    if (invoice->payment)
        return make_error(Errc::invoice_already_paid, "invoice " + id.hex() + " is already paid by " +
                                                          invoice->payment->txid.hex());
    if (clock_.now() >= invoice->expires)
        return make_error(Errc::invoice_expired, "invoice expired at " + to_rfc3339(invoice->expires));
    Bytes raw;
    auto tx = decode_payment(raw_tx_hex, raw);
    if (!tx) return std::move(tx).error();
    return check(*invoice, *tx, raw.size());
}

Result<Invoice> InvoiceService::pay(const InvoiceId& id, const PayRequest& request) {
    if (request.memo.size() > config_.max_memo_bytes)
        return field_error("memo", "longer than " + std::to_string(config_.max_memo_bytes) + " bytes");
    for (std::size_t i = 0; i < request.refund_to.size(); ++i) {
        const std::string field = "refund_to[" + std::to_string(i) + "]";
        if (auto a = decode_address(request.refund_to[i].address, config_.network); !a)
            return field_error(field + ".address", a.error().message);
        if (request.refund_to[i].amount < 0 || request.refund_to[i].amount > max_money)
            return field_error(field + ".amount", "must be between 0 and 2100000000000000 sat");
    }
    Bytes raw;
    auto tx = decode_payment(request.raw_tx_hex, raw);
    if (!tx) return std::move(tx).error();
    const TxId txid = transaction_id(raw);

    std::lock_guard serialize(pay_lock(id));
    auto invoice = get(id);
    if (!invoice) return std::move(invoice).error();
    // A payment is final: the same transaction again is a retry and succeeds, even after expiry; another fails.
    if (invoice->payment) {
        if (invoice->payment->txid == txid) return invoice;
        return make_error(Errc::invoice_already_paid, "invoice " + id.hex() + " is already paid by " +
                                                          invoice->payment->txid.hex());
    }
    if (clock_.now() >= invoice->expires)
        return make_error(Errc::invoice_expired, "invoice expired at " + to_rfc3339(invoice->expires));
    auto verdict = check(*invoice, *tx, raw.size());
    if (!verdict) return std::move(verdict).error();

    auto other = store_.find_by_txid(txid);
    if (!other) return store_error(other.error());
    if (other->has_value())
        return make_error(Errc::payment_tx_used, "transaction " + txid.hex() + " already paid invoice " +
                                                     (*other)->id.hex());

    if (Status s = chain_.broadcast(raw, txid); !s) return s.error();

    Payment payment;
    payment.txid = txid;
    payment.memo = request.memo;
    payment.paid_at = clock_.now();
    payment.refund_to = request.refund_to;
    payment.raw_transaction = std::move(raw);
    auto outcome = store_.record_payment(id, payment);
    if (!outcome) return store_error(outcome.error());
    switch (*outcome) {
    case RecordOutcome::recorded: break;
    case RecordOutcome::already_paid_same_tx: return get(id);  // another process won with this transaction
    case RecordOutcome::already_paid_other_tx:
        return make_error(Errc::invoice_already_paid, "invoice " + id.hex() + " was paid by another transaction");
    case RecordOutcome::tx_used_elsewhere:
        return make_error(Errc::payment_tx_used, "transaction " + txid.hex() + " already paid another invoice");
    case RecordOutcome::not_found: return make_error(Errc::invoice_not_found, "no invoice " + id.hex());
    }

    invoice->payment = std::move(payment);
    events_.publish(Event{EventType::payment_received, *invoice});
    return invoice;
}

Result<std::size_t> InvoiceService::announce_expired(std::size_t limit) {
    auto expired = store_.claim_expired(clock_.now(), limit);
    if (!expired) return store_error(expired.error());
    for (Invoice& invoice : *expired) events_.publish(Event{EventType::invoice_expired, std::move(invoice)});
    return expired->size();
}

}  // namespace jpp
