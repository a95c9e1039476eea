/* libjpp C ABI: Bitcoin Cash payment invoices for any language that can call C.
 *
 * Conventions (stable within a major version):
 * - Functions return an int status: JPP_OK (0) or a positive error code; jpp_error_name() names it and
 *   jpp_last_error() holds the human message of this thread's last failed call.
 * - Outputs come last-but-listed first as `out` pointers; on failure they are set to NULL / 0.
 * - Every string or buffer returned through an `out` pointer is owned by the caller and freed with
 *   jpp_string_free() or jpp_bytes_free(). Input pointers are borrowed for the duration of the call.
 * - No C++ exception crosses this boundary: from C++ every function is declared noexcept, and an exception
 *   thrown by a host callback (a host written in C++) is caught where the library calls it. A throwing chain
 *   callback fails the call with chain_unavailable; a throwing event callback loses that event, nothing else.
 * - Thread safety: every function may be called from any thread, and a jpp_service from several threads at once.
 *   jpp_service_close() waits for the calls in flight on the service (those on other threads) to return and
 *   refuses new ones while it waits; calling the service once jpp_service_close() has returned uses freed memory.
 * - Callbacks (chain and event) run on the thread of the call that makes them (pay, verify, announce_expired),
 *   inside that call, possibly on several threads at once. They may call the library, the same service included
 *   (nested calls are fine), except jpp_service_close() of that same service, which is refused with
 *   invalid_argument while the thread is inside one of its calls (the service stays open).
 */
#ifndef JPP_H
#define JPP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(JPP_C_BUILDING)
#define JPP_API __attribute__((visibility("default")))
#else
#define JPP_API
#endif
#if defined(__cplusplus)
#define JPP_NOEXCEPT noexcept
#else
#define JPP_NOEXCEPT
#endif

#define JPP_VERSION_MAJOR 0
#define JPP_VERSION_MINOR 1
#define JPP_VERSION_PATCH 0
/* Compile-time version as one number: major * 10000 + minor * 100 + patch. */
#define JPP_VERSION_NUMBER (JPP_VERSION_MAJOR * 10000 + JPP_VERSION_MINOR * 100 + JPP_VERSION_PATCH)

#define JPP_OK 0

/* Networks. Functions take them as int, so that any value a caller passes is defined behaviour (an unknown one is
 * refused with invalid_argument). */
typedef enum jpp_network { JPP_NETWORK_MAIN = 0, JPP_NETWORK_TEST = 1, JPP_NETWORK_REGTEST = 2 } jpp_network;

/* Run-time version of the library, e.g. "0.1.0", and as a number like JPP_VERSION_NUMBER. */
JPP_API const char* jpp_version(void) JPP_NOEXCEPT;
JPP_API int jpp_version_number(void) JPP_NOEXCEPT;

/* The stable lower_snake_case name of a status ("ok", "truncated", "invoice_not_found" ...); never NULL. */
JPP_API const char* jpp_error_name(int status) JPP_NOEXCEPT;
/* The message of the last failed call on this thread ("" if none). Valid until the next call on this thread. */
JPP_API const char* jpp_last_error(void) JPP_NOEXCEPT;

/* Free what the library returned. NULL is allowed. */
JPP_API void jpp_string_free(char* string) JPP_NOEXCEPT;
JPP_API void jpp_bytes_free(uint8_t* bytes) JPP_NOEXCEPT;

/* Decodes a raw transaction (hex) strictly and writes its JSON:
 * {"txid","version","locktime","size","inputs":[{"txid","vout","sequence","unlocking_bytecode"}],
 *  "outputs":[{"value","locking_bytecode","address"?,"token"?}]}. */
JPP_API int jpp_transaction_decode(const char* raw_hex, int network, char** out_json) JPP_NOEXCEPT;

/* Address (CashAddr or legacy) -> locking bytecode, and back (CashAddr; token_aware picks the z/r form). */
JPP_API int jpp_address_to_locking_bytecode(const char* address, int network, uint8_t** out_bytes,
                                            size_t* out_length) JPP_NOEXCEPT;
JPP_API int jpp_locking_bytecode_to_address(const uint8_t* bytecode, size_t length, int network,
                                            int token_aware, char** out_address) JPP_NOEXCEPT;

/* The offline signer, for tests and for hosts that unit-test their payment logic: spends P2PKH coins of one
 * compressed WIF key with SIGHASH_ALL|FORKID. coins_json: [{"txid": display hex, "vout": n, "value": sat}];
 * outputs_json: [{"address": "...", "amount": sat}] in order; no change is added (the remainder is the fee).
 * Writes the signed transaction as hex. Each JSON text may be up to 64 MiB with 4 levels of nesting (json_invalid
 * beyond); coins holding more than 21,000,000 BCH in total are refused (invalid_argument). Signing time grows
 * linearly with the number of coins. */
JPP_API int jpp_sign_p2pkh(const char* wif, const char* coins_json, const char* outputs_json, int network,
                           char** out_raw_hex) JPP_NOEXCEPT;

/* Validates a create request (the native API's JSON body) for `network` and writes the invoice it describes,
 * storing nothing. */
JPP_API int jpp_invoice_build(const char* request_json, int network, char** out_invoice_json) JPP_NOEXCEPT;

/* Verifies a transaction against the invoice a create request describes, offline and without a store.
 * `spent_outputs` is NULL (inputs not checked) or the outputs the inputs spend, as comma-separated hex of their
 * wire form. Writes the verdict as jpp_service_verify() does; an invalid payment is an error status. */
JPP_API int jpp_verify_offline(const char* request_json, int network, const char* raw_hex,
                               const char* spent_outputs, char** out_verdict_json) JPP_NOEXCEPT;

/* Webhook signatures, as jppd sends them in its X-JPP-Signature header: "t=<unix seconds>,v1=<64 hex digits>",
 * the hex being HMAC-SHA256 keyed with the endpoint's whole secret ("whsec_...", prefix included) over "<t>.<body>".
 *
 * jpp_webhook_verify(): JPP_OK when a v1 of the header (there may be several, during a rotation of the secret)
 * matches `body` and its t is within tolerance_seconds of now_unix, either way; else signature_invalid (a header
 * that is malformed, longer than 4096 bytes, or matches no v1; an empty secret) or signature_expired (authentic but
 * too old, or too far ahead). now_unix 0 means the current time. body may be NULL when body_length is 0;
 * NULL strings and a negative tolerance are invalid_argument. Pass the body exactly as received, before any
 * parsing. */
JPP_API int jpp_webhook_verify(const char* secret, const char* signature_header, const uint8_t* body,
                               size_t body_length, int64_t now_unix, int64_t tolerance_seconds) JPP_NOEXCEPT;
/* Writes the header value that signs `body` at at_unix (0: now; negative is invalid_argument), for hosts that
 * send their own webhooks and for tests. An empty secret is invalid_argument. */
JPP_API int jpp_webhook_sign(const char* secret, const uint8_t* body, size_t body_length, int64_t at_unix,
                             char** out_header) JPP_NOEXCEPT;

/* A chain backend the host implements. Each callback returns JPP_OK or an error status (for instance the
 * value of jpp_error_code("broadcast_rejected")) and may set *out_message to a malloc()ed string that the
 * library frees with free(). Any callback may be NULL: broadcast NULL records payments without broadcasting
 * (development only); spent_outputs NULL means inputs are not checked.
 * broadcast answers jpp_error_code("tx_already_known") when the node already holds the transaction (never JPP_OK:
 * only the service knows whether it sent it before, and a transaction that reached the network another way must
 * not settle an invoice), "broadcast_rejected" when the node refused it, and "chain_unavailable" when the outcome
 * is unknown (the payment is then retried or reconciled). spent_outputs answers an error status only when it
 * could not ask: the payment then fails rather than skip the fee check. */
typedef struct jpp_chain_callbacks {
    int version; /* JPP_CHAIN_CALLBACKS_VERSION */
    void* user_data;
    int (*broadcast)(void* user_data, const char* raw_hex, const char* txid, char** out_message);
    /* Writes, for each input of `raw_hex` in order, the spent output as hex of its wire form (value,
     * CompactSize length, token prefix + locking bytecode) into a malloc()ed, comma-separated string; or leaves
     * *out_outputs NULL when unknown. */
    int (*spent_outputs)(void* user_data, const char* raw_hex, char** out_outputs, char** out_message);
} jpp_chain_callbacks;
#define JPP_CHAIN_CALLBACKS_VERSION 1

/* The status code of a name from jpp_error_name(), or -1 for an unknown name. */
JPP_API int jpp_error_code(const char* name) JPP_NOEXCEPT;

typedef struct jpp_service jpp_service;

/* Event callback: `type` is "payment_received" or "invoice_expired" (the library's other event types are not
 * forwarded through this ABI), `json` the WebSocket message. It is called
 * on the thread that pays or announces, inside that call, and may run on several threads at once; the strings
 * are valid during the call only. */
typedef void (*jpp_event_callback)(void* user_data, const char* type, const char* json);

/* Opens a service over a SQLite file, or a PostgreSQL database when `db_path` is a "postgresql://" URL (in a
 * library built with PostgreSQL; several processes may then share it). `chain` may be NULL (no broadcast, inputs not checked). `public_url` is
 * the base of payment_url (e.g. "https://pay.example.com"). */
JPP_API int jpp_service_open(jpp_service** out_service, const char* db_path, int network,
                             const char* public_url, const jpp_chain_callbacks* chain) JPP_NOEXCEPT;
/* Closes the service and its database, and frees it; NULL is allowed (JPP_OK). It first waits for the calls on
 * the service in flight on other threads to return (their callbacks included), and refuses calls that start
 * meanwhile ("the service is closed"). When it returns JPP_OK no callback of the service is running or will run.
 * From inside a callback of this same service (event or chain) it is refused with invalid_argument and the service
 * stays open: close it once the call that ran the callback has returned. */
JPP_API int jpp_service_close(jpp_service* service) JPP_NOEXCEPT;

/* Every call below writes JSON into *out_json: an invoice for create/get/pay, a verdict for verify
 * ({"valid":true,"inputs_checked":bool,"fee":n,"size":n,"message":...}). Request bodies are the native API's,
 * read with jppd's limits: up to 512 KiB and 16 levels of nesting (so a standard 100,000-byte transaction, 200,000
 * hex digits, can be paid); the same holds for jpp_invoice_build() and jpp_verify_offline(). */
JPP_API int jpp_service_create_invoice(jpp_service* service, const char* request_json, char** out_json) JPP_NOEXCEPT;
JPP_API int jpp_service_get_invoice(jpp_service* service, const char* invoice_id, char** out_json) JPP_NOEXCEPT;
JPP_API int jpp_service_verify(jpp_service* service, const char* invoice_id, const char* raw_hex,
                               char** out_json) JPP_NOEXCEPT;
JPP_API int jpp_service_pay(jpp_service* service, const char* invoice_id, const char* request_json,
                            char** out_json) JPP_NOEXCEPT;
/* Announces invoice_expired for invoices that expired unpaid; writes how many to *out_count. */
JPP_API int jpp_service_announce_expired(jpp_service* service, size_t* out_count) JPP_NOEXCEPT;

/* Subscribes to every event; returns a subscription id (> 0, never reused by the service) in *out_id.
 *
 * jpp_service_unsubscribe(): once it returns, the callback is neither running nor called again, on any thread, so
 * the host may free user_data then. It waits for the callback's calls in flight on other threads; called from
 * inside that very callback it does not wait for itself (the callback runs to its end, and is not called again).
 * An id that is unknown or already unsubscribed is not an error: JPP_OK, nothing happens (unsubscribing is
 * idempotent). One case is refused with invalid_argument: from inside a callback, unsubscribing another
 * subscription whose callback is, on another thread, at that moment unsubscribing this one (each would wait for
 * the other forever); the subscription is removed all the same, but its call in flight may still be running. */
JPP_API int jpp_service_subscribe(jpp_service* service, jpp_event_callback callback, void* user_data,
                                  uint64_t* out_id) JPP_NOEXCEPT;
JPP_API int jpp_service_unsubscribe(jpp_service* service, uint64_t id) JPP_NOEXCEPT;

#ifdef __cplusplus
}
#endif

#endif /* JPP_H */
