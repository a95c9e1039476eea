// The daemon's background duties, on one thread of their own: announce expired invoices, settle broadcast intents
// left open (at start, then periodically), and delete unpaid invoices past their retention.
#pragma once

#include <jpp/service.hpp>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace jppd {

struct HousekeepingOptions {
    std::chrono::seconds sweep_interval{2};
    std::chrono::seconds reconcile_interval{30};
    std::chrono::seconds purge_interval{3600};
    std::chrono::seconds retain_expired{30 * 24 * 3600};  // zero: unpaid expired invoices are kept forever
};

class Housekeeping {
public:
    // Starts at once: the first round settles every open intent, since none can be in flight before the server
    // starts.
    Housekeeping(jpp::InvoiceService& service, const jpp::Clock& clock, HousekeepingOptions options);
    ~Housekeeping();  // stops and joins
    Housekeeping(const Housekeeping&) = delete;
    Housekeeping& operator=(const Housekeeping&) = delete;

private:
    void run();
    void reconcile(bool everything);
    void purge();

    jpp::InvoiceService& service_;
    const jpp::Clock& clock_;
    HousekeepingOptions options_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stop_ = false;
    std::thread thread_;  // last: started once the rest is ready
};

}  // namespace jppd
