// The reader of the store's event log: what the WebSocket watchers are told comes from here. Every change of an
// invoice is a row of the log, written in the change's own transaction (store.hpp); this reads the rows past the
// last one it handled and publishes each, with the invoice as it stands, on a bus of its own. The service's
// in-process bus (and, with several instances, the database's notifications) only ring its doorbell: a ring that
// is missed costs nothing, since the next read (at the latest after `poll_interval`) catches up from the last
// sequence number, so no event is lost and every event is published in the log's order.
#pragma once

#include <jpp/events.hpp>
#include <jpp/store.hpp>

#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <thread>

namespace jppd::event_log {

struct FollowerOptions {
    std::chrono::milliseconds poll_interval{1000};  // the safety net: a read this often, rung or not
    std::size_t batch = 1000;                       // events read at once
    // Whether a subscriber needs the invoice itself with an event of it (a watcher of that invoice, say). When
    // this says no, the event is published with the invoice's id alone and the invoice is not read: most events
    // (an invoice created, a payment nobody watches) then cost the follower one read of the log, not one more per
    // event. Unset: every invoice is read.
    std::function<bool(const jpp::InvoiceId&)> wants_invoice;
};

class Follower {
public:
    // Starts after the log's current end: what happened before is the invoices' state, which watchers are given
    // when they arrive. Rings on every event `rings` publishes, and on the store's notifications of other
    // processes' changes (InvoiceStore::listen(), when the store has them). Throws std::runtime_error when the
    // log cannot be read, or the notifications not listened to, at all.
    Follower(jpp::InvoiceStore& store, jpp::EventBus& rings, FollowerOptions options = {});
    ~Follower();  // stops and joins
    Follower(const Follower&) = delete;
    Follower& operator=(const Follower&) = delete;

    // Where the log's events are published, in order, each once, on the follower's thread.
    jpp::EventBus& events() noexcept { return published_; }
    // Reads the log soon (thread-safe; rings coalesce).
    void ring() noexcept;
    std::int64_t last_seq() const noexcept { return last_seq_.load(); }

private:
    void read();
    void schedule_poll();
    void watch_listener();
    void wait_listener();
    void reconnect_listener();

    jpp::InvoiceStore& store_;
    jpp::EventBus& rings_;
    FollowerOptions options_;
    jpp::InProcessEventBus published_;
    std::atomic<std::int64_t> last_seq_{0};
    std::atomic<bool> rung_{false};
    bool failing_ = false;  // the last read failed: said once in the log, until one succeeds
    asio::io_context io_;
    asio::steady_timer poll_{io_};
    std::unique_ptr<jpp::ChangeListener> listener_;  // none for a store one process uses
    asio::posix::stream_descriptor listening_{io_};  // a duplicate of the listener's socket, for the loop to watch
    asio::steady_timer reconnect_{io_};
    jpp::SubscriptionId subscription_ = 0;
    std::thread thread_;  // last: started once the rest is ready
};

}  // namespace jppd::event_log
