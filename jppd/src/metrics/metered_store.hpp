// A store that times every operation of the store it wraps into jppd_store_operation_duration_seconds, labelled
// by the operation's name. It adds nothing else: the wrapped store answers.
#pragma once

#include <jpp/store.hpp>

#include "metrics/metrics.hpp"

namespace jppd::metrics {

// Runs `call`, then records how long it took as `operation`.
template <typename Call>
auto timed(const char* operation, Call&& call) {
    const Timer timer;
    auto result = call();
    store_call(operation, timer.elapsed());
    return result;
}

class MeteredStore final : public jpp::InvoiceStore {
public:
    explicit MeteredStore(jpp::InvoiceStore& inner) : inner_(inner) {}

    jpp::Status insert(const jpp::Invoice& invoice) override {
        return timed("insert", [&] { return inner_.insert(invoice); });
    }
    jpp::Result<jpp::IdempotentInsert> insert_idempotent(const jpp::Invoice& invoice,
                                                         const jpp::IdempotencyKey& key) override {
        return timed("insert_idempotent", [&] { return inner_.insert_idempotent(invoice, key); });
    }
    jpp::Result<std::optional<jpp::Invoice>> find(const jpp::InvoiceId& id) override {
        return timed("find", [&] { return inner_.find(id); });
    }
    jpp::Result<std::optional<jpp::Invoice>> find_by_txid(const jpp::TxId& txid) override {
        return timed("find_by_txid", [&] { return inner_.find_by_txid(txid); });
    }
    jpp::Result<jpp::RecordOutcome> record_payment(const jpp::InvoiceId& id, const jpp::Payment& payment) override {
        return timed("record_payment", [&] { return inner_.record_payment(id, payment); });
    }
    jpp::Result<jpp::IntentOutcome> open_intent(const jpp::BroadcastIntent& intent) override {
        return timed("open_intent", [&] { return inner_.open_intent(intent); });
    }
    jpp::Result<std::optional<jpp::BroadcastIntent>> find_intent(const jpp::InvoiceId& id) override {
        return timed("find_intent", [&] { return inner_.find_intent(id); });
    }
    jpp::Status close_intent(const jpp::InvoiceId& id, const jpp::TxId& txid) override {
        return timed("close_intent", [&] { return inner_.close_intent(id, txid); });
    }
    jpp::Result<std::vector<jpp::BroadcastIntent>> open_intents(jpp::Timestamp before, std::size_t limit) override {
        return timed("open_intents", [&] { return inner_.open_intents(before, limit); });
    }
    jpp::Result<std::vector<jpp::Invoice>> claim_expired(jpp::Timestamp now, std::size_t limit) override {
        return timed("claim_expired", [&] { return inner_.claim_expired(now, limit); });
    }
    jpp::Result<std::size_t> purge_expired(jpp::Timestamp before, std::size_t limit) override {
        return timed("purge_expired", [&] { return inner_.purge_expired(before, limit); });
    }
    jpp::Result<jpp::CancelOutcome> cancel_invoice(const jpp::InvoiceId& id, std::int64_t merchant_id,
                                                   jpp::Timestamp now) override {
        return timed("cancel_invoice", [&] { return inner_.cancel_invoice(id, merchant_id, now); });
    }
    jpp::Result<std::vector<jpp::Invoice>> list_invoices(const jpp::InvoiceQuery& query) override {
        return timed("list_invoices", [&] { return inner_.list_invoices(query); });
    }
    jpp::Result<std::vector<jpp::StoredEvent>> events_after(std::int64_t seq, std::size_t limit) override {
        return timed("events_after", [&] { return inner_.events_after(seq, limit); });
    }
    jpp::Result<std::int64_t> last_event_seq() override {
        return timed("last_event_seq", [&] { return inner_.last_event_seq(); });
    }
    jpp::Result<std::optional<jpp::StoredEvent>> find_event(const std::string& id) override {
        return timed("find_event", [&] { return inner_.find_event(id); });
    }
    jpp::Status add_webhook(const jpp::WebhookEndpoint& endpoint) override {
        return timed("add_webhook", [&] { return inner_.add_webhook(endpoint); });
    }
    jpp::Result<std::vector<jpp::WebhookEndpoint>> webhooks(std::optional<std::int64_t> merchant_id) override {
        return timed("webhooks", [&] { return inner_.webhooks(merchant_id); });
    }
    jpp::Result<std::optional<jpp::WebhookEndpoint>> find_webhook(const std::string& id) override {
        return timed("find_webhook", [&] { return inner_.find_webhook(id); });
    }
    jpp::Result<bool> remove_webhook(const std::string& id) override {
        return timed("remove_webhook", [&] { return inner_.remove_webhook(id); });
    }
    jpp::Result<std::vector<jpp::DueDelivery>> take_due_deliveries(jpp::Timestamp now, jpp::Timestamp lease_until,
                                                                   std::size_t limit) override {
        return timed("take_due_deliveries", [&] { return inner_.take_due_deliveries(now, lease_until, limit); });
    }
    jpp::Status record_attempt(const std::string& delivery_id, const jpp::DeliveryAttempt& attempt,
                               jpp::DeliveryState state, jpp::Timestamp next_attempt) override {
        return timed("record_attempt",
                     [&] { return inner_.record_attempt(delivery_id, attempt, state, next_attempt); });
    }
    jpp::Result<std::vector<jpp::WebhookDelivery>> deliveries(const std::string& endpoint_id,
                                                              std::size_t limit) override {
        return timed("deliveries", [&] { return inner_.deliveries(endpoint_id, limit); });
    }
    jpp::Result<std::size_t> delivery_backlog() override {
        return timed("delivery_backlog", [&] { return inner_.delivery_backlog(); });
    }
    jpp::Result<std::optional<jpp::WebhookDelivery>> redeliver(const std::string& event_id,
                                                               const std::string& endpoint_id,
                                                               jpp::Timestamp now) override {
        return timed("redeliver", [&] { return inner_.redeliver(event_id, endpoint_id, now); });
    }
    jpp::Result<jpp::Merchant> add_merchant(const std::string& name, jpp::Timestamp now) override {
        return timed("add_merchant", [&] { return inner_.add_merchant(name, now); });
    }
    jpp::Result<std::vector<jpp::Merchant>> merchants() override {
        return timed("merchants", [&] { return inner_.merchants(); });
    }
    jpp::Status add_api_key(const jpp::ApiKey& key) override {
        return timed("add_api_key", [&] { return inner_.add_api_key(key); });
    }
    jpp::Result<std::optional<jpp::ApiKey>> find_api_key(const std::string& id) override {
        return timed("find_api_key", [&] { return inner_.find_api_key(id); });
    }
    jpp::Result<std::vector<jpp::ApiKey>> api_keys() override {
        return timed("api_keys", [&] { return inner_.api_keys(); });
    }
    jpp::Result<bool> revoke_api_key(const std::string& id, jpp::Timestamp now) override {
        return timed("revoke_api_key", [&] { return inner_.revoke_api_key(id, now); });
    }
    jpp::Result<std::vector<jpp::FollowedPayment>> followed_payments(std::size_t limit) override {
        return timed("followed_payments", [&] { return inner_.followed_payments(limit); });
    }
    jpp::Result<std::vector<jpp::EventType>> update_payment_chain(const jpp::InvoiceId& id,
                                                                  const jpp::PaymentChain& chain,
                                                                  bool follow) override {
        return timed("update_payment_chain", [&] { return inner_.update_payment_chain(id, chain, follow); });
    }
    jpp::Result<std::vector<jpp::AddressClaim>> address_claims(jpp::Timestamp now, std::size_t limit) override {
        return timed("address_claims", [&] { return inner_.address_claims(now, limit); });
    }
    jpp::Result<bool> record_underpayment(const jpp::InvoiceId& id, const jpp::TxId& txid, std::int64_t amount,
                                          jpp::Timestamp at) override {
        return timed("record_underpayment", [&] { return inner_.record_underpayment(id, txid, amount, at); });
    }
    jpp::Result<std::vector<jpp::HandledBlock>> handled_blocks(std::size_t limit) override {
        return timed("handled_blocks", [&] { return inner_.handled_blocks(limit); });
    }
    jpp::Status handle_block(const jpp::HandledBlock& block) override {
        return timed("handle_block", [&] { return inner_.handle_block(block); });
    }
    jpp::Result<std::unique_ptr<jpp::ChangeListener>> listen() override { return inner_.listen(); }
    std::unique_ptr<jpp::JobLock> job_lock(std::string_view job) override { return inner_.job_lock(job); }
    jpp::Status ping() override {
        return timed("ping", [&] { return inner_.ping(); });
    }

private:
    jpp::InvoiceStore& inner_;
};

}  // namespace jppd::metrics
