#include "api/health.hpp"

#include <chrono>
#include <mutex>

#include "log.hpp"

namespace jppd::api {

namespace {

// What went wrong is the operator's to read, in the log: the node's URL, the cookie file's path and SQLite's
// words are not for anyone who can reach /healthz. Logged when it changes, and at most once a minute while it
// lasts, however often the endpoint is polled.
class Reported {
public:
    void failed(std::string_view part, const jpp::Error& error) {
        const std::string line = "health: the " + std::string(part) + " is unavailable: " + error.describe();
        const auto now = std::chrono::steady_clock::now();
        std::lock_guard lock(mutex_);
        if (line == last_ && now - when_ < std::chrono::minutes(1)) return;
        last_ = line;
        when_ = now;
        log_warn(line);
    }
    void ok() {
        std::lock_guard lock(mutex_);
        last_.clear();
    }

private:
    std::mutex mutex_;
    std::string last_;
    std::chrono::steady_clock::time_point when_{};
};

// What kind of node failure it is, in words that name nothing of the set-up (the detail is in the log).
std::string chain_message(const jpp::Error& error) {
    const std::string& m = error.message;
    if (m.find("refused the credentials") != std::string::npos) return "the node refused the credentials";
    if (m.find("cookie") != std::string::npos) return "the node's credentials cannot be read";
    if (m.find("no answer within") != std::string::npos) return "the node did not answer in time";
    return "the node cannot be reached";
}

std::string check(const jpp::Status& status, std::string_view part, std::string_view message, Reported& reported) {
    if (status) {
        reported.ok();
        return "{\"ok\":true}";
    }
    reported.failed(part, status.error());
    return "{\"ok\":false,\"code\":" + http::json_quote(jpp::errc_name(status.error().code)) +
           ",\"message\":" + http::json_quote(message) + "}";
}

}  // namespace

http::Response health(const ApiContext& api) {
    static Reported store_reported, chain_reported;
    const jpp::Status store = api.store.ping();
    const jpp::Status chain = api.chain.ping();
    const bool ok = store && chain;
    http::Response r;
    r.status = ok ? 200 : 503;
    r.content_type = "application/json; charset=utf-8";
    r.body = "{\"status\":" + http::json_quote(ok ? "ok" : "unavailable") +
             ",\"store\":" + check(store, "database", "the database cannot be read", store_reported) +
             ",\"chain\":" + check(chain, "node", chain ? "" : chain_message(chain.error()), chain_reported) +
             ",\"dev_mode\":" + (api.dev_mode ? "true" : "false");
    if (api.dev_mode)
        r.body += ",\"warning\":\"development mode: payments are recorded without being broadcast\"";
    r.body += "}";
    r.with_header("Cache-Control", "no-store");
    if (!ok) r.with_header("Retry-After", "5");  // as every other 503
    return r;
}

}  // namespace jppd::api
