// The daemon's Prometheus metrics (prometheus-cpp's core: its registry, metric types and text format). Every part
// of jppd records into the one registry here; /metrics on the metrics listener serializes it.
//
// Names follow Prometheus's rules: the jppd_ prefix, base units (seconds, bytes), _total for counters. Labels take
// values from small fixed sets (route templates, status classes, protocols, node methods, store operations):
// never an invoice id, a client address or anything a client chooses.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace jppd::metrics {

enum class Protocol { native, bitpay, bip70, address };
enum class PaymentOutcome { accepted, rejected, failed };  // rejected: the payer's fault (4xx); failed: ours (5xx)
enum class WatcherDrop { slow_reader, stalled_write, no_pong };
enum class Delivery { delivered, retrying, failed };  // an attempt's result, as the outbox records it

using Seconds = std::chrono::duration<double>;

// Requests answered, by the route that answered ("/jpp/invoices/{id}", "none" when none did) and status.
void http_response(std::string_view route, int status, Seconds took);
void http_request_started();
void http_request_finished();

void event_sent_to_watchers(std::size_t watchers);
void watcher_dropped(WatcherDrop why);

void payment(Protocol protocol, PaymentOutcome outcome);
// `method`: the JSON-RPC method; `ok`: the node answered without an error.
void node_call(std::string_view method, Seconds took, bool ok);
void store_call(std::string_view operation, Seconds took);
// A SQLite commit group made durable, holding `writes` writes (one fsync for all of them).
void commit_group(std::size_t writes);
void webhook_attempt(Delivery result);

// Values read when Prometheus scrapes rather than counted as they change: open connections and WebSockets, the
// webhook outbox's backlog, the TLS certificate's expiry. Set once, before serving.
struct Gauges {
    std::function<double()> connections_open;
    std::function<double()> websockets_open;
    std::function<double()> webhook_backlog;          // deliveries due or waiting to be retried
    std::function<double()> tls_certificate_expiry;   // Unix time; unset without TLS
};
void set_gauges(Gauges gauges);

// The registry in Prometheus's text exposition format (version 0.0.4).
std::string scrape();

// Times a scope into one of the histograms above: `Timer t; ... record(t.elapsed())`.
class Timer {
public:
    Timer() : start_(std::chrono::steady_clock::now()) {}
    Seconds elapsed() const { return std::chrono::steady_clock::now() - start_; }

private:
    std::chrono::steady_clock::time_point start_;
};

}  // namespace jppd::metrics
