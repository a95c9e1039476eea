// jppd's settings, from flags, environment variables (JPPD_*) and a config file, in that order of precedence.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace jppd {

struct DaemonConfig {
    // Where to serve
    std::string listen = "127.0.0.1:8000";
    std::string public_url;  // default: http(s)://<listen address>
    std::string tls_cert, tls_key;  // both or neither: HTTPS and WSS on the listening port
    unsigned threads = 2;    // I/O threads
    unsigned workers = 64;   // threads for requests that wait on the disk or the node
    std::size_t invoice_cache = 10000;  // invoices whose public JSON is kept serialized (api/invoice_cache.hpp)

    // Payments
    std::string network = "main";
    std::string db = "jppd.sqlite3";
    unsigned invoice_lifetime = 30 * 60;  // seconds
    double fee_rate = 1.0;                // sat/byte, what invoices require unless the request says otherwise
    unsigned retain_expired_days = 30;    // unpaid expired invoices are deleted this long after expiry; 0: kept
    unsigned max_input_lookups = 700;     // inputs a payment may have: each is one question to the node

    // The node
    std::string node_rpc;
    std::string node_rpc_user;
    std::string node_rpc_password;
    std::string node_rpc_cookie;
    unsigned node_rpc_timeout = 10;  // seconds
    bool dev_mode = false;

    // Following the chain (with a node)
    unsigned confirmations = 1;         // what invoices require unless the request says otherwise
    unsigned chain_poll_ms = 2000;      // between rounds of the chain follower
    unsigned reversal_window = 3600;    // seconds an unmined payment may be missing before it is reported reversed
    bool open_invoice_creation = false;  // anyone may create invoices (always so in dev mode)

    // Limits
    std::size_t max_connections = 10000;
    std::size_t max_header_bytes = 16 * 1024;
    std::size_t max_body_bytes = 512 * 1024;
    unsigned idle_timeout = 60;     // seconds between requests on a keep-alive connection
    unsigned request_timeout = 10;  // seconds from a request's first byte to its last
    unsigned shutdown_timeout = 10;
    std::size_t max_buffered_body_bytes = 128 * 1024 * 1024;  // all bodies being read, together; 0: no budget

    // Clients and proxies
    std::vector<std::string> allowed_hosts;    // Host values served beyond the public URL's and the listen address
    std::vector<std::string> trusted_proxies;  // addresses or CIDR blocks whose word on the client is taken
    bool proxy_protocol = false;               // trusted proxies send a PROXY protocol header first
    std::size_t max_client_connections = 100;  // per client (IPv4 address, IPv6 /64); 0: no limit
    std::size_t max_client_websockets = 50;
    double client_rate = 50;    // requests per second per client, sustained; 0: no limit
    double client_burst = 500;  // requests per client at once

    // WebSocket watchers
    std::size_t max_websockets = 8000;       // of max_connections
    std::size_t ws_max_message_bytes = 16 * 1024;
    // At least two of the largest events the service's limits allow (about 1.6 MB; jppd refuses less at start).
    // Events are shared between watchers: the queue's size costs nothing until a watcher falls behind.
    std::size_t ws_send_queue_bytes = 2 * 1024 * 1024;
    unsigned ws_ping_interval = 30;  // seconds

    // Webhooks
    bool webhook_allow_private = false;  // endpoints on loopback and private addresses are allowed
    unsigned webhook_timeout = 10;       // seconds an attempt may take, connection included
    // Seconds to wait before each retry; after the last, the delivery has failed. 10 s, 1 min, then every 10 min
    // for an hour.
    std::string webhook_retry_schedule = "10,60,600,600,600,600,600,600";
    unsigned webhook_concurrency = 16;   // attempts in flight at once (each to a different endpoint)

    // Wallet protocols
    std::string signing_key;      // file with the key that signs JSON Payment Protocol answers
    bool print_identity = false;  // print the key's identity and exit

    std::string log_level = "info";
    std::string log_format = "text";  // or "json"
    std::string metrics_listen = "127.0.0.1:9464";  // or "off"

    // An administrative subcommand instead of serving (admin.hpp): "merchant add", "merchant list", "key create",
    // "key list", "key revoke", "webhook add|list|remove", "backup", "check"; empty to serve.
    std::string admin_command;
    std::string admin_name;         // merchant add NAME
    std::string admin_merchant;     // key create --merchant NAME
    std::string admin_permissions;  // key create --permissions LIST
    std::string admin_key_id;       // key revoke ID
    std::string admin_url;          // webhook add --url URL
    std::string admin_events;       // webhook add --events LIST (empty: every type)
    std::string admin_webhook_id;   // webhook remove ID
    std::string admin_backup_file;  // backup FILE
    bool admin_force = false;       // backup --force: replace FILE
};

// Parses argv. Returns -1 to go on, or the exit code to leave with (0 after --help / --version, 2 on a usage
// error, with the message already printed).
int parse_command_line(int argc, char** argv, DaemonConfig& config);

// The database setting as logs may show it: a PostgreSQL URL's password replaced by "***".
std::string shown_database(const std::string& db);

// "host:port" or "[v6]:port" -> host and port; false if malformed.
bool split_listen_address(const std::string& listen, std::string& host, std::uint16_t& port);

}  // namespace jppd
