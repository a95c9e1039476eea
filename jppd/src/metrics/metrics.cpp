#include "metrics/metrics.hpp"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <array>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace jppd::metrics {

namespace {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;
using prometheus::Histogram;

// Latencies from a tenth of a millisecond (a cached read) to ten seconds (a stalled node).
const Histogram::BucketBoundaries latency_buckets{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                  0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};

constexpr std::array<const char*, 5> status_classes{"1xx", "2xx", "3xx", "4xx", "5xx"};

std::size_t status_class(int status) {
    if (status < 100 || status > 599) return 4;
    return static_cast<std::size_t>(status / 100 - 1);
}

// A route's request durations, one histogram per status class.
struct StatusHistograms {
    std::array<Histogram*, 5> by_class{};
};

struct Registry {
    std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();

    Family<Histogram>& http_duration = prometheus::BuildHistogram()
        .Name("jppd_http_request_duration_seconds")
        .Help("Time from a request's arrival to its response, by route template and status class")
        .Register(*registry);
    Gauge& in_flight = prometheus::BuildGauge()
        .Name("jppd_http_requests_in_flight")
        .Help("Requests being handled")
        .Register(*registry).Add({});
    Gauge& connections = prometheus::BuildGauge()
        .Name("jppd_http_connections_open")
        .Help("Open client connections, WebSockets included")
        .Register(*registry).Add({});
    Gauge& websockets = prometheus::BuildGauge()
        .Name("jppd_websockets_open")
        .Help("Open WebSocket watchers")
        .Register(*registry).Add({});
    Counter& events_sent = prometheus::BuildCounter()
        .Name("jppd_websocket_messages_sent_total")
        .Help("Invoice events queued to WebSocket watchers (one per watcher told)")
        .Register(*registry).Add({});
    Family<Counter>& dropped = prometheus::BuildCounter()
        .Name("jppd_websocket_watchers_dropped_total")
        .Help("Watchers disconnected by the server, by reason")
        .Register(*registry);
    std::array<Counter*, 3> dropped_by{&dropped.Add({{"reason", "slow_reader"}}),
                                       &dropped.Add({{"reason", "stalled_write"}}),
                                       &dropped.Add({{"reason", "no_pong"}})};
    Family<Counter>& payments = prometheus::BuildCounter()
        .Name("jppd_payments_total")
        .Help("Payments offered, by protocol and outcome (accepted, rejected: the payer's fault, failed: ours)")
        .Register(*registry);
    std::array<std::array<Counter*, 3>, 4> payments_by{};
    Family<Histogram>& node_duration = prometheus::BuildHistogram()
        .Name("jppd_node_request_duration_seconds")
        .Help("JSON-RPC calls to the node, by method")
        .Register(*registry);
    Family<Counter>& node_errors = prometheus::BuildCounter()
        .Name("jppd_node_request_errors_total")
        .Help("JSON-RPC calls to the node that failed (unreachable, timed out, or an error answer), by method")
        .Register(*registry);
    Family<Histogram>& store_duration = prometheus::BuildHistogram()
        .Name("jppd_store_operation_duration_seconds")
        .Help("Database operations, by operation")
        .Register(*registry);
    Histogram& commit_groups = prometheus::BuildHistogram()
        .Name("jppd_store_commit_group_writes")
        .Help("Writes per SQLite commit (concurrent writes share one commit and one fsync)")
        .Register(*registry).Add({}, Histogram::BucketBoundaries{1, 2, 4, 8, 16, 32, 64, 128});
    Family<Counter>& webhook_attempts = prometheus::BuildCounter()
        .Name("jppd_webhook_attempts_total")
        .Help("Webhook delivery attempts, by result (delivered; retrying: failed, another attempt is due; "
              "failed: the last attempt failed)")
        .Register(*registry);
    std::array<Counter*, 3> webhook_by{&webhook_attempts.Add({{"result", "delivered"}}),
                                       &webhook_attempts.Add({{"result", "retrying"}}),
                                       &webhook_attempts.Add({{"result", "failed"}})};
    Gauge& webhook_backlog = prometheus::BuildGauge()
        .Name("jppd_webhook_outbox_backlog")
        .Help("Webhook deliveries not yet delivered nor given up")
        .Register(*registry).Add({});
    Family<Gauge>& tls_expiry = prometheus::BuildGauge()
        .Name("jppd_tls_certificate_expiry_timestamp_seconds")
        .Help("When the served TLS certificate expires (Unix time)")
        .Register(*registry);
    Family<Gauge>& build_info = prometheus::BuildGauge()
        .Name("jppd_build_info")
        .Help("Always 1; the labels name the build")
        .Register(*registry);

    std::mutex mutex;  // Family::Add for labels first seen, `routes` and `gauges`
    std::vector<std::unique_ptr<StatusHistograms>> routes;
    Gauges gauges;

    Registry() {
        constexpr std::array<const char*, 4> protocols{"native", "bitpay", "bip70", "address"};
        constexpr std::array<const char*, 3> outcomes{"accepted", "rejected", "failed"};
        for (std::size_t p = 0; p < protocols.size(); ++p)
            for (std::size_t o = 0; o < outcomes.size(); ++o)
                payments_by[p][o] = &payments.Add({{"protocol", protocols[p]}, {"outcome", outcomes[o]}});
        build_info.Add({{"version", JPPD_VERSION}}).Set(1);
    }
};

Registry& registry() {
    static Registry r;
    return r;
}

// The metrics of one label value, found once per thread: label values are static strings, so their address
// identifies them, and each thread's lookups take no lock.
template <typename Make>
auto& per_label(std::string_view label, Make make) {
    using Value = std::remove_reference_t<decltype(make())>;
    thread_local std::unordered_map<const char*, Value*> cache;
    auto [it, fresh] = cache.try_emplace(label.data(), nullptr);
    if (fresh) {
        std::lock_guard lock(registry().mutex);
        it->second = &make();
    }
    return *it->second;
}

}  // namespace

void http_response(std::string_view route, int status, Seconds took) {
    if (route.empty()) route = "none";
    auto& histograms = per_label(route, [route]() -> StatusHistograms& {
        auto& h = *registry().routes.emplace_back(std::make_unique<StatusHistograms>());  // under the mutex
        for (std::size_t i = 0; i < status_classes.size(); ++i)
            h.by_class[i] = &registry().http_duration.Add(
                {{"route", std::string(route)}, {"status_class", status_classes[i]}}, latency_buckets);
        return h;
    });
    histograms.by_class[status_class(status)]->Observe(took.count());
}

void http_request_started() { registry().in_flight.Increment(); }
void http_request_finished() { registry().in_flight.Decrement(); }

void event_sent_to_watchers(std::size_t watchers) { registry().events_sent.Increment(static_cast<double>(watchers)); }

void watcher_dropped(WatcherDrop why) { registry().dropped_by[static_cast<std::size_t>(why)]->Increment(); }

void payment(Protocol protocol, PaymentOutcome outcome) {
    registry().payments_by[static_cast<std::size_t>(protocol)][static_cast<std::size_t>(outcome)]->Increment();
}

void node_call(std::string_view method, Seconds took, bool ok) {
    Registry& r = registry();
    std::lock_guard lock(r.mutex);  // a node call takes milliseconds: a lock here costs nothing in comparison
    const prometheus::Labels labels{{"method", std::string(method)}};
    r.node_duration.Add(labels, latency_buckets).Observe(took.count());
    if (!ok) r.node_errors.Add(labels).Increment();
}

void store_call(std::string_view operation, Seconds took) {
    auto& histogram = per_label(operation, [operation]() -> Histogram& {
        return registry().store_duration.Add({{"operation", std::string(operation)}}, latency_buckets);
    });
    histogram.Observe(took.count());
}

void commit_group(std::size_t writes) { registry().commit_groups.Observe(static_cast<double>(writes)); }

void webhook_attempt(Delivery result) { registry().webhook_by[static_cast<std::size_t>(result)]->Increment(); }

void set_gauges(Gauges gauges) {
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    r.gauges = std::move(gauges);
    if (r.gauges.tls_certificate_expiry) r.tls_expiry.Add({});
}

std::string scrape() {
    Registry& r = registry();
    Gauges gauges;
    {
        std::lock_guard lock(r.mutex);
        gauges = r.gauges;
    }
    // Read outside the lock: reading the backlog is itself a timed store operation.
    if (gauges.connections_open) r.connections.Set(gauges.connections_open());
    if (gauges.websockets_open) r.websockets.Set(gauges.websockets_open());
    if (gauges.webhook_backlog) r.webhook_backlog.Set(gauges.webhook_backlog());
    if (gauges.tls_certificate_expiry) r.tls_expiry.Add({}).Set(gauges.tls_certificate_expiry());
    return prometheus::TextSerializer().Serialize(r.registry->Collect());
}

}  // namespace jppd::metrics
