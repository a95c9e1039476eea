#include "webhooks/dispatcher.hpp"

#include <curl/curl.h>
#include <sys/socket.h>

#include <jpp/webhook_signature.hpp>

#include <algorithm>
#include <charconv>
#include <mutex>

#include "http/message.hpp"
#include "log.hpp"
#include "metrics/metrics.hpp"
#include "webhooks/url_policy.hpp"

namespace jppd::webhooks {

namespace {

CURLM* as_multi(void* multi) { return static_cast<CURLM*>(multi); }

// What decides whether a delivery is tried again: a server error, a timeout (408), a rate limit (429), or no
// answer at all.
bool retryable(long status) { return status == 0 || status == 408 || status == 429 || status >= 500; }

std::string describe_error(int curl_result, const char* detail) {
    std::string text = curl_easy_strerror(static_cast<CURLcode>(curl_result));
    if (detail && *detail) text += std::string(": ") + detail;
    return text.size() > 300 ? text.substr(0, 300) : text;
}

}  // namespace

jpp::Result<std::vector<std::chrono::seconds>> parse_retry_schedule(std::string_view text) {
    std::vector<std::chrono::seconds> delays;
    const auto refuse = [] {
        return jpp::make_error(jpp::Errc::invalid_argument,
                               "webhook retry schedule: comma-separated seconds (0 to 86400), at most 100");
    };
    while (!text.empty()) {
        const auto comma = text.find(',');
        const std::string_view item = text.substr(0, comma);
        unsigned seconds = 0;
        const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), seconds);
        if (item.empty() || ec != std::errc() || end != item.data() + item.size() || seconds > 86400) return refuse();
        delays.emplace_back(seconds);
        if (delays.size() > 100) return refuse();
        if (comma == std::string_view::npos) break;
        text.remove_prefix(comma + 1);
        if (text.empty()) return refuse();
    }
    return delays;
}

std::string delivery_body(const jpp::WebhookDelivery& delivery, const jpp::Invoice& invoice,
                          const jpp::JsonContext& context) {
    std::string body = "{\"id\":" + http::json_quote(delivery.event.id);
    body += ",\"delivery_id\":" + http::json_quote(delivery.id);
    body += ",\"redelivery_of\":" + (delivery.redelivery_of ? http::json_quote(*delivery.redelivery_of) : "null");
    body += ",\"type\":" + http::json_quote(jpp::event_type_name(delivery.event.type));
    body += ",\"created\":" + http::json_quote(jpp::to_rfc3339(delivery.event.created));
    body += ",\"invoice\":" + jpp::merchant_invoice_to_json(invoice, context);
    body += "}";
    return body;
}

// One attempt in flight: the easy handle and everything it points at.
struct Dispatcher::Attempt {
    jpp::DueDelivery due;
    CURL* easy = nullptr;
    curl_slist* headers = nullptr;
    std::string body;
    char error[CURL_ERROR_SIZE] = {};
    bool allow_private = false;
    bool refused_address = false;  // the name resolved to an address that may not be called
    std::chrono::steady_clock::time_point started;
    jpp::Timestamp started_at{};

    ~Attempt() {
        if (easy) curl_easy_cleanup(easy);
        if (headers) curl_slist_free_all(headers);
    }
};

namespace {

// Every address curl connects to is checked here, after name resolution: a public name that resolves to a
// private address (at registration or later) is refused all the same.
curl_socket_t open_checked_socket(void* client, curlsocktype, curl_sockaddr* address) {
    auto* attempt = static_cast<Dispatcher::Attempt*>(client);
    if (!attempt->allow_private && !is_public_address(&address->addr)) {
        attempt->refused_address = true;
        return CURL_SOCKET_BAD;
    }
    return ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

std::size_t discard_body(char*, std::size_t size, std::size_t count, void*) { return size * count; }

}  // namespace

Dispatcher::Dispatcher(jpp::InvoiceStore& store, jpp::EventBus& events, const jpp::Clock& clock,
                       std::function<jpp::JsonContext()> json_context, DispatcherOptions options)
    : store_(store), events_(events), clock_(clock), json_context_(std::move(json_context)),
      options_(std::move(options)) {
    static std::once_flag curl_ready;
    std::call_once(curl_ready, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    multi_ = curl_multi_init();
    if (!multi_) throw std::runtime_error("libcurl: cannot make a multi handle");
    subscription_ = events_.subscribe_all([this](const jpp::Event&) { wake(); });
    thread_ = std::thread([this] { run(); });
}

Dispatcher::~Dispatcher() {
    events_.unsubscribe(subscription_);
    stop_ = true;
    wake();
    thread_.join();
    curl_multi_cleanup(as_multi(multi_));
}

void Dispatcher::wake() noexcept {
    bell_ = true;
    curl_multi_wakeup(as_multi(multi_));
}

void Dispatcher::start_due(std::vector<std::unique_ptr<Attempt>>& in_flight) {
    if (in_flight.size() >= options_.concurrency) return;
    const jpp::Timestamp now = clock_.now();
    // The lease: long enough for the attempt and for recording it; a sender that dies leaves it to expire.
    const jpp::Timestamp lease_until = now + options_.timeout + std::chrono::seconds(10);
    auto due = store_.take_due_deliveries(now, lease_until, options_.concurrency - in_flight.size());
    if (!due) {
        log_warn("webhooks: cannot read the delivery queue: " + due.error().describe());
        return;
    }
    const jpp::JsonContext context = json_context_();
    for (jpp::DueDelivery& d : *due) {
        auto attempt = std::make_unique<Attempt>();
        attempt->due = std::move(d);
        attempt->allow_private = options_.allow_private;
        const jpp::WebhookDelivery& delivery = attempt->due.delivery;
        auto invoice = store_.find(delivery.event.invoice_id);
        if (!invoice) {
            log_warn("webhooks: cannot read invoice " + delivery.event.invoice_id.hex() + ": " +
                     invoice.error().describe());
            continue;  // its lease runs out and it is taken again
        }
        if (!invoice->has_value()) {  // deleted by the retention policy since
            (void)store_.record_attempt(delivery.id, {now, 0, "the invoice no longer exists", {}},
                                        jpp::DeliveryState::failed, now);
            continue;
        }
        attempt->body = delivery_body(delivery, **invoice, context);
        attempt->started = std::chrono::steady_clock::now();
        attempt->started_at = now;

        CURL* easy = curl_easy_init();
        if (!easy) continue;
        attempt->easy = easy;
        const std::string signature = "X-JPP-Signature: " + jpp::sign_webhook(attempt->due.secret, attempt->body, now);
        for (const std::string& h : {std::string("Content-Type: application/json"), signature,
                                     "X-JPP-Event-Id: " + delivery.event.id, "X-JPP-Delivery-Id: " + delivery.id,
                                     std::string("Expect:")})
            attempt->headers = curl_slist_append(attempt->headers, h.c_str());
        const long timeout_ms = static_cast<long>(std::chrono::milliseconds(options_.timeout).count());
        curl_easy_setopt(easy, CURLOPT_URL, attempt->due.url.c_str());
        curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(easy, CURLOPT_PROXY, "");  // never a proxy from the environment: the address check is ours
        curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, timeout_ms);
        curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
        curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
        curl_easy_setopt(easy, CURLOPT_USERAGENT, "jppd/" JPPD_VERSION);
        curl_easy_setopt(easy, CURLOPT_HTTPHEADER, attempt->headers);
        curl_easy_setopt(easy, CURLOPT_POSTFIELDS, attempt->body.c_str());
        curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(attempt->body.size()));
        curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, discard_body);
        curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, attempt->error);
        curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, open_checked_socket);
        curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, attempt.get());
        curl_easy_setopt(easy, CURLOPT_PRIVATE, attempt.get());
        if (curl_multi_add_handle(as_multi(multi_), easy) != CURLM_OK) continue;
        in_flight.push_back(std::move(attempt));
    }
}

void Dispatcher::finish(Attempt& attempt, int curl_result) {
    long status = 0;
    if (curl_result == CURLE_OK) curl_easy_getinfo(attempt.easy, CURLINFO_RESPONSE_CODE, &status);
    const jpp::WebhookDelivery& delivery = attempt.due.delivery;
    jpp::DeliveryAttempt logged;
    logged.time = attempt.started_at;
    logged.status_code = static_cast<int>(status);
    logged.duration =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - attempt.started);
    if (attempt.refused_address)
        logged.error = "the address is not public (jppd allows private ones with --webhook-allow-private)";
    else if (curl_result != CURLE_OK)
        logged.error = describe_error(curl_result, attempt.error);
    else if (status < 200 || status > 299)
        logged.error = "HTTP " + std::to_string(status);

    const jpp::Timestamp now = clock_.now();
    const std::size_t made = delivery.attempts.size() + 1;  // this one included
    jpp::DeliveryState state = jpp::DeliveryState::delivered;
    jpp::Timestamp next = now;
    std::string outcome = "delivered";
    if (!logged.error.empty()) {
        if (retryable(status) && !attempt.refused_address && made <= options_.retry_schedule.size()) {
            state = jpp::DeliveryState::pending;
            next = now + options_.retry_schedule[made - 1];
            outcome = "retry in " + std::to_string(options_.retry_schedule[made - 1].count()) + " s";
        } else {
            state = jpp::DeliveryState::failed;
            outcome = "failed after " + std::to_string(made) + " attempt(s)";
        }
    }
    metrics::webhook_attempt(state == jpp::DeliveryState::delivered ? metrics::Delivery::delivered
                             : state == jpp::DeliveryState::pending ? metrics::Delivery::retrying
                                                                     : metrics::Delivery::failed);
    if (jpp::Status s = store_.record_attempt(delivery.id, logged, state, next); !s)
        log_warn("webhooks: cannot record an attempt of " + delivery.id + ": " + s.error().describe());
    const std::string line = "webhook " + std::string(jpp::event_type_name(delivery.event.type)) + " " +
                             delivery.event.id + " to " + delivery.endpoint_id + ": " +
                             (logged.error.empty() ? "HTTP " + std::to_string(status) : logged.error) + ", " + outcome;
    if (state == jpp::DeliveryState::failed) log_warn(line);
    else log_info(line);
}

void Dispatcher::run() {
    using steady = std::chrono::steady_clock;
    // A burst of events rings many times: for rings, the queue is read at most this often. A finished attempt
    // reads it at once (its endpoint's next delivery may be due), so one endpoint's queue drains at the pace of
    // its receiver, not of this gap.
    constexpr auto min_gap = std::chrono::milliseconds(20);
    std::vector<std::unique_ptr<Attempt>> in_flight;
    steady::time_point last_read{};
    bool finished = true;
    while (!stop_) {
        const auto now = steady::now();
        if (finished || (bell_.load() && now - last_read >= min_gap) || now - last_read >= options_.poll_interval) {
            bell_ = false;
            finished = false;
            last_read = now;
            start_due(in_flight);
        }
        int running = 0;
        curl_multi_perform(as_multi(multi_), &running);
        int left = 0;
        while (CURLMsg* message = curl_multi_info_read(as_multi(multi_), &left)) {
            if (message->msg != CURLMSG_DONE) continue;
            Attempt* attempt = nullptr;
            curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &attempt);
            const int result = message->data.result;
            curl_multi_remove_handle(as_multi(multi_), message->easy_handle);
            finish(*attempt, result);
            in_flight.erase(std::find_if(in_flight.begin(), in_flight.end(),
                                         [&](const auto& a) { return a.get() == attempt; }));
            finished = true;
        }
        if (finished) continue;
        // Sleeps until a socket is ready, wake() rings, or it is time to read the queue again.
        const auto until = bell_.load() ? last_read + min_gap : last_read + options_.poll_interval;
        const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(until - steady::now());
        if (wait.count() > 0) curl_multi_poll(as_multi(multi_), nullptr, 0, static_cast<int>(wait.count()), nullptr);
    }
    for (auto& attempt : in_flight) curl_multi_remove_handle(as_multi(multi_), attempt->easy);
}

}  // namespace jppd::webhooks
