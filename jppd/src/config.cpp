#include "config.hpp"

#include <CLI/CLI.hpp>

#include <charconv>

#include "http/client_address.hpp"
#include "http/host_check.hpp"

namespace jppd {

namespace {

constexpr const char* description = R"(jppd - Bitcoin Cash payment invoices over HTTP

jppd serves Watchtower's JSON Payment Protocol API: merchants create invoices
(POST /jpp/invoices/), wallets verify and pay them (POST /jpp/invoices/<id>/verify
and /pay), and each payment is checked output by output, broadcast through a BCH
node and recorded exactly once in a SQLite database.

A node is required: give its JSON-RPC address with --node-rpc. To try jppd
without one, --dev-mode records payments WITHOUT broadcasting them.)";

constexpr const char* footer = R"(
CONFIGURATION
  Every option can also be set in a config file (--config, TOML or INI: one
  'name = value' per line, names as the long options without dashes, e.g.
  node-rpc = "http://127.0.0.1:8332/") or in an environment variable named
  JPPD_ plus the option in capitals with underscores (JPPD_NODE_RPC).
  Flags win over the file, which wins over the environment.

ENDPOINTS
  POST /jpp/invoices/                create an invoice (201)
  GET  /jpp/invoices/<id>/           the invoice
  POST /jpp/invoices/<id>/verify     {"raw_tx_hex": ...}: would it pay?
  POST /jpp/invoices/<id>/pay        {"raw_tx_hex": ...}: broadcast and record
  GET  /healthz                      200 when the database and the node answer
  GET, POST /jpp/i/bitpay/<id>/      BitPay's JSON Payment Protocol (v2 and v1)
  GET, POST /jpp/i/<id>/             BIP70 (application/bitcoincash-*)
  GET  /ws/jpp/invoice/<id>/         WebSocket: told of the payment
  Every invoice URL answers every protocol, chosen by Accept and Content-Type.

CLIENTS, HOSTS AND PROXIES
  Only requests whose Host names the public URL's host (with its port), the
  listen address with its port, or localhost and loopback addresses (when
  bound to loopback; any address when bound to 0.0.0.0 or ::) are served;
  others get 421 (DNS rebinding defence). --allowed-host adds names.
  Each client (an IPv4 address, an IPv6 /64) may hold --max-client-connections
  connections and --max-client-websockets watchers, and send --client-rate
  requests a second after a burst of --client-burst; beyond, 429 with
  Retry-After. Request bodies being read share --max-buffered-body-bytes of
  memory; a body beyond it gets 503 with Retry-After. Behind a proxy, name it
  with --trusted-proxy: the client is then the rightmost address in
  X-Forwarded-For that is not a trusted proxy, or with --proxy-protocol, the
  one its PROXY protocol header (v1 or v2) names. Nobody else's headers count.

SIGNALS
  SIGINT, SIGTERM  stop accepting, finish requests in flight (up to
                   --shutdown-timeout), close the database, exit 0.
                   A second signal closes every connection at once.

ADMINISTRATION (on the database --db names, also while jppd runs)
  jppd merchant add NAME              a merchant, who owns invoices
  jppd merchant list
  jppd key create --merchant NAME --permissions invoices:create,invoices:read
                                      prints the key once; only its hash is kept
  jppd key list                       ids, merchants, permissions, revocations
  jppd key revoke ID                  takes effect at once
  jppd backup FILE [--force]          a consistent copy of the SQLite database,
                                      taken while jppd runs (docs/backups.md)
  jppd check                          integrity, foreign keys and schema version
                                      of the database; exit 1 when not sound

EXAMPLES
  jppd --dev-mode
  jppd --network main --public-url https://pay.example.com \
       --node-rpc http://127.0.0.1:8332/ --node-rpc-cookie ~/.bitcoin/.cookie
)";

}  // namespace

bool split_listen_address(const std::string& listen, std::string& host, std::uint16_t& port) {
    const auto colon = listen.rfind(':');
    if (colon == std::string::npos || colon == 0) return false;
    host = listen.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    const std::string digits = listen.substr(colon + 1);
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty() || value > 65535) return false;
    port = static_cast<std::uint16_t>(value);
    return !host.empty();
}

int parse_command_line(int argc, char** argv, DaemonConfig& c) {
    CLI::App app(description, "jppd");
    app.get_formatter()->column_width(34);
    app.footer(footer);
    app.set_version_flag("--version", std::string("jppd ") + JPPD_VERSION);
    app.set_config("--config", "", "Read options from this file (TOML or INI)");
    app.allow_config_extras(CLI::config_extras_mode::error);  // a misspelt name in the file is an error, not ignored

    const auto listen_check = [](const std::string& value) {
        std::string host;
        std::uint16_t port = 0;
        return split_listen_address(value, host, port) ? std::string() : "expected HOST:PORT, e.g. 127.0.0.1:8000";
    };

    const std::string net = "Serving";
    app.add_option("--listen", c.listen, "Address and port to listen on (HOST:PORT, [IPv6]:PORT)")
        ->envname("JPPD_LISTEN")->capture_default_str()->check(listen_check)->group(net);
    app.add_option("--public-url", c.public_url,
                   "The base URL wallets reach this server by (https://pay.example.com); payment URLs are built "
                   "on it, never on the Host header. Default: http://<listen address>")
        ->envname("JPPD_PUBLIC_URL")->group(net);
    app.add_option("--tls-cert", c.tls_cert,
                   "Serve HTTPS and WSS: the certificate chain (PEM, leaf first); read again on SIGHUP")
        ->envname("JPPD_TLS_CERT")->group(net);
    app.add_option("--tls-key", c.tls_key, "The certificate's private key (PEM); read again on SIGHUP")
        ->envname("JPPD_TLS_KEY")->group(net);
    app.add_option("--threads", c.threads, "I/O threads")->envname("JPPD_THREADS")->capture_default_str()
        ->check(CLI::Range(1u, 256u))->group(net);
    app.add_option("--workers", c.workers, "Threads for requests that wait on the database or the node")
        ->envname("JPPD_WORKERS")->capture_default_str()->check(CLI::Range(1u, 1024u))->group(net);
    app.add_option("--invoice-cache", c.invoice_cache,
                   "Unpaid invoices whose public JSON is kept serialized for GET, each until it changes (0: none; "
                   "always none on PostgreSQL, where other instances change invoices too)")
        ->envname("JPPD_INVOICE_CACHE")->capture_default_str()->check(CLI::Range(std::size_t{0}, std::size_t{1} << 24))
        ->group(net);

    const std::string pay = "Payments";
    app.add_option("--network", c.network, "Which chain addresses and the node belong to")
        ->envname("JPPD_NETWORK")->capture_default_str()->check(CLI::IsMember({"main", "test", "regtest"}))
        ->group(pay);
    app.add_option("--db", c.db,
                   "SQLite database file (created if missing), or a PostgreSQL URL (postgresql://user:password@host/db) "
                   "that several jppd instances may share")
        ->envname("JPPD_DB")->capture_default_str()->group(pay);
    app.add_option("--invoice-lifetime", c.invoice_lifetime,
                   "Seconds an invoice stays payable, unless the create request says otherwise")
        ->envname("JPPD_INVOICE_LIFETIME")->capture_default_str()->check(CLI::Range(10u, 30u * 24 * 3600))
        ->group(pay);
    app.add_option("--fee-rate", c.fee_rate,
                   "Fee rate (sat/byte) invoices require unless the create request names one")
        ->envname("JPPD_FEE_RATE")->capture_default_str()->check(CLI::Range(0.0, 1000.0))->group(pay);
    app.add_flag("--open-invoice-creation", c.open_invoice_creation,
                 "Anyone who can reach jppd may create invoices (on in --dev-mode); otherwise creating one needs "
                 "an API key with invoices:create (jppd key create)")
        ->envname("JPPD_OPEN_INVOICE_CREATION")->group(pay);
    app.add_option("--retain-expired-days", c.retain_expired_days,
                   "Days an invoice that expired unpaid is kept before it is deleted (0: kept forever); paid "
                   "invoices are always kept")
        ->envname("JPPD_RETAIN_EXPIRED_DAYS")->capture_default_str()->check(CLI::Range(0u, 36500u))->group(pay);
    const std::string hooks = "Webhooks";
    app.add_flag("--webhook-allow-private", c.webhook_allow_private,
                 "Allow webhook endpoints on loopback and private addresses (refused otherwise, so that a merchant "
                 "cannot make jppd call into the operator's network)")
        ->envname("JPPD_WEBHOOK_ALLOW_PRIVATE")->group(hooks);
    app.add_option("--webhook-timeout", c.webhook_timeout, "Seconds a delivery attempt may take, connecting included")
        ->envname("JPPD_WEBHOOK_TIMEOUT")->capture_default_str()->check(CLI::Range(1u, 300u))->group(hooks);
    app.add_option("--webhook-retry-schedule", c.webhook_retry_schedule,
                   "Seconds before each retry of a failed delivery, comma-separated; after the last it has failed")
        ->envname("JPPD_WEBHOOK_RETRY_SCHEDULE")->capture_default_str()->group(hooks);
    app.add_option("--webhook-concurrency", c.webhook_concurrency, "Delivery attempts in flight at once")
        ->envname("JPPD_WEBHOOK_CONCURRENCY")->capture_default_str()->check(CLI::Range(1u, 1000u))->group(hooks);
    app.add_option("--max-input-lookups", c.max_input_lookups,
                   "Inputs a payment may have; each is one question to the node (more: 400 payment_too_many_inputs)")
        ->envname("JPPD_MAX_INPUT_LOOKUPS")->capture_default_str()->check(CLI::Range(1u, 100000u))->group(pay);

    const std::string node = "Node";
    app.add_option("--node-rpc", c.node_rpc, "JSON-RPC URL of a BCH node (http://127.0.0.1:8332/)")
        ->envname("JPPD_NODE_RPC")->group(node);
    app.add_option("--node-rpc-user", c.node_rpc_user, "RPC user name")->envname("JPPD_NODE_RPC_USER")->group(node);
    app.add_option("--node-rpc-password", c.node_rpc_password, "RPC password (prefer the environment or the "
                   "config file: flags are visible to other users in ps)")
        ->envname("JPPD_NODE_RPC_PASSWORD")->group(node);
    app.add_option("--node-rpc-cookie", c.node_rpc_cookie, "The node's .cookie file, instead of user and password")
        ->envname("JPPD_NODE_RPC_COOKIE")->group(node);
    app.add_option("--node-rpc-timeout", c.node_rpc_timeout, "Seconds to wait for the node")
        ->envname("JPPD_NODE_RPC_TIMEOUT")->capture_default_str()->check(CLI::Range(1u, 300u))->group(node);
    app.add_option("--confirmations", c.confirmations,
                   "Confirmations an invoice requires unless its request says (0: seen in the mempool)")
        ->envname("JPPD_CONFIRMATIONS")->capture_default_str()->check(CLI::Range(0u, 100u))->group(node);
    app.add_option("--chain-poll-ms", c.chain_poll_ms, "Milliseconds between two looks at the node's chain and mempool")
        ->envname("JPPD_CHAIN_POLL_MS")->capture_default_str()->check(CLI::Range(100u, 600000u))->group(node);
    app.add_option("--reversal-window", c.reversal_window,
                   "Seconds an unmined payment may be missing from the mempool before it is reported reversed")
        ->envname("JPPD_REVERSAL_WINDOW")->capture_default_str()->check(CLI::Range(1u, 30u * 86400u))->group(node);
    app.add_flag("--dev-mode", c.dev_mode,
                 "Run without a node: payments are verified and recorded but NOT broadcast. For development only")
        ->envname("JPPD_DEV_MODE")->group(node);

    const std::string limits = "Limits";
    app.add_option("--max-connections", c.max_connections, "Open connections at most; more are answered 503")
        ->envname("JPPD_MAX_CONNECTIONS")->capture_default_str()->check(CLI::Range(1, 1000000))->group(limits);
    app.add_option("--max-header-bytes", c.max_header_bytes, "Request line and headers, in bytes (431 above)")
        ->envname("JPPD_MAX_HEADER_BYTES")->capture_default_str()->check(CLI::Range(1024, 1 << 20))->group(limits);
    app.add_option("--max-body-bytes", c.max_body_bytes, "Request body, in bytes (413 above)")
        ->envname("JPPD_MAX_BODY_BYTES")->capture_default_str()->check(CLI::Range(1024, 16 << 20))->group(limits);
    app.add_option("--idle-timeout", c.idle_timeout, "Seconds a keep-alive connection may wait between requests")
        ->envname("JPPD_IDLE_TIMEOUT")->capture_default_str()->check(CLI::Range(1u, 3600u))->group(limits);
    app.add_option("--request-timeout", c.request_timeout,
                   "Seconds from a request's first byte to its last (slow clients are cut off with 408)")
        ->envname("JPPD_REQUEST_TIMEOUT")->capture_default_str()->check(CLI::Range(1u, 600u))->group(limits);
    app.add_option("--shutdown-timeout", c.shutdown_timeout, "Seconds requests in flight get on SIGTERM")
        ->envname("JPPD_SHUTDOWN_TIMEOUT")->capture_default_str()->check(CLI::Range(0u, 600u))->group(limits);
    app.add_option("--max-buffered-body-bytes", c.max_buffered_body_bytes,
                   "Memory all request bodies being read may hold together; a body beyond it is answered 503 "
                   "with Retry-After (0: no budget)")
        ->envname("JPPD_MAX_BUFFERED_BODY_BYTES")->capture_default_str()
        ->check(CLI::Range(std::size_t{0}, std::size_t{1} << 40))->group(limits);

    const std::string clients = "Clients, hosts and proxies";
    const auto host_check = [](const std::string& value) {
        std::string host;
        std::optional<std::uint16_t> port;
        return value == "*" || http::split_host_port(value, host, port)
                   ? std::string()
                   : "expected NAME, NAME:PORT, [IPv6], [IPv6]:PORT or *";
    };
    const auto range_check = [](const std::string& value) {
        return http::AddressRange::parse(value) ? std::string() : "expected an IP address or a CIDR block (10.0.0.0/8)";
    };
    app.add_option("--allowed-host", c.allowed_hosts,
                   "A Host the server answers besides the public URL's and the listen address (repeatable; NAME "
                   "allows any port; * allows any host, turning the DNS rebinding defence off)")
        ->envname("JPPD_ALLOWED_HOST")->delimiter(',')->check(host_check)->group(clients);
    app.add_option("--trusted-proxy", c.trusted_proxies,
                   "A proxy (address or CIDR block, repeatable) whose X-Forwarded-For, or PROXY header with "
                   "--proxy-protocol, names the client; no one else's does")
        ->envname("JPPD_TRUSTED_PROXY")->delimiter(',')->check(range_check)->group(clients);
    app.add_flag("--proxy-protocol", c.proxy_protocol,
                 "Connections from trusted proxies begin with a PROXY protocol header (HAProxy's, v1 or v2), which "
                 "names the client")
        ->envname("JPPD_PROXY_PROTOCOL")->group(clients);
    app.add_option("--max-client-connections", c.max_client_connections,
                   "Connections one client (IPv4 address, IPv6 /64) may hold, WebSockets included; more are "
                   "answered 429 (0: no limit)")
        ->envname("JPPD_MAX_CLIENT_CONNECTIONS")->capture_default_str()->check(CLI::Range(0, 1000000))
        ->group(clients);
    app.add_option("--max-client-websockets", c.max_client_websockets,
                   "WebSocket watchers one client may hold; more are answered 429 (0: no limit)")
        ->envname("JPPD_MAX_CLIENT_WEBSOCKETS")->capture_default_str()->check(CLI::Range(0, 1000000))
        ->group(clients);
    app.add_option("--client-rate", c.client_rate,
                   "Requests a second one client may send, sustained; beyond, 429 with Retry-After (0: no limit)")
        ->envname("JPPD_CLIENT_RATE")->capture_default_str()->check(CLI::Range(0.0, 1e6))->group(clients);
    app.add_option("--client-burst", c.client_burst, "Requests one client may send at once, before --client-rate "
                   "applies")
        ->envname("JPPD_CLIENT_BURST")->capture_default_str()->check(CLI::Range(1.0, 1e7))->group(clients);

    const std::string ws = "WebSocket notifications";
    app.add_option("--max-websockets", c.max_websockets,
                   "Open WebSocket watchers at most (they count toward --max-connections too); more are answered 503")
        ->envname("JPPD_MAX_WEBSOCKETS")->capture_default_str()->check(CLI::Range(0, 1000000))->group(ws);
    app.add_option("--ws-max-message-bytes", c.ws_max_message_bytes,
                   "Largest message a watcher may send (larger ones close the connection with 1009)")
        ->envname("JPPD_WS_MAX_MESSAGE_BYTES")->capture_default_str()->check(CLI::Range(125, 16 << 20))->group(ws);
    app.add_option("--ws-send-queue-bytes", c.ws_send_queue_bytes,
                   "Bytes queued for a watcher that is not reading before it is dropped (at least two of the largest "
                   "events: jppd refuses to start with less, and says how much)")
        ->envname("JPPD_WS_SEND_QUEUE_BYTES")->capture_default_str()->check(CLI::Range(4096, 64 << 20))->group(ws);
    app.add_option("--ws-ping-interval", c.ws_ping_interval,
                   "Seconds between pings; a watcher silent for a whole interval after a ping is dropped")
        ->envname("JPPD_WS_PING_INTERVAL")->capture_default_str()->check(CLI::Range(1u, 3600u))->group(ws);

    const std::string wallets = "Wallet protocols";
    app.add_option("--signing-key", c.signing_key,
                   "File holding a secp256k1 key (WIF or 64 hex digits) that signs every JSON Payment Protocol "
                   "answer, as bitcore-based wallets require; keep it readable by jppd alone")
        ->envname("JPPD_SIGNING_KEY")->group(wallets);
    app.add_flag("--print-identity", c.print_identity,
                 "Print the signing key's identity (x-identity) and public key, for wallet operators, and exit")
        ->group(wallets);

    app.add_option("--metrics-listen", c.metrics_listen,
                   "Where /metrics (Prometheus) is served: HOST:PORT of a listener of its own, or \"off\"")
        ->envname("JPPD_METRICS_LISTEN")->capture_default_str()
        ->check([listen_check](const std::string& value) {
            return value == "off" ? std::string() : listen_check(value);
        })
        ->group("Logging and metrics");
    app.add_option("--log-level", c.log_level, "error, warn, info (one line per request) or debug")
        ->envname("JPPD_LOG_LEVEL")->capture_default_str()
        ->check(CLI::IsMember({"error", "warn", "info", "debug"}))->group("Logging and metrics");
    app.add_option("--log-format", c.log_format,
                   "text (one line per event) or json (one object per line, for log shippers)")
        ->envname("JPPD_LOG_FORMAT")->capture_default_str()->check(CLI::IsMember({"text", "json"}))
        ->group("Logging and metrics");

    // Administration of the database --db names; they work beside a running jppd.
    auto* merchant = app.add_subcommand("merchant", "Merchants: add NAME, list")->require_subcommand(1);
    auto* merchant_add = merchant->add_subcommand("add", "Add a merchant");
    merchant_add->add_option("name", c.admin_name, "lower-case letters, digits, '.', '_', '-'")->required();
    auto* merchant_list = merchant->add_subcommand("list", "List the merchants");
    auto* key = app.add_subcommand("key", "API keys: create, list, revoke")->require_subcommand(1);
    auto* key_create = key->add_subcommand("create", "Create a key for a merchant; it is printed once");
    key_create->add_option("--merchant", c.admin_merchant, "The merchant's name")->required();
    key_create->add_option("--permissions", c.admin_permissions,
                           "invoices:create, invoices:read, webhooks:manage, comma-separated")->required();
    auto* key_list = key->add_subcommand("list", "List the keys (never their secrets)");
    auto* key_revoke = key->add_subcommand("revoke", "Revoke a key at once");
    key_revoke->add_option("id", c.admin_key_id, "The key's id, as 'key list' shows it")->required();
    auto* webhook = app.add_subcommand("webhook", "Webhook endpoints: add, list, remove")->require_subcommand(1);
    auto* webhook_add = webhook->add_subcommand("add", "Add an endpoint for a merchant; its secret is printed once");
    webhook_add->add_option("--merchant", c.admin_merchant, "The merchant's name")->required();
    webhook_add->add_option("--url", c.admin_url, "Where deliveries are POSTed (http:// or https://)")->required();
    webhook_add->add_option("--events", c.admin_events,
                            "Event types, comma-separated (default: all): invoice_created, payment_received, "
                            "invoice_expired, invoice_cancelled, payment_confirmed, payment_reversed");
    auto* webhook_list = webhook->add_subcommand("list", "List the endpoints (never their secrets)");
    auto* webhook_remove = webhook->add_subcommand("remove", "Remove an endpoint and its pending deliveries");
    webhook_remove->add_option("id", c.admin_webhook_id, "The endpoint's id, as 'webhook list' shows it")->required();
    auto* backup_command = app.add_subcommand("backup", "Copy the SQLite database, consistently, while jppd runs");
    backup_command->add_option("file", c.admin_backup_file, "Where the copy goes; refused if it exists, unless --force")
        ->required();
    backup_command->add_flag("--force", c.admin_force, "Replace FILE if it exists");
    auto* check_command = app.add_subcommand("check", "Check the database: integrity, foreign keys, schema version");
    for (auto* sub : {merchant, merchant_add, merchant_list, key, key_create, key_list, key_revoke, webhook, webhook_add,
                      webhook_list, webhook_remove, backup_command, check_command})
        sub->fallthrough();

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    for (auto* sub : {merchant_add, merchant_list, key_create, key_list, key_revoke, webhook_add, webhook_list,
                      webhook_remove})
        if (sub->parsed()) c.admin_command = sub->get_parent()->get_name() + " " + sub->get_name();
    for (auto* sub : {backup_command, check_command})
        if (sub->parsed()) c.admin_command = sub->get_name();
    if (!c.admin_command.empty()) return -1;
    if (c.print_identity) {
        if (c.signing_key.empty()) {
            std::fprintf(stderr, "jppd: --print-identity needs --signing-key FILE\n");
            return 2;
        }
        return -1;
    }
    if (c.tls_cert.empty() != c.tls_key.empty()) {
        std::fprintf(stderr, "jppd: --tls-cert and --tls-key go together\n");
        return 2;
    }
    if (c.proxy_protocol && c.trusted_proxies.empty()) {
        std::fprintf(stderr, "jppd: --proxy-protocol needs --trusted-proxy: only trusted proxies' headers are read\n");
        return 2;
    }
    if (c.max_buffered_body_bytes != 0 && c.max_buffered_body_bytes < c.max_body_bytes) {
        std::fprintf(stderr, "jppd: --max-buffered-body-bytes must be 0 or at least --max-body-bytes\n");
        return 2;
    }
    if (!c.node_rpc_cookie.empty() && (!c.node_rpc_user.empty() || !c.node_rpc_password.empty())) {
        std::fprintf(stderr, "jppd: give either --node-rpc-cookie or --node-rpc-user/--node-rpc-password\n");
        return 2;
    }
    if (c.dev_mode && !c.node_rpc.empty()) {
        std::fprintf(stderr, "jppd: --dev-mode and --node-rpc exclude each other: dev mode never broadcasts\n");
        return 2;
    }
    if (!c.dev_mode && c.node_rpc.empty()) {
        std::fprintf(stderr,
                     "jppd: no node configured. Give --node-rpc URL (payments are broadcast through it), or\n"
                     "      --dev-mode to record payments without broadcasting them (development only).\n");
        return 2;
    }
    return -1;
}

std::string shown_database(const std::string& db) {
    const auto scheme = db.find("://");
    if (scheme == std::string::npos || !(db.starts_with("postgresql") || db.starts_with("postgres"))) return db;
    const auto at = db.find('@', scheme + 3);
    const auto colon = db.find(':', scheme + 3);
    if (at == std::string::npos || colon == std::string::npos || colon > at) return db;
    return db.substr(0, colon + 1) + "***" + db.substr(at);
}

}  // namespace jppd
