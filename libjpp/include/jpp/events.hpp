// What happened to an invoice, and the bus that tells subscribers. The core publishes; hosts subscribe
// (jppd fans payment_received out to WebSocket watchers).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

#include "jpp/invoice.hpp"

namespace jpp {

// What happened to an invoice. The values are stable (stores and the C ABI keep them): new types go at the end.
enum class EventType : std::uint8_t {
    payment_received,
    invoice_expired,
    invoice_created,
    invoice_cancelled,
    payment_confirmed,  // the payment's transaction reached the invoice's required confirmations
    payment_reversed,   // the payment's transaction was double-spent, or dropped and not mined again in time
    payment_underpaid,  // a transaction paid the invoice's address less than asked: recorded, not a payment
};
inline constexpr EventType event_type_last = EventType::payment_underpaid;
// "payment_received", "invoice_expired", "invoice_created", "invoice_cancelled", "payment_confirmed",
// "payment_reversed", "payment_underpaid"
std::string_view event_type_name(EventType type) noexcept;
std::optional<EventType> event_type_from_name(std::string_view name) noexcept;

struct Event {
    EventType type = EventType::payment_received;
    Invoice invoice;  // as stored after the event: for payment_received, invoice.payment is set
};

using EventHandler = std::function<void(const Event&)>;
using SubscriptionId = std::uint64_t;  // > 0; never reused by the bus that issued it

class EventBus {
public:
    virtual ~EventBus() = default;

    virtual void publish(const Event& event) = 0;
    virtual SubscriptionId subscribe(const InvoiceId& invoice, EventHandler handler) = 0;
    virtual SubscriptionId subscribe_all(EventHandler handler) = 0;
    // After unsubscribe returns, the handler is neither running nor called again, on any thread, except when the
    // calling thread is itself inside that handler (a handler may unsubscribe itself; it then runs to its end).
    // An id that is unknown or already unsubscribed is ignored: unsubscribing is idempotent.
    virtual void unsubscribe(SubscriptionId id) = 0;
};

// Delivers on the publishing thread, to each matching subscriber in turn; several threads may publish at once, so
// one handler may run on several threads at the same time. No lock of the bus is held while a handler runs, so
// handlers may subscribe, unsubscribe or publish. A handler that throws is counted and skipped, and the others
// still receive the event. Handlers should be quick: a host with slow consumers hands events to its own queues
// (jppd does) rather than doing the work inside the handler.
//
// unsubscribe(id) waits for the calls of that handler in flight on other threads to return (never for one on the
// calling thread, so a handler that unsubscribes itself does not wait for itself), then destroys the handler (or,
// when the calling thread is inside it, leaves that to the moment it returns). Once it returns, whatever the
// handler uses may be freed. Like taking a lock, waiting inside a handler can meet a wait the other way: a handler
// that unsubscribes a second subscription whose handler, on another thread, is at that moment unsubscribing the
// first. The bus sees that cycle instead of hanging: the subscription is removed (no new call starts) but the
// second unsubscribe throws std::logic_error rather than wait for a call that waits for it. A host whose handlers
// unsubscribe one another handles that, or unsubscribes outside its handlers.
//
// The bus must outlive every publish and unsubscribe call on it.
class InProcessEventBus final : public EventBus {
public:
    void publish(const Event& event) override;
    SubscriptionId subscribe(const InvoiceId& invoice, EventHandler handler) override;
    SubscriptionId subscribe_all(EventHandler handler) override;
    void unsubscribe(SubscriptionId id) override;

    std::uint64_t handler_failures() const;  // handlers that threw, since construction

private:
    struct Subscriber {
        SubscriptionId id = 0;
        bool all = false;
        InvoiceId invoice;
        EventHandler handler;  // emptied once unsubscribed and no longer running
        bool removed = false;
        std::vector<std::thread::id> running;  // one entry per call in flight (a nested call adds another)
    };
    SubscriptionId add(bool all, const InvoiceId& invoice, EventHandler handler);
    bool running_elsewhere(const Subscriber& subscriber) const;
    bool would_deadlock(const Subscriber& target) const;

    mutable std::mutex mutex_;
    std::condition_variable call_returned_;
    // Removed ones stay until their last call returns, so that every unsubscribe of them waits for it.
    std::map<SubscriptionId, std::shared_ptr<Subscriber>> subscribers_;
    std::map<std::thread::id, const Subscriber*> waiting_;  // threads inside unsubscribe, and what they wait for
    SubscriptionId next_id_ = 1;
    std::uint64_t failures_ = 0;
};

}  // namespace jpp
