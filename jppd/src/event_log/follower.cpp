#include "event_log/follower.hpp"

#include <asio/executor_work_guard.hpp>
#include <asio/post.hpp>

#include <stdexcept>

#include "log.hpp"

namespace jppd::event_log {

Follower::Follower(jpp::InvoiceStore& store, jpp::EventBus& rings, FollowerOptions options)
    : store_(store), rings_(rings), options_(options) {
    auto last = store_.last_event_seq();
    if (!last) throw std::runtime_error("cannot read the event log: " + last.error().describe());
    last_seq_ = *last;
    subscription_ = rings_.subscribe_all([this](const jpp::Event&) { ring(); });
    schedule_poll();
    thread_ = std::thread([this] {
        auto work = asio::make_work_guard(io_);
        io_.run();
    });
}

Follower::~Follower() {
    rings_.unsubscribe(subscription_);
    io_.stop();
    thread_.join();
}

void Follower::ring() noexcept {
    if (rung_.exchange(true)) return;  // a read is on its way already
    try {
        asio::post(io_, [this] { read(); });
    } catch (...) {
        rung_ = false;  // the poll reads it
    }
}

void Follower::schedule_poll() {
    poll_.expires_after(options_.poll_interval);
    poll_.async_wait([this](const asio::error_code& ec) {
        if (ec) return;
        read();
        schedule_poll();
    });
}

void Follower::read() {
    rung_ = false;  // a ring from now on asks for another read
    for (;;) {
        auto events = store_.events_after(last_seq_.load(), options_.batch);
        if (!events) {
            if (!failing_) log_warn("cannot read the event log (watchers wait): " + events.error().describe());
            failing_ = true;
            return;  // the next ring or poll tries again from the same place
        }
        for (const jpp::StoredEvent& stored : *events) {
            auto invoice = store_.find(stored.invoice_id);
            if (!invoice) {
                if (!failing_) log_warn("cannot read the event log (watchers wait): " + invoice.error().describe());
                failing_ = true;
                return;
            }
            last_seq_ = stored.seq;
            if (!invoice->has_value()) continue;  // deleted since (the retention policy): nobody to tell
            try {
                published_.publish(jpp::Event{stored.type, std::move(**invoice)});
            } catch (...) {
                // A subscriber's failure is the bus's to count; the log moves on.
            }
        }
        if (failing_) log_info("the event log is readable again");
        failing_ = false;
        if (events->size() < options_.batch) return;
    }
}

}  // namespace jppd::event_log
