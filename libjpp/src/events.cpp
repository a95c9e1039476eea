#include "jpp/events.hpp"

#include <vector>

namespace jpp {

std::string_view event_type_name(EventType type) noexcept {
    switch (type) {
    case EventType::payment_received: return "payment_received";
    case EventType::invoice_expired: return "invoice_expired";
    }
    return "unknown";
}

void InProcessEventBus::publish(const Event& event) {
    // Snapshot the matching handlers, then call them unlocked: handlers may (un)subscribe or publish themselves.
    std::vector<std::shared_ptr<const EventHandler>> handlers;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [id, subscriber] : subscribers_)
            if (subscriber.all || subscriber.invoice == event.invoice.id) handlers.push_back(subscriber.handler);
    }
    std::uint64_t failed = 0;
    for (const auto& handler : handlers) {
        try {
            (*handler)(event);
        } catch (...) {
            ++failed;  // one broken subscriber must not cost the others their event
        }
    }
    if (failed) {
        std::lock_guard lock(mutex_);
        failures_ += failed;
    }
}

SubscriptionId InProcessEventBus::subscribe(const InvoiceId& invoice, EventHandler handler) {
    std::lock_guard lock(mutex_);
    const SubscriptionId id = next_id_++;
    subscribers_[id] = Subscriber{false, invoice, std::make_shared<const EventHandler>(std::move(handler))};
    return id;
}

SubscriptionId InProcessEventBus::subscribe_all(EventHandler handler) {
    std::lock_guard lock(mutex_);
    const SubscriptionId id = next_id_++;
    subscribers_[id] = Subscriber{true, InvoiceId{}, std::make_shared<const EventHandler>(std::move(handler))};
    return id;
}

void InProcessEventBus::unsubscribe(SubscriptionId id) {
    std::lock_guard lock(mutex_);
    subscribers_.erase(id);
}

std::uint64_t InProcessEventBus::handler_failures() const {
    std::lock_guard lock(mutex_);
    return failures_;
}

}  // namespace jpp
