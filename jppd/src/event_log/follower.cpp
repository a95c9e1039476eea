#include "event_log/follower.hpp"

#include <asio/executor_work_guard.hpp>
#include <asio/post.hpp>
#include <unistd.h>

#include <stdexcept>

#include "log.hpp"

namespace jppd::event_log {

Follower::Follower(jpp::InvoiceStore& store, jpp::EventBus& rings, FollowerOptions options)
    : store_(store), rings_(rings), options_(options) {
    auto last = store_.last_event_seq();
    if (!last) throw std::runtime_error("cannot read the event log: " + last.error().describe());
    last_seq_ = *last;
    auto listener = store_.listen();
    if (!listener) throw std::runtime_error("cannot listen for changes: " + listener.error().describe());
    listener_ = std::move(*listener);
    subscription_ = rings_.subscribe_all([this](const jpp::Event&) { ring(); });
    schedule_poll();
    if (listener_) watch_listener();
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

// The loop waits on a duplicate of the listener's socket (closing it is the loop's business; libpq keeps its own),
// taken again on every connect().
void Follower::watch_listener() {
    const int fd = listener_->descriptor();
    const int copy = fd < 0 ? -1 : ::dup(fd);
    if (copy < 0) return reconnect_listener();
    listening_.assign(copy);
    wait_listener();
}

void Follower::wait_listener() {
    listening_.async_wait(asio::posix::stream_descriptor::wait_read, [this](const asio::error_code& ec) {
        if (ec == asio::error::operation_aborted) return;
        if (ec || !listener_->consume()) {
            log_warn("lost the database's notifications of other instances' changes; reconnecting");
            listening_.close();
            return reconnect_listener();
        }
        read();
        wait_listener();
    });
}

// Until it is back, the poll reads the log every poll_interval; once back, a read catches up with what the lost
// notifications were about.
void Follower::reconnect_listener() {
    reconnect_.expires_after(std::chrono::seconds(1));
    reconnect_.async_wait([this](const asio::error_code& ec) {
        if (ec) return;
        if (jpp::Status s = listener_->connect(); !s) return reconnect_listener();
        log_info("listening to the database's notifications again");
        read();
        watch_listener();
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
            if (options_.wants_invoice && !options_.wants_invoice(stored.invoice_id)) {
                last_seq_ = stored.seq;
                jpp::Invoice id_only;
                id_only.id = stored.invoice_id;
                try {
                    published_.publish(jpp::Event{stored.type, std::move(id_only)});
                } catch (...) {
                }
                continue;
            }
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
