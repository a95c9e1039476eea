// Webhook delivery: the sender of the store's outbox. Every event of a merchant's invoice is queued, in the
// database transaction that made it, for each of the merchant's endpoints that wants it (store.hpp); this sends
// the queue. It runs on a thread of its own with libcurl's multi interface, so a slow or dead receiver delays
// nothing but its own queue: not payments, not other endpoints.
//
// Per endpoint, deliveries go out one at a time, oldest first. An attempt ends in:
// - a 2xx: delivered;
// - a 5xx, 408 or 429, a timeout or a network error: retried after the next delay of the schedule, and failed
//   after the last;
// - any other answer (a 3xx is not followed): failed at once.
// Each attempt is logged in the store. A delivery is taken under a lease (the timeout and a margin), so one whose
// sender died mid-attempt (a crash, a kill) is taken again once the lease runs out: deliveries survive restarts,
// at least once. Receivers deduplicate by the event id.
#pragma once

#include <jpp/events.hpp>
#include <jpp/json.hpp>
#include <jpp/store.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace jppd::webhooks {

struct DispatcherOptions {
    std::chrono::seconds timeout{10};  // a whole attempt, connecting included
    std::vector<std::chrono::seconds> retry_schedule{std::chrono::seconds(10), std::chrono::seconds(60),
                                                     std::chrono::seconds(600), std::chrono::seconds(600),
                                                     std::chrono::seconds(600), std::chrono::seconds(600),
                                                     std::chrono::seconds(600), std::chrono::seconds(600)};
    unsigned concurrency = 16;       // attempts in flight at once
    bool allow_private = false;      // connect to loopback and private addresses
    std::chrono::milliseconds poll_interval{1000};  // how often the queue is read without a doorbell
};

// "10,60,600" -> seconds; invalid_argument for anything else (at most 100 entries, each 0 to 86400).
jpp::Result<std::vector<std::chrono::seconds>> parse_retry_schedule(std::string_view text);

// The body of a delivery: {"id":<event id>,"delivery_id":...,"redelivery_of":...|null,"type":...,"created":...,
// "invoice":<the invoice as its merchant sees it now, metadata included>}.
std::string delivery_body(const jpp::WebhookDelivery& delivery, const jpp::Invoice& invoice,
                          const jpp::JsonContext& context);

class Dispatcher {
public:
    // Subscribes to `events` as a doorbell (any event may have queued deliveries) and starts sending.
    Dispatcher(jpp::InvoiceStore& store, jpp::EventBus& events, const jpp::Clock& clock,
               std::function<jpp::JsonContext()> json_context, DispatcherOptions options);
    ~Dispatcher();  // stops: attempts in flight are abandoned, and taken again when their lease runs out
    Dispatcher(const Dispatcher&) = delete;
    Dispatcher& operator=(const Dispatcher&) = delete;

    // Reads the queue now rather than at the next poll (thread-safe, cheap, never blocks).
    void wake() noexcept;

    struct Attempt;  // one attempt in flight (dispatcher.cpp)

private:
    void run();
    void start_due(std::vector<std::unique_ptr<Attempt>>& in_flight);
    void finish(Attempt& attempt, int curl_result);

    jpp::InvoiceStore& store_;
    jpp::EventBus& events_;
    const jpp::Clock& clock_;
    std::function<jpp::JsonContext()> json_context_;
    DispatcherOptions options_;
    void* multi_ = nullptr;  // libcurl's multi handle; curl_multi_wakeup() on it is safe from any thread
    std::atomic<bool> stop_{false};
    std::atomic<bool> bell_{true};  // something may be due: read the queue
    jpp::SubscriptionId subscription_ = 0;
    std::thread thread_;  // last: started once the rest is ready
};

}  // namespace jppd::webhooks
