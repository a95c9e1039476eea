// Following the node on a thread of its own: a ChainFollower round every poll interval, on whichever instance holds
// the store's "chain" job lock (one at a time; another takes over within an interval of the holder's death).
#pragma once

#include <jpp/chain_follower.hpp>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

namespace jppd::chain {

class ChainWatch {
public:
    // Payments found at invoices' addresses are recorded through `service`.
    ChainWatch(jpp::InvoiceStore& store, jpp::ChainFeed& feed, jpp::EventBus& events, const jpp::Clock& clock,
               jpp::InvoiceService& service, jpp::FollowerOptions options, std::chrono::milliseconds interval);
    ~ChainWatch();  // stops and joins
    ChainWatch(const ChainWatch&) = delete;
    ChainWatch& operator=(const ChainWatch&) = delete;

private:
    void run();

    std::unique_ptr<jpp::JobLock> lock_;
    jpp::ChainFollower follower_;
    std::chrono::milliseconds interval_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stop_ = false;
    std::thread thread_;  // last: started once the rest is ready
};

}  // namespace jppd::chain
