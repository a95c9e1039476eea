// jppd: the daemon. Reads its configuration, opens the store, connects the chain backend, serves HTTP until
// SIGINT / SIGTERM, and does its housekeeping in the background (housekeeping.hpp).
#include <jpp/events.hpp>
#include <jpp/json.hpp>
#include <jpp/service.hpp>
#include <jpp/open_store.hpp>

#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <thread>

#include "admin.hpp"
#include "api/invoice_cache.hpp"
#include "api/metrics_endpoint.hpp"
#include "api/routes.hpp"
#include "chain/chain_watch.hpp"
#include "chain/node_chain.hpp"
#include "config.hpp"
#include "event_log/follower.hpp"
#include "housekeeping.hpp"
#include "http/server.hpp"
#include "log.hpp"
#include "metrics/metered_store.hpp"
#include "paypro/response_signer.hpp"
#include "webhooks/dispatcher.hpp"
#include "ws/hub.hpp"

namespace {

// Whether the node's chain (getblockchaininfo's "chain") is the configured network.
bool chain_matches(jpp::Network network, const std::string& chain) {
    switch (network) {
        case jpp::Network::main: return chain == "main";
        case jpp::Network::regtest: return chain == "regtest";
        case jpp::Network::test: return chain.rfind("test", 0) == 0 || chain == "chip" || chain == "scale";
    }
    return false;
}

// Every connection is a descriptor: raise the soft limit to the hard one, and say if the configured connection
// limit still does not fit.
void raise_descriptor_limit(std::size_t max_connections) {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
    if (limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
        getrlimit(RLIMIT_NOFILE, &limit);
    }
    if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < max_connections + 64)
        jppd::log_warn("--max-connections " + std::to_string(max_connections) + " exceeds what the descriptor "
                       "limit (" + std::to_string(limit.rlim_cur) + ") allows: raise it (ulimit -n, LimitNOFILE)");
}

// The signing key is the server's identity to wallets: say so when others on the machine can read it.
void warn_if_readable_by_others(const std::string& path) {
    struct stat st{};
    if (stat(path.c_str(), &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
        jppd::log_warn("the signing key file " + path + " is readable by other users: chmod 600 it");
}

}  // namespace

int main(int argc, char** argv) {
    jppd::DaemonConfig config;
    if (const int code = jppd::parse_command_line(argc, argv, config); code >= 0) return code;
    if (!config.admin_command.empty()) return jppd::run_admin(config);

    jppd::LogLevel level = jppd::LogLevel::info;
    jppd::parse_log_level(config.log_level, level);
    jppd::set_log_level(level);
    jppd::LogFormat format = jppd::LogFormat::text;
    jppd::parse_log_format(config.log_format, format);
    jppd::set_log_format(format);

    const jpp::Network network = *jpp::network_from_name(config.network);
    jppd::http::ServerOptions server_options;
    jppd::split_listen_address(config.listen, server_options.host, server_options.port);
    server_options.io_threads = config.threads;
    server_options.worker_threads = config.workers;
    server_options.max_connections = config.max_connections;
    server_options.limits = {config.max_header_bytes, config.max_body_bytes};
    server_options.idle_timeout = std::chrono::seconds(config.idle_timeout);
    server_options.request_timeout = std::chrono::seconds(config.request_timeout);
    server_options.shutdown_timeout = std::chrono::seconds(config.shutdown_timeout);
    server_options.max_buffered_body_bytes = config.max_buffered_body_bytes;
    server_options.client_limits = {config.max_client_connections, config.client_rate, config.client_burst};
    std::vector<jppd::http::AddressRange> proxies;
    for (const auto& proxy : config.trusted_proxies) proxies.push_back(*jppd::http::AddressRange::parse(proxy));
    server_options.trusted_proxies = jppd::http::TrustedProxies(std::move(proxies));
    server_options.proxy_protocol = config.proxy_protocol;
    if (!config.tls_cert.empty()) {
        std::string error;
        server_options.tls = jppd::http::TlsCertificate::load(config.tls_cert, config.tls_key, error);
        if (!server_options.tls) {
            jppd::log_error(error);
            return 1;
        }
        jppd::log_info("TLS certificate " + server_options.tls->describe());
    }
    // SIGHUP (systemctl reload): the certificate is read again; without TLS there is nothing to reload.
    server_options.on_reload = [tls = server_options.tls] {
        if (!tls) return jppd::log_info("SIGHUP: nothing to reload (no --tls-cert)");
        std::string error;
        if (tls->reload(error)) jppd::log_info("SIGHUP: TLS certificate reloaded: " + tls->describe());
        else jppd::log_error("SIGHUP: TLS certificate not reloaded, the current one stays: " + error);
    };

    std::optional<jppd::paypro::ResponseSigner> signer;
    if (!config.signing_key.empty()) {
        auto loaded = jppd::paypro::ResponseSigner::load(config.signing_key);
        if (!loaded) {
            jppd::log_error(loaded.error().message);
            return 1;
        }
        signer.emplace(std::move(*loaded));
        warn_if_readable_by_others(config.signing_key);
    }
    if (config.print_identity) {
        std::printf("x-identity: %s\npublic key: %s\n", signer->identity().c_str(), signer->public_key_hex().c_str());
        std::printf("bitcore-wallet-client trusted key entry:\n  \"%s\": { \"owner\": \"...\", \"networks\": [\"main\"], "
                    "\"domains\": [\"<your payment host>\"], \"publicKey\": \"%s\" }\n",
                    signer->identity().c_str(), signer->public_key_hex().c_str());
        return 0;
    }

    raise_descriptor_limit(config.max_connections);

    jpp::ServiceConfig service_config;
    service_config.network = network;
    service_config.invoice_lifetime = std::chrono::seconds(config.invoice_lifetime);
    service_config.default_fee_per_byte = config.fee_rate;
    service_config.default_confirmations = config.confirmations;
    service_config.max_input_lookups = config.max_input_lookups;
    // Every event a watcher can be sent must fit its send queue, or each watcher of that invoice would be dropped
    // (and dropped again on every reconnect): room for the largest of each event type, and control frames.
    const std::size_t largest_frame =
        jpp::max_event_json_bytes(service_config, std::max<std::size_t>(config.public_url.size(), 64)) + 10;
    const std::size_t queue_floor = 2 * largest_frame + 4096;
    if (config.ws_send_queue_bytes < queue_floor) {
        jppd::log_error("--ws-send-queue-bytes " + std::to_string(config.ws_send_queue_bytes) +
                        " cannot hold the largest event a watcher may be sent (" + std::to_string(largest_frame) +
                        " bytes, with the service's limits): give at least " + std::to_string(queue_floor));
        return 2;
    }

    const std::string database = jppd::shown_database(config.db);
    auto store = jpp::open_store(config.db, false, jppd::metrics::commit_group);
    if (!store) {
        jppd::log_error("cannot open the database " + database + ": " + store.error().describe());
        return 1;
    }

    jppd::metrics::MeteredStore metered_store(**store);  // every part below uses the store through it
    jpp::InvoiceStore& db = metered_store;

    std::unique_ptr<jpp::ChainBackend> chain;
    jpp::ChainFeed* feed = nullptr;  // the node, when there is one: the chain follower reads it
    std::string chain_description;
    if (config.dev_mode) {
        chain = std::make_unique<jppd::chain::DevChain>();
        chain_description = "none (DEV MODE)";
    } else {
        auto client = jppd::chain::NodeRpcClient::create({config.node_rpc, config.node_rpc_user,
                                                          config.node_rpc_password, config.node_rpc_cookie,
                                                          std::chrono::seconds(config.node_rpc_timeout)});
        if (!client) {
            jppd::log_error(client.error().message);
            return 2;
        }
        auto node = std::make_unique<jppd::chain::NodeChain>(std::move(*client));
        if (auto name = node->chain_name(); !name) {
            jppd::log_warn("the node is not reachable yet (" + name.error().describe() +
                           "); payments answer 503 until it is");
        } else if (!chain_matches(network, *name)) {
            jppd::log_error("the node at " + config.node_rpc + " is on chain '" + *name + "', not on " +
                            config.network + ": refusing to start");
            return 1;
        }
        feed = node.get();
        chain = std::move(node);
        chain_description = config.node_rpc;
    }

    jpp::SystemClock clock;
    // Before the buses, which it subscribes to: it outlives them. Only when this process is the store's sole writer
    // (see invoice_cache.hpp).
    jppd::api::InvoiceCache invoice_cache(jpp::is_postgres_url(config.db) ? 0 : config.invoice_cache);
    jpp::InProcessEventBus events;
    service_config.address_payments = feed != nullptr;  // a follower of the chain watches the addresses
    jpp::InvoiceService service(db, *chain, events, clock, service_config);

    jppd::api::ApiContext api{service, db, *chain, clock, config.public_url, config.dev_mode,
                              jpp::JsonLimits{config.max_body_bytes, 16}};
    jppd::ws::HubOptions hub_options;
    hub_options.max_sessions = config.max_websockets;
    hub_options.max_sessions_per_client = config.max_client_websockets;
    hub_options.max_message_bytes = config.ws_max_message_bytes;
    hub_options.max_queued_bytes = config.ws_send_queue_bytes;
    hub_options.ping_interval = std::chrono::seconds(config.ws_ping_interval);
    // Watchers hear of changes through the event log (in the log's order, whichever process made them); the
    // service's own announcements only ring the follower's doorbell.
    std::optional<jppd::event_log::Follower> log_follower;
    // The follower reads an event's invoice only for its watchers (the other subscribers need its id alone). The
    // hub is made after the follower: until then, every invoice is read.
    std::atomic<const jppd::ws::Hub*> watched_by{nullptr};
    jppd::event_log::FollowerOptions follower_options;
    follower_options.wants_invoice = [&watched_by](const jpp::InvoiceId& id) {
        const jppd::ws::Hub* hub = watched_by.load();
        return hub == nullptr || hub->watched(id);
    };
    try {
        log_follower.emplace(db, events, follower_options);
    } catch (const std::exception& e) {
        jppd::log_error(e.what());
        return 1;
    }
    if (!jpp::is_postgres_url(config.db) && config.invoice_cache > 0) {
        // The service's announcements come before the request that caused them is answered; the log's catch the
        // rest.
        const auto forget = [&invoice_cache](const jpp::Event& e) { invoice_cache.invalidate(e.invoice.id); };
        events.subscribe_all(forget);
        log_follower->events().subscribe_all(forget);
        api.invoice_cache = &invoice_cache;
    }
    jppd::ws::Hub watchers(hub_options, service, log_follower->events(), [&api] { return api.json_context(); });
    watched_by = &watchers;
    api.watchers = &watchers;
    api.open_invoice_creation = config.open_invoice_creation || config.dev_mode;
    api.webhook_allow_private = config.webhook_allow_private;
    if (signer) api.signer = &*signer;
    jppd::webhooks::DispatcherOptions webhook_options;
    webhook_options.timeout = std::chrono::seconds(config.webhook_timeout);
    webhook_options.concurrency = config.webhook_concurrency;
    webhook_options.allow_private = config.webhook_allow_private;
    if (auto schedule = jppd::webhooks::parse_retry_schedule(config.webhook_retry_schedule)) {
        webhook_options.retry_schedule = std::move(*schedule);
    } else {
        jppd::log_error(schedule.error().message);
        return 2;
    }
    jppd::api::Routes routes(api);
    jppd::http::Server server(server_options, routes);
    std::string error;
    if (!server.listen(error)) {
        jppd::log_error("cannot listen on " + error);
        return 1;
    }
    // Metrics on a listener of their own: what is served on the public port is the public API alone.
    jppd::api::MetricsEndpoint metrics_endpoint;
    std::optional<jppd::http::Server> metrics_server;
    if (config.metrics_listen != "off") {
        jppd::http::ServerOptions options;
        jppd::split_listen_address(config.metrics_listen, options.host, options.port);
        options.io_threads = 1;
        options.worker_threads = 1;
        options.max_connections = 64;
        options.handle_signals = false;  // stopped below, once the public server has finished
        metrics_server.emplace(options, metrics_endpoint);
        if (!metrics_server->listen(error)) {
            jppd::log_error("cannot listen for metrics on " + error);
            return 1;
        }
    }
    jppd::metrics::set_gauges(
        {[&server] { return static_cast<double>(server.connection_count()); },
         [&watchers] { return static_cast<double>(watchers.session_count()); },
         [&db] {
             auto backlog = db.delivery_backlog();
             return backlog ? static_cast<double>(*backlog) : std::numeric_limits<double>::quiet_NaN();
         },
         server_options.tls ? std::function<double()>([tls = server_options.tls] {
             return static_cast<double>(std::chrono::system_clock::to_time_t(tls->not_after()));
         })
                            : std::function<double()>()});
    const std::string host = server_options.host.find(':') != std::string::npos ? "[" + server_options.host + "]"
                                                                                 : server_options.host;
    const std::string bound =
        std::string(server_options.tls ? "https://" : "http://") + host + ":" + std::to_string(server.port());
    if (api.public_url.empty()) api.public_url = bound;
    while (!api.public_url.empty() && api.public_url.back() == '/') api.public_url.pop_back();
    auto hosts = jppd::http::HostPolicy::make(api.public_url, server_options.host, server.port(), config.allowed_hosts,
                                              error);
    if (!hosts) {
        jppd::log_error(error);
        return 2;
    }
    const std::string served_hosts = hosts->describe();
    server.set_host_policy(std::move(*hosts));

    jppd::log_info("jppd " JPPD_VERSION " listening on " + bound + " (network " + config.network + ", database " +
                   database + ", node " + chain_description + ", public URL " + api.public_url + ")");
    jppd::log_info(api.open_invoice_creation
                       ? "open invoice creation: anyone who can reach this server may create invoices"
                       : "invoice creation needs an API key with invoices:create (jppd key create)");
    if (api.open_invoice_creation && signer)
        jppd::log_warn("open invoice creation with --signing-key: anyone who can reach this server can have an "
                       "invoice of their own served signed with this server's identity; keep such a server private");
    jppd::log_info(config.webhook_allow_private
                       ? "webhooks may be sent to private and loopback addresses (--webhook-allow-private)"
                       : "webhooks are sent to public addresses only");
    jppd::log_info("answering requests for the hosts " + served_hosts);
    if (metrics_server) {
        const std::string metrics_host = config.metrics_listen.substr(0, config.metrics_listen.rfind(':'));
        jppd::log_info("metrics at http://" + metrics_host + ":" + std::to_string(metrics_server->port()) +
                       "/metrics");
    }
    if (config.dev_mode) {
        jppd::log_warn("***************************************************************************");
        jppd::log_warn("* DEV MODE: payments are verified and recorded but NEVER BROADCAST.        *");
        jppd::log_warn("* Do not take real payments with this server. Configure --node-rpc.       *");
        jppd::log_warn("***************************************************************************");
    }
    if (server_options.host == "0.0.0.0" || server_options.host == "::")
        if (config.public_url.empty())
            jppd::log_warn("listening on all interfaces without --public-url: payment URLs will say " + bound);

    {
        jppd::HousekeepingOptions chores;
        chores.retain_expired = std::chrono::hours(24) * config.retain_expired_days;
        chores.sole_writer = !jpp::is_postgres_url(config.db);
        jppd::Housekeeping housekeeping(service, db, clock, chores);
        std::optional<jppd::chain::ChainWatch> chain_watch;
        if (feed) {
            jpp::FollowerOptions follow;
            follow.reversal_window = std::chrono::seconds(config.reversal_window);
            chain_watch.emplace(db, *feed, events, clock, service, follow,
                                std::chrono::milliseconds(config.chain_poll_ms));
        }
        jppd::webhooks::Dispatcher webhooks(db, log_follower->events(), clock,
                                            [&api] { return api.json_context(); }, webhook_options);
        std::thread metrics_thread;
        if (metrics_server) metrics_thread = std::thread([&metrics_server] { metrics_server->run(); });
        server.run();
        if (metrics_server) {
            metrics_server->shutdown();
            metrics_thread.join();
        }
    }
    jppd::log_info("stopped: every request answered, database closed");
    return 0;
}
