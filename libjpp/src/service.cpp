#include "jpp/service.hpp"

#include <cmath>

#include "jpp/hash.hpp"
#include "jpp/json.hpp"

namespace jpp {
namespace {

Error field_error(const std::string& field, const std::string& message) {
    return make_error(Errc::invoice_invalid, field + ": " + message);
}

Error store_error(const Error& error) { return make_error(Errc::store_failure, error.message); }

Error cancelled_error(const Invoice& invoice) {
    return make_error(Errc::invoice_cancelled, "invoice " + invoice.id.hex() + " was cancelled by the merchant at " +
                                                   to_rfc3339(*invoice.cancelled));
}

// A digest of everything a creation request asks for, each field length-prefixed so no two requests share an
// encoding: what tells a repeat of a request keyed by its order id from another request with that order id.
std::array<std::uint8_t, 32> request_hash(const CreateInvoiceRequest& r) {
    std::string text;
    const auto field = [&](std::string_view value) {
        text += std::to_string(value.size());
        text += ':';
        text += value;
    };
    const auto number = [&](auto value) { field(std::to_string(value)); };
    number(r.outputs.size());
    for (const OutputRequest& o : r.outputs) {
        number(o.amount);
        field(o.address);
        field(o.description);
        field(o.token ? to_hex(o.token->category) : "-");
        number(o.token ? o.token->amount : -1);
        number(o.token && o.token->nft ? static_cast<int>(o.token->nft->capability) : -1);
        field(o.token && o.token->nft ? to_hex(o.token->nft->commitment) : "-");
    }
    field(r.memo);
    number(r.lifetime ? r.lifetime->count() : -1);
    field(r.required_fee_per_byte ? std::to_string(*r.required_fee_per_byte) : "-");
    number(r.required_confirmations.value_or(-1));
    field(r.merchant_data);
    field(r.metadata);
    field(r.order_id.value_or(""));
    return sha256(ByteView(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

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
    if (request.metadata.size() > config.max_metadata_bytes)
        return field_error("metadata", "longer than " + std::to_string(config.max_metadata_bytes) + " bytes");
    if (!is_json_value(request.metadata)) return field_error("metadata", "not a single valid JSON value");
    if (request.order_id) {
        if (request.order_id->empty() || request.order_id->size() > config.max_order_id_bytes)
            return field_error("order_id", "must be 1 to " + std::to_string(config.max_order_id_bytes) + " bytes");
        for (const char c : *request.order_id)
            if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
                return field_error("order_id", "must not contain control characters");
    }
    const double fee_rate = request.required_fee_per_byte.value_or(config.default_fee_per_byte);
    if (!std::isfinite(fee_rate) || fee_rate < 0 || fee_rate > 1000)
        return field_error("required_fee_per_byte", "must be between 0 and 1000 sat/byte");
    const std::int64_t confirmations = request.required_confirmations.value_or(config.default_confirmations);
    if (confirmations < 0 || confirmations > config.max_confirmations)
        return field_error("required_confirmations", "must be between 0 and " +
                                                         std::to_string(config.max_confirmations));
    const std::chrono::seconds lifetime = request.lifetime.value_or(config.invoice_lifetime);
    if (lifetime.count() <= 0 || lifetime > config.max_invoice_lifetime)
        return field_error("expires_in", "must be between 1 and " +
                                             std::to_string(config.max_invoice_lifetime.count()) + " seconds");
    // The expiry must be a time the clock can hold.
    if (now.time_since_epoch().count() > Timestamp::max().time_since_epoch().count() - lifetime.count())
        return make_error(Errc::invalid_argument, "the clock reads a time too far in the future for an invoice");

    Invoice invoice;
    invoice.id = InvoiceId::generate();
    invoice.network = config.network;
    invoice.required_fee_per_byte = fee_rate;
    invoice.required_confirmations = static_cast<std::uint32_t>(confirmations);
    invoice.address_payable =
        config.address_payments && request.outputs.size() == 1 && !request.outputs.front().token;
    invoice.memo = request.memo;
    invoice.time = now;
    invoice.expires = invoice.time + lifetime;
    invoice.merchant_data = request.merchant_data;
    invoice.merchant_id = request.merchant_id;
    invoice.metadata = request.metadata;
    invoice.order_id = request.order_id;

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

// An address-payable invoice records the node's height now; when the node cannot tell, the invoice is payable
// through the protocols only (never matched against blocks it may not postdate).
void InvoiceService::note_chain_height(Invoice& invoice) {
    if (!invoice.address_payable) return;
    Result<std::int64_t> height = make_error(Errc::chain_unavailable, "not asked");
    try {
        height = chain_.tip_height();
    } catch (const std::exception& e) {
        height = make_error(Errc::chain_unavailable, e.what());
    }
    if (height) invoice.created_height = *height;
    else invoice.address_payable = false;
}

Result<Invoice> InvoiceService::create(const CreateInvoiceRequest& request) {
    // Dated with the time rounded up, so that it never expires before the lifetime asked for.
    auto invoice = build_invoice(request, config_, clock_.now_rounded_up());
    if (!invoice) return invoice;
    note_chain_height(*invoice);
    Status inserted = store_.insert(*invoice);
    if (!inserted && inserted.error().code == Errc::address_claimed) {
        invoice->address_payable = false;  // another invoice is payable there: this one through the protocols only
        inserted = store_.insert(*invoice);
    }
    if (!inserted)
        return inserted.error().code == Errc::order_id_conflict ? inserted.error() : store_error(inserted.error());
    announce(Event{EventType::invoice_created, *invoice});
    return invoice;
}

Result<InvoiceService::Creation> InvoiceService::create_idempotent(const CreateInvoiceRequest& request,
                                                                  std::optional<IdempotencyKey> key) {
    const bool by_order_id = !key && request.order_id && request.merchant_id;
    if (!key && !by_order_id) {
        auto invoice = create(request);
        if (!invoice) return std::move(invoice).error();
        return Creation{std::move(*invoice), false};
    }
    auto invoice = build_invoice(request, config_, clock_.now_rounded_up());
    if (!invoice) return std::move(invoice).error();
    note_chain_height(*invoice);
    if (by_order_id) {
        // Keyed by the order id, in a space no client key can name (those are visible ASCII, no spaces).
        key = IdempotencyKey{*request.merchant_id, " order_id " + *request.order_id, {}};
        key->request_hash = request_hash(request);
    }
    auto inserted = store_.insert_idempotent(*invoice, *key);
    if (inserted && inserted->address_claimed) {
        invoice->address_payable = false;  // as in create()
        inserted = store_.insert_idempotent(*invoice, *key);
    }
    if (!inserted) return store_error(inserted.error());
    if (inserted->inserted) {
        announce(Event{EventType::invoice_created, *invoice});
        return Creation{std::move(*invoice), false};
    }
    if (inserted->order_id_taken || (by_order_id && !inserted->same_request))
        return make_error(Errc::order_id_conflict, "an invoice with order_id '" + *request.order_id +
                                                       "' exists already, made by another request");
    if (!inserted->same_request)
        return make_error(Errc::idempotency_conflict,
                          "this idempotency key was used before with another request; use a new key for a new invoice");
    auto existing = get(inserted->existing);
    if (!existing) return std::move(existing).error();
    return Creation{std::move(*existing), true};
}

Result<Invoice> InvoiceService::get(const InvoiceId& id) {
    auto found = store_.find(id);
    if (!found) return store_error(found.error());
    if (!found->has_value()) return make_error(Errc::invoice_not_found, "no invoice " + id.hex());
    return std::move(**found);
}

Result<Invoice> InvoiceService::get_owned(const InvoiceId& id, std::int64_t merchant_id) {
    auto invoice = get(id);
    if (invoice && invoice->merchant_id != merchant_id)
        return make_error(Errc::invoice_not_found, "no invoice " + id.hex());
    return invoice;
}

Result<std::vector<Invoice>> InvoiceService::list(InvoiceQuery query) {
    query.now = clock_.now();
    query.limit = std::min<std::size_t>(query.limit, 1000);
    auto page = store_.list_invoices(query);
    if (!page) return store_error(page.error());
    return page;
}

Result<Invoice> InvoiceService::cancel(const InvoiceId& id, std::int64_t merchant_id) {
    auto outcome = store_.cancel_invoice(id, merchant_id, clock_.now());
    if (!outcome) return store_error(outcome.error());
    const auto refused = [&](const std::string& why) {
        return make_error(Errc::invoice_not_cancellable, "invoice " + id.hex() + " " + why);
    };
    switch (*outcome) {
        case CancelOutcome::cancelled:
        case CancelOutcome::already_cancelled: break;
        case CancelOutcome::paid: return refused("is paid");
        case CancelOutcome::expired: return refused("has expired");
        case CancelOutcome::payment_in_progress: return refused("has a payment being broadcast");
        case CancelOutcome::not_found: return make_error(Errc::invoice_not_found, "no invoice " + id.hex());
    }
    auto invoice = get(id);
    if (!invoice) return invoice;
    if (*outcome == CancelOutcome::cancelled) announce(Event{EventType::invoice_cancelled, *invoice});
    return invoice;
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

// Cheap checks first (they need nothing but the bytes), then the questions to the chain. An error from the chain
// is an error for the payment: only coins the chain does not know skip the input checks, and the verdict says so.
Result<Verdict> InvoiceService::check(const Invoice& invoice, const Transaction& tx, std::size_t size) {
    Verdict cheap = verify_payment(invoice, tx, size, nullptr, config_.verify);
    if (!cheap.ok()) return make_error(cheap.code, cheap.message);
    if (config_.max_input_lookups > 0 && tx.inputs.size() > config_.max_input_lookups)
        return make_error(Errc::payment_too_many_inputs,
                          "the transaction has " + std::to_string(tx.inputs.size()) + " inputs; this server checks "
                          "at most " + std::to_string(config_.max_input_lookups));
    Result<std::optional<std::vector<Output>>> spent = std::optional<std::vector<Output>>{};
    try {
        spent = chain_.spent_outputs(tx);
    } catch (const std::exception& e) {
        return make_error(Errc::chain_unavailable, std::string("the chain backend failed: ") + e.what());
    } catch (...) {
        return make_error(Errc::chain_unavailable, "the chain backend failed");
    }
    if (!spent) {
        Error error = std::move(spent).error();
        if (error.code != Errc::chain_unavailable)
            error = make_error(Errc::chain_unavailable, "the spent outputs could not be looked up: " + error.message);
        return error;
    }
    if (!spent->has_value()) return cheap;  // unknown coins: inputs not checked, as the message says
    if ((*spent)->size() != tx.inputs.size())
        return make_error(Errc::chain_unavailable, "the chain backend answered " + std::to_string((*spent)->size()) +
                                                       " spent outputs for " + std::to_string(tx.inputs.size()) +
                                                       " inputs");
    Verdict verdict = verify_payment(invoice, tx, size, &**spent, config_.verify);
    if (!verdict.ok()) return make_error(verdict.code, verdict.message);
    return verdict;
}

Result<std::optional<BroadcastIntent>> InvoiceService::open_intent_of(const InvoiceId& id) {
    auto intent = store_.find_intent(id);
    if (!intent) return store_error(intent.error());
    return intent;
}

Result<Verdict> InvoiceService::verify(const InvoiceId& id, std::string_view raw_tx_hex) {
    auto invoice = get(id);
    if (!invoice) return std::move(invoice).error();
    Bytes raw;
    auto tx = decode_payment(raw_tx_hex, raw);
    if (!tx) return std::move(tx).error();
    const TxId txid = transaction_id(raw);
    // What pay() would answer: the paying transaction (or the one being broadcast) again is fine.
    const auto settled_by_it = [&](std::string message) -> Result<Verdict> {
        Verdict verdict = verify_payment(*invoice, *tx, raw.size(), nullptr, config_.verify);
        if (!verdict.ok()) return make_error(verdict.code, verdict.message);
        verdict.message = std::move(message);
        return verdict;
    };
    if (invoice->payment) {
        if (invoice->payment->txid == txid) return settled_by_it("this transaction paid the invoice");
        return make_error(Errc::invoice_already_paid, "invoice " + id.hex() + " is already paid by " +
                                                          invoice->payment->txid.hex());
    }
    auto intent = open_intent_of(id);
    if (!intent) return std::move(intent).error();
    if (intent->has_value() && (*intent)->txid == txid)
        return settled_by_it("this transaction is being broadcast for the invoice");
    if (invoice->cancelled) return cancelled_error(*invoice);
    if (clock_.now() >= invoice->expires)
        return make_error(Errc::invoice_expired, "invoice expired at " + to_rfc3339(invoice->expires));
    auto verdict = check(*invoice, *tx, raw.size());
    if (!verdict) return verdict;
    auto other = store_.find_by_txid(txid);
    if (!other) return store_error(other.error());
    if (other->has_value())
        return make_error(Errc::payment_tx_used, "transaction " + txid.hex() + " already paid another invoice");
    return verdict;
}

// What a payment ends with: the paid invoice, and whether this call recorded it (and so announces it).
struct InvoiceService::Settled {
    Invoice invoice;
    bool recorded = false;
};

Result<Invoice> InvoiceService::pay(const InvoiceId& id, const PayRequest& request) {
    if (request.memo.size() > config_.max_memo_bytes)
        return field_error("memo", "longer than " + std::to_string(config_.max_memo_bytes) + " bytes");
    if (request.refund_to.size() > config_.max_refund_outputs)
        return field_error("refund_to", std::to_string(request.refund_to.size()) + " outputs exceed the limit of " +
                                            std::to_string(config_.max_refund_outputs));
    for (std::size_t i = 0; i < request.refund_to.size(); ++i) {
        const std::string field = "refund_to[" + std::to_string(i) + "]";
        if (request.refund_to[i].address.size() > config_.max_address_bytes)
            return field_error(field + ".address", "longer than " + std::to_string(config_.max_address_bytes) +
                                                       " bytes");
        if (auto a = decode_address(request.refund_to[i].address, config_.network); !a)
            return field_error(field + ".address", a.error().message);
        if (request.refund_to[i].amount < 0 || request.refund_to[i].amount > max_money)
            return field_error(field + ".amount", "must be between 0 and 2100000000000000 sat");
    }
    Bytes raw;
    auto tx = decode_payment(request.raw_tx_hex, raw);
    if (!tx) return std::move(tx).error();

    auto settled = settle(id, *tx, std::move(raw), request);  // holds the invoice's lock while it runs
    if (!settled) return std::move(settled).error();
    if (settled->recorded) announce(Event{EventType::payment_received, settled->invoice});
    return std::move(settled->invoice);
}

Result<InvoiceService::Settled> InvoiceService::settle(const InvoiceId& id, const Transaction& tx, Bytes raw,
                                                        const PayRequest& request) {
    const TxId txid = transaction_id(raw);
    std::lock_guard serialize(pay_lock(id));
    auto invoice = get(id);
    if (!invoice) return std::move(invoice).error();
    // A payment is final: the same transaction again is a retry and succeeds, even after expiry; another fails.
    if (invoice->payment) {
        if (invoice->payment->txid == txid) return Settled{std::move(*invoice), false};
        return make_error(Errc::invoice_already_paid, "invoice " + id.hex() + " is already paid by " +
                                                          invoice->payment->txid.hex());
    }
    auto open = open_intent_of(id);
    if (!open) return std::move(open).error();
    if (open->has_value()) {
        // This server began to broadcast a transaction for the invoice and does not know how that ended.
        if ((*open)->txid == txid) return broadcast_and_record(std::move(*invoice), **open, true);
        return make_error(Errc::payment_in_progress,
                          "another transaction for this invoice is being broadcast; retry in a minute");
    }
    if (invoice->cancelled) return cancelled_error(*invoice);
    if (clock_.now() >= invoice->expires)
        return make_error(Errc::invoice_expired, "invoice expired at " + to_rfc3339(invoice->expires));
    auto verdict = check(*invoice, tx, raw.size());
    if (!verdict) return std::move(verdict).error();

    BroadcastIntent intent{id, txid, std::move(raw), request.memo, request.refund_to, clock_.now()};
    auto opened = store_.open_intent(intent);
    if (!opened) return store_error(opened.error());
    switch (*opened) {
        case IntentOutcome::opened: return broadcast_and_record(std::move(*invoice), intent, false);
        case IntentOutcome::already_open: return broadcast_and_record(std::move(*invoice), intent, true);
        case IntentOutcome::invoice_busy:
            return make_error(Errc::payment_in_progress,
                              "another transaction for this invoice is being broadcast; retry in a minute");
        case IntentOutcome::tx_used_elsewhere:
            return make_error(Errc::payment_tx_used, "transaction " + txid.hex() + " already paid another invoice");
        case IntentOutcome::invoice_paid: {
            auto now_paid = get(id);  // another process recorded a payment since the read above
            if (!now_paid) return std::move(now_paid).error();
            if (now_paid->payment && now_paid->payment->txid == txid) return Settled{std::move(*now_paid), false};
            return make_error(Errc::invoice_already_paid, "invoice " + id.hex() + " was paid by another transaction");
        }
        case IntentOutcome::expiry_announced: {  // expired, or cancelled since the read above
            auto closed = get(id);
            if (closed && closed->cancelled) return cancelled_error(*closed);
            return make_error(Errc::invoice_expired, "invoice expired at " + to_rfc3339(invoice->expires));
        }
        case IntentOutcome::not_found: return make_error(Errc::invoice_not_found, "no invoice " + id.hex());
    }
    return make_error(Errc::store_failure, "unknown intent outcome");
}

Result<InvoiceService::Settled> InvoiceService::broadcast_and_record(Invoice invoice, const BroadcastIntent& intent,
                                                                      bool intent_existed) {
    Status sent;
    try {
        sent = chain_.broadcast(intent.raw_transaction, intent.txid);
    } catch (const std::exception& e) {
        sent = make_error(Errc::chain_unavailable, std::string("the chain backend failed: ") + e.what());
    } catch (...) {
        sent = make_error(Errc::chain_unavailable, "the chain backend failed");
    }
    if (!sent && !(sent.error().code == Errc::tx_already_known && intent_existed)) {
        const Errc code = sent.error().code;
        // The outcome is known and nothing went out for this invoice: forget the intent. Otherwise (a timeout, an
        // unreachable node) the node may have it: the intent stays for a retry or the reconciliation.
        if (code == Errc::tx_already_known || code == Errc::broadcast_rejected)
            (void)store_.close_intent(intent.invoice_id, intent.txid);  // if this fails, reconciliation closes it
        if (code == Errc::tx_already_known)
            return make_error(Errc::payment_tx_not_new,
                              "transaction " + intent.txid.hex() + " was already on the network before it was sent "
                              "here; a payment must be sent to this server first, which broadcasts it");
        if (code == Errc::broadcast_rejected || code == Errc::chain_unavailable) return sent.error();
        return make_error(Errc::chain_unavailable, "the chain backend failed: " + sent.error().message);
    }

    Payment payment;
    payment.txid = intent.txid;
    payment.memo = intent.memo;
    payment.paid_at = clock_.now();
    payment.refund_to = intent.refund_to;
    payment.raw_transaction = intent.raw_transaction;
    auto outcome = store_.record_payment(invoice.id, payment);
    if (!outcome) return store_error(outcome.error());  // the intent stays: a retry or reconciliation records it
    if (*outcome != RecordOutcome::recorded) (void)store_.close_intent(intent.invoice_id, intent.txid);
    switch (*outcome) {
        case RecordOutcome::recorded: invoice.payment = std::move(payment); return Settled{std::move(invoice), true};
        case RecordOutcome::already_paid_same_tx: {  // another process won with this transaction
            auto paid = get(invoice.id);
            if (!paid) return std::move(paid).error();
            return Settled{std::move(*paid), false};
        }
        case RecordOutcome::already_paid_other_tx:
            return make_error(Errc::invoice_already_paid, "invoice " + invoice.id.hex() +
                                                              " was paid by another transaction");
        case RecordOutcome::tx_used_elsewhere:
            return make_error(Errc::payment_tx_used,
                              "transaction " + intent.txid.hex() + " already paid another invoice");
        case RecordOutcome::not_found: return make_error(Errc::invoice_not_found, "no invoice " + invoice.id.hex());
    }
    return make_error(Errc::store_failure, "unknown record outcome");
}

void InvoiceService::announce(Event event) noexcept {
    // The payment is recorded whatever a subscriber does; the bus reports its own subscribers' failures.
    try {
        events_.publish(event);
    } catch (...) {
    }
}

Result<std::size_t> InvoiceService::announce_expired(std::size_t limit) {
    auto expired = store_.claim_expired(clock_.now(), limit);
    if (!expired) return store_error(expired.error());
    for (Invoice& invoice : *expired) announce(Event{EventType::invoice_expired, std::move(invoice)});
    return expired->size();
}

Result<std::size_t> InvoiceService::reconcile_intents(bool everything, std::size_t limit) {
    const Timestamp now = clock_.now();
    const Timestamp before =
        everything ? Timestamp::max() : (now.time_since_epoch() > config_.intent_grace ? now - config_.intent_grace
                                                                                         : Timestamp{});
    auto intents = store_.open_intents(before, limit);
    if (!intents) return store_error(intents.error());
    std::size_t recorded = 0;
    for (const BroadcastIntent& intent : *intents) {
        Result<Settled> settled = make_error(Errc::store_failure, "not settled");
        {
            std::lock_guard serialize(pay_lock(intent.invoice_id));
            auto current = open_intent_of(intent.invoice_id);
            if (!current) return std::move(current).error();
            if (!current->has_value() || (*current)->txid != intent.txid) continue;  // settled meanwhile
            auto invoice = get(intent.invoice_id);
            if (!invoice) return std::move(invoice).error();
            settled = broadcast_and_record(std::move(*invoice), intent, true);
        }
        if (settled && settled->recorded) {
            ++recorded;
            announce(Event{EventType::payment_received, settled->invoice});
        } else if (!settled && settled.error().code == Errc::store_failure) {
            return std::move(settled).error();
        }
    }
    return recorded;
}

Result<Invoice> InvoiceService::record_address_payment(const InvoiceId& id, const TxId& txid, Bytes raw,
                                                       std::int64_t paid, Timestamp seen) {
    auto invoice = get(id);
    if (!invoice) return invoice;
    if (!invoice->address_payable || invoice->outputs.size() != 1)
        return make_error(Errc::invalid_argument, "invoice " + id.hex() + " is not payable at its address");
    const std::int64_t asked = invoice->outputs.front().amount;
    if (paid < asked) {
        if (invoice->underpayments.size() >= config_.max_underpayments) return invoice;
        auto recorded = store_.record_underpayment(id, txid, paid, seen);
        if (!recorded) return store_error(recorded.error());
        auto now = get(id);
        if (now && *recorded) announce(Event{EventType::payment_underpaid, *now});
        return now;
    }
    Payment payment;
    payment.txid = txid;
    payment.paid_at = clock_.now();
    payment.raw_transaction = std::move(raw);
    payment.source = PaymentSource::address;
    payment.overpaid_by = paid - asked;
    payment.late = seen >= invoice->expires;
    Result<RecordOutcome> outcome = make_error(Errc::store_failure, "not recorded");
    {
        std::lock_guard serialize(pay_lock(id));  // with this process's protocol payments of the invoice
        outcome = store_.record_payment(id, payment);
    }
    if (!outcome) return store_error(outcome.error());
    auto now = get(id);
    if (now && *outcome == RecordOutcome::recorded) announce(Event{EventType::payment_received, *now});
    return now;
}

Result<std::size_t> InvoiceService::purge_expired(Timestamp before, std::size_t limit) {
    auto purged = store_.purge_expired(before, limit);
    if (!purged) return store_error(purged.error());
    return purged;
}

}  // namespace jpp
