#include "ws/hub.hpp"

#include <algorithm>

#include "log.hpp"
#include "ws/frame.hpp"
#include "ws/session.hpp"

namespace jppd::ws {

Hub::Hub(HubOptions options, jpp::InvoiceService& service, jpp::EventBus& events,
         std::function<jpp::JsonContext()> json_context)
    : options_(options), service_(service), events_(events), json_context_(std::move(json_context)) {
    subscription_ = events_.subscribe_all([this](const jpp::Event& event) { publish(event); });
}

Hub::~Hub() { events_.unsubscribe(subscription_); }

std::shared_ptr<Hub::Slot> Hub::reserve(const asio::ip::address& client, Refusal& why) {
    const http::ClientKey key = http::client_key(client);
    std::lock_guard lock(slots_mutex_);
    if (sessions_.load() >= options_.max_sessions) {
        why = Refusal::server_full;
        return nullptr;
    }
    const auto it = slots_by_client_.find(key);
    if (options_.max_sessions_per_client != 0 && it != slots_by_client_.end() &&
        it->second >= options_.max_sessions_per_client) {
        why = Refusal::client_full;
        return nullptr;
    }
    ++sessions_;
    ++slots_by_client_[key];
    return std::shared_ptr<Slot>(new Slot(*this, key));
}

void Hub::release(const http::ClientKey& client) {
    std::lock_guard lock(slots_mutex_);
    --sessions_;
    const auto it = slots_by_client_.find(client);
    if (it != slots_by_client_.end() && --it->second == 0) slots_by_client_.erase(it);
}

Hub::Slot::~Slot() { hub_.release(client_); }

std::shared_ptr<http::Stream> Hub::attach(http::Transport transport, const jpp::InvoiceId& invoice,
                                          std::string already_read, std::shared_ptr<Slot> slot, bool all_events) {
    return std::make_shared<Session>(*this, std::move(transport), invoice, std::move(already_read), std::move(slot),
                                     all_events);
}

void Hub::join(const std::shared_ptr<Session>& session) {
    std::lock_guard lock(mutex_);
    watchers_[session->invoice()].push_back(Watcher{session.get(), session});
}

void Hub::leave(Session* session) {
    std::lock_guard lock(mutex_);
    const auto it = watchers_.find(session->invoice());
    if (it == watchers_.end()) return;
    auto& list = it->second;
    const auto found = std::find_if(list.begin(), list.end(), [&](const Watcher& w) { return w.session == session; });
    if (found == list.end()) return;
    *found = std::move(list.back());
    list.pop_back();
    if (list.empty()) watchers_.erase(it);
}

bool Hub::watched(const jpp::InvoiceId& invoice) const {
    std::lock_guard lock(mutex_);
    return watchers_.contains(invoice);
}

std::shared_ptr<const std::string> Hub::current_state(const jpp::InvoiceId& invoice, jpp::EventType& type) {
    auto stored = service_.get(invoice);
    if (!stored) {
        if (stored.error().code != jpp::Errc::invoice_not_found)
            log_warn("cannot tell a new watcher of " + invoice.hex() + " its invoice's state: " +
                     stored.error().describe());
        return nullptr;
    }
    switch (stored->status_at(json_context_().now)) {
        // A confirmed invoice is told as the seed's payment message (with its current state); a reversed one
        // only to the watchers who asked for every event.
        case jpp::InvoiceStatus::paid:
        case jpp::InvoiceStatus::confirmed: type = jpp::EventType::payment_received; break;
        case jpp::InvoiceStatus::reversed: type = jpp::EventType::payment_reversed; break;
        case jpp::InvoiceStatus::expired: type = jpp::EventType::invoice_expired; break;
        case jpp::InvoiceStatus::cancelled: type = jpp::EventType::invoice_cancelled; break;
        case jpp::InvoiceStatus::open: return nullptr;
    }
    return encode(jpp::Event{type, std::move(*stored)});
}

std::shared_ptr<const std::string> Hub::encode(const jpp::Event& event) const {
    return std::make_shared<const std::string>(encode_frame(Opcode::text, jpp::event_to_json(event, json_context_())));
}

void Hub::publish(const jpp::Event& event) {
    std::vector<std::shared_ptr<Session>> targets;
    {
        std::lock_guard lock(mutex_);
        const auto it = watchers_.find(event.invoice.id);
        if (it == watchers_.end()) return;
        targets.reserve(it->second.size());
        for (const auto& w : it->second)
            if (auto s = w.weak.lock()) targets.push_back(std::move(s));
    }
    const auto frame = encode(event);
    const std::size_t n = targets.size();
    // One hand-off per I/O thread rather than one per watcher: each thread gets the list of its own watchers and
    // enters their strands directly, so a payment wakes each thread once.
    std::map<asio::execution_context*, std::vector<std::shared_ptr<Session>>> by_thread;
    for (auto& session : targets)
        by_thread[&asio::query(session->executor(), asio::execution::context)].push_back(std::move(session));
    for (auto& [context, sessions] : by_thread) {
        // Every socket lives on one of the server's io_contexts.
        auto& io = static_cast<asio::io_context&>(*context);
        asio::post(io, [sessions = std::move(sessions), frame, type = event.type] {
            for (const auto& session : sessions) session->deliver(type, frame);
        });
    }
    log_info(std::string(jpp::event_type_name(event.type)) + " for " + event.invoice.id.hex() + " sent to " +
             std::to_string(n) + " watcher(s)");
}

}  // namespace jppd::ws
