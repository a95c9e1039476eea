#include "chain/chain_watch.hpp"

#include <string>

#include "log.hpp"
#include "metrics/metrics.hpp"

namespace jppd::chain {

ChainWatch::ChainWatch(jpp::InvoiceStore& store, jpp::ChainFeed& feed, jpp::EventBus& events, const jpp::Clock& clock,
                       jpp::InvoiceService& service, jpp::FollowerOptions options, std::chrono::milliseconds interval)
    : lock_(store.job_lock("chain")),
      follower_(store, feed, events, clock, options, &service),
      interval_(interval),
      thread_([this] { run(); }) {}

ChainWatch::~ChainWatch() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_one();
    thread_.join();
}

void ChainWatch::run() {
    bool leading = false;
    bool failing = false;
    std::unique_lock lock(mutex_);
    for (bool stop = stop_; !stop;) {
        lock.unlock();
        bool again = false;
        if (lock_->held() != leading) {
            leading = !leading;
            log_info(leading ? "this instance now follows the chain"
                             : "the chain follower's lock is lost (database connection); another instance may "
                               "follow the chain");
        }
        if (leading) {
            auto round = follower_.poll();
            if (!round) {
                // Said once per failure, and once when it is over, not every interval.
                if (!failing) log_warn("following the chain failed: " + round.error().describe());
                failing = true;
            } else {
                if (failing) log_info("following the chain again, at height " + std::to_string(round->tip_height));
                failing = false;
                for (std::size_t i = 0; i < round->address_payments; ++i)
                    metrics::payment(metrics::Protocol::address, metrics::PaymentOutcome::accepted);
                if (round->address_payments > 0)
                    log_info("found " + std::to_string(round->address_payments) +
                             " transaction(s) paying invoices at their addresses");
                if (round->blocks_read > 0 || round->payments_updated > 0)
                    log_debug("chain: height " + std::to_string(round->tip_height) + ", " +
                              std::to_string(round->blocks_read) + " block(s) read, " +
                              std::to_string(round->blocks_disconnected) + " payment(s) unmined by a reorganisation, " +
                              std::to_string(round->payments_updated) + " payment(s) updated");
                again = !round->caught_up;  // catching up: the next blocks at once
            }
        }
        lock.lock();
        if (!again) stop = wake_.wait_for(lock, interval_, [this] { return stop_; });
        else stop = stop_;
    }
}

}  // namespace jppd::chain
