#include "jpp/events.hpp"

#include <algorithm>
#include <set>
#include <stdexcept>

namespace jpp {

std::string_view event_type_name(EventType type) noexcept {
    switch (type) {
    case EventType::payment_received: return "payment_received";
    case EventType::invoice_expired: return "invoice_expired";
    case EventType::invoice_created: return "invoice_created";
    case EventType::invoice_cancelled: return "invoice_cancelled";
    case EventType::payment_confirmed: return "payment_confirmed";
    case EventType::payment_reversed: return "payment_reversed";
    case EventType::payment_underpaid: return "payment_underpaid";
    }
    return "unknown";
}

std::optional<EventType> event_type_from_name(std::string_view name) noexcept {
    for (int t = 0; t <= static_cast<int>(event_type_last); ++t)
        if (event_type_name(static_cast<EventType>(t)) == name) return static_cast<EventType>(t);
    return std::nullopt;
}

void InProcessEventBus::publish(const Event& event) {
    // Snapshot the matching subscribers, then call each unlocked: handlers may (un)subscribe or publish themselves.
    // Each call is registered under the lock first, so that unsubscribe sees it and waits for it.
    std::vector<std::shared_ptr<Subscriber>> matching;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [id, subscriber] : subscribers_)
            if (!subscriber->removed && (subscriber->all || subscriber->invoice == event.invoice.id))
                matching.push_back(subscriber);
    }
    const std::thread::id self = std::this_thread::get_id();
    std::uint64_t failed = 0;
    for (const auto& subscriber : matching) {
        {
            std::lock_guard lock(mutex_);
            if (subscriber->removed) continue;  // unsubscribed since the snapshot
            subscriber->running.push_back(self);
        }
        try {
            subscriber->handler(event);
        } catch (...) {
            ++failed;  // one broken subscriber must not cost the others their event
        }
        EventHandler finished;  // destroyed outside the lock, after its last call
        {
            std::lock_guard lock(mutex_);
            auto& running = subscriber->running;
            running.erase(std::find(running.begin(), running.end(), self));
            if (subscriber->removed) {
                if (running.empty()) {
                    finished = std::move(subscriber->handler);
                    subscribers_.erase(subscriber->id);
                }
                call_returned_.notify_all();
            }
        }
    }
    if (failed) {
        std::lock_guard lock(mutex_);
        failures_ += failed;
    }
}

SubscriptionId InProcessEventBus::add(bool all, const InvoiceId& invoice, EventHandler handler) {
    auto subscriber = std::make_shared<Subscriber>();
    subscriber->all = all;
    subscriber->invoice = invoice;
    subscriber->handler = std::move(handler);
    std::lock_guard lock(mutex_);
    subscriber->id = next_id_++;
    subscribers_.emplace(subscriber->id, subscriber);
    return subscriber->id;
}

SubscriptionId InProcessEventBus::subscribe(const InvoiceId& invoice, EventHandler handler) {
    return add(false, invoice, std::move(handler));
}

SubscriptionId InProcessEventBus::subscribe_all(EventHandler handler) {
    return add(true, InvoiceId{}, std::move(handler));
}

bool InProcessEventBus::running_elsewhere(const Subscriber& subscriber) const {
    const std::thread::id self = std::this_thread::get_id();
    return std::any_of(subscriber.running.begin(), subscriber.running.end(),
                       [&](const std::thread::id& t) { return t != self; });
}

// Waiting for `target` means waiting for the threads running it; a thread that is itself waiting in unsubscribe
// waits for the threads running its own target, and so on. If that chain reaches a handler this thread is
// running, nobody would ever return.
bool InProcessEventBus::would_deadlock(const Subscriber& target) const {
    const std::thread::id self = std::this_thread::get_id();
    std::vector<const Subscriber*> pending{&target};
    std::set<const Subscriber*> seen;
    while (!pending.empty()) {
        const Subscriber* s = pending.back();
        pending.pop_back();
        if (!seen.insert(s).second) continue;
        for (const std::thread::id& runner : s->running) {
            if (runner == self) continue;
            const auto waits = waiting_.find(runner);
            if (waits == waiting_.end()) continue;
            const auto& next = waits->second->running;
            if (std::find(next.begin(), next.end(), self) != next.end()) return true;
            pending.push_back(waits->second);
        }
    }
    return false;
}

void InProcessEventBus::unsubscribe(SubscriptionId id) {
    EventHandler removed;  // destroyed after the lock is released: its captures may do anything
    std::unique_lock lock(mutex_);
    const auto it = subscribers_.find(id);
    if (it == subscribers_.end()) return;  // unknown or already gone: nothing to do
    const std::shared_ptr<Subscriber> subscriber = it->second;
    // No call starts from here on. (It may be removed already: by an unsubscribe on another thread that is still
    // waiting, or from inside its own handler. This call waits all the same.)
    subscriber->removed = true;
    if (running_elsewhere(*subscriber)) {
        if (would_deadlock(*subscriber))
            throw std::logic_error("unsubscribe of subscription " + std::to_string(id) +
                                   " from inside a handler: its handler is running on another thread that waits for "
                                   "this one; it is removed, but cannot be waited for");
        const std::thread::id self = std::this_thread::get_id();
        waiting_[self] = subscriber.get();
        call_returned_.wait(lock, [&] { return !running_elsewhere(*subscriber); });
        waiting_.erase(self);
    }
    // Still running here means the caller is inside this very handler: the call's end destroys it.
    if (subscriber->running.empty()) {
        removed = std::move(subscriber->handler);
        subscribers_.erase(id);
    }
    lock.unlock();
}

std::uint64_t InProcessEventBus::handler_failures() const {
    std::lock_guard lock(mutex_);
    return failures_;
}

}  // namespace jpp
