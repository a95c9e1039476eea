#include "housekeeping.hpp"

#include "log.hpp"

namespace jppd {

Housekeeping::Housekeeping(jpp::InvoiceService& service, jpp::InvoiceStore& store, const jpp::Clock& clock,
                           HousekeepingOptions options)
    : service_(service),
      lock_(store.job_lock("housekeeping")),
      clock_(clock),
      options_(options),
      thread_([this] { run(); }) {}

Housekeeping::~Housekeeping() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_one();
    thread_.join();
}

void Housekeeping::run() {
    using clock = std::chrono::steady_clock;
    bool leading = false;
    bool first_round = true;
    auto next_reconcile = clock::now();
    auto next_purge = clock::now();
    std::unique_lock lock(mutex_);
    for (bool stop = stop_; !stop; stop = wake_.wait_for(lock, options_.sweep_interval, [this] { return stop_; })) {
        lock.unlock();
        if (lock_->held() != leading) {
            leading = !leading;
            if (leading) {
                log_info("this instance now runs the shared jobs: expiry sweep, broadcast intents, retention");
                next_reconcile = next_purge = clock::now();
            } else {
                log_warn("the shared jobs' lock is lost (database connection); another instance may take them");
            }
        }
        if (leading) {
            if (auto n = service_.announce_expired(); !n)
                log_warn("expiry sweep failed: " + n.error().describe());
            else if (*n > 0)
                log_debug("announced " + std::to_string(*n) + " expired invoice(s)");
            if (clock::now() >= next_reconcile) {
                reconcile(first_round && options_.sole_writer);
                first_round = false;
                next_reconcile = clock::now() + options_.reconcile_interval;
            }
            if (clock::now() >= next_purge) {
                purge();
                next_purge = clock::now() + options_.purge_interval;
            }
        }
        lock.lock();
    }
}

void Housekeeping::reconcile(bool everything) {
    auto recorded = service_.reconcile_intents(everything);
    if (!recorded)
        log_warn("settling open broadcast intents failed: " + recorded.error().describe());
    else if (*recorded > 0)
        log_info("recorded " + std::to_string(*recorded) + " payment(s) whose broadcast had not been recorded");
}

void Housekeeping::purge() {
    if (options_.retain_expired.count() == 0) return;
    const jpp::Timestamp now = clock_.now();
    if (now.time_since_epoch() <= options_.retain_expired) return;
    auto purged = service_.purge_expired(now - options_.retain_expired);
    if (!purged)
        log_warn("deleting expired invoices failed: " + purged.error().describe());
    else if (*purged > 0)
        log_info("deleted " + std::to_string(*purged) + " unpaid invoice(s) expired more than the retention ago");
}

}  // namespace jppd
