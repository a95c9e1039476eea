// The daemon's background duties, on one thread of their own: announce expired invoices, settle broadcast intents
// left open (at start, then periodically), and delete unpaid invoices past their retention. Instances that share a
// database take turns: only the holder of the store's "housekeeping" job lock does them, and another instance
// takes over within a sweep interval of the holder's death.
#pragma once

#include <jpp/service.hpp>
#include <jpp/store.hpp>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

namespace jppd {

struct HousekeepingOptions {
    std::chrono::seconds sweep_interval{2};
    std::chrono::seconds reconcile_interval{30};
    std::chrono::seconds purge_interval{3600};
    std::chrono::seconds retain_expired{30 * 24 * 3600};  // zero: unpaid expired invoices are kept forever
    // Whether this process is the store's only writer (SQLite, claimed by the server). Then no broadcast can be in
    // flight when it starts, and the first round settles every open intent; with instances sharing the store, an
    // intent younger than the service's intent_grace may be another instance's payment in progress, and waits.
    bool sole_writer = true;
};

class Housekeeping {
public:
    // Starts at once: the first round runs as soon as the job lock is held.
    Housekeeping(jpp::InvoiceService& service, jpp::InvoiceStore& store, const jpp::Clock& clock,
                 HousekeepingOptions options);
    ~Housekeeping();  // stops and joins
    Housekeeping(const Housekeeping&) = delete;
    Housekeeping& operator=(const Housekeeping&) = delete;

private:
    void run();
    void reconcile(bool everything);
    void purge();

    jpp::InvoiceService& service_;
    std::unique_ptr<jpp::JobLock> lock_;
    const jpp::Clock& clock_;
    HousekeepingOptions options_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stop_ = false;
    std::thread thread_;  // last: started once the rest is ready
};

}  // namespace jppd
