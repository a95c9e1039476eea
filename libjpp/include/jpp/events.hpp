// What happened to an invoice, and the bus that tells subscribers. The core publishes; hosts subscribe
// (jppd fans payment_received out to WebSocket watchers).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string_view>

#include "jpp/invoice.hpp"

namespace jpp {

enum class EventType : std::uint8_t { payment_received, invoice_expired };
std::string_view event_type_name(EventType type) noexcept;  // "payment_received", "invoice_expired"

struct Event {
    EventType type = EventType::payment_received;
    Invoice invoice;  // as stored after the event: for payment_received, invoice.payment is set
};

using EventHandler = std::function<void(const Event&)>;
using SubscriptionId = std::uint64_t;

class EventBus {
public:
    virtual ~EventBus() = default;

    virtual void publish(const Event& event) = 0;
    virtual SubscriptionId subscribe(const InvoiceId& invoice, EventHandler handler) = 0;
    virtual SubscriptionId subscribe_all(EventHandler handler) = 0;
    // After unsubscribe returns, no publication that starts later reaches the handler; one already under way
    // may still deliver to it.
    virtual void unsubscribe(SubscriptionId id) = 0;
};

// Delivers on the publishing thread, to each matching subscriber in turn. No lock is held while a handler runs,
// so handlers may subscribe, unsubscribe or publish; a handler that throws is counted and skipped, and the
// others still receive the event. Handlers should be quick: a host with slow consumers hands events to its own
// queues (jppd does) rather than doing the work inside the handler.
class InProcessEventBus final : public EventBus {
public:
    void publish(const Event& event) override;
    SubscriptionId subscribe(const InvoiceId& invoice, EventHandler handler) override;
    SubscriptionId subscribe_all(EventHandler handler) override;
    void unsubscribe(SubscriptionId id) override;

    std::uint64_t handler_failures() const;  // handlers that threw, since construction

private:
    struct Subscriber {
        bool all = false;
        InvoiceId invoice;
        std::shared_ptr<const EventHandler> handler;
    };
    mutable std::mutex mutex_;
    std::map<SubscriptionId, Subscriber> subscribers_;
    SubscriptionId next_id_ = 1;
    std::uint64_t failures_ = 0;
};

}  // namespace jpp
