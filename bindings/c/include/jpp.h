/* libjpp C ABI: Bitcoin Cash payment invoices for any language that can call C.
 *
 * Conventions (stable within a major version):
 * - Functions return an int status: JPP_OK (0) or a positive error code; jpp_error_name() names it and
 *   jpp_last_error() holds the human message of this thread's last failed call.
 * - Outputs come last-but-listed first as `out` pointers; on failure they are set to NULL / 0.
 * - Every string or buffer returned through an `out` pointer is owned by the caller and freed with
 *   jpp_string_free() or jpp_bytes_free(). Input pointers are borrowed for the duration of the call.
 * - No C++ exception crosses this boundary.
 * - Thread safety: every function may be called from any thread. A jpp_service may be used from several threads
 *   at once; jpp_service_close() must not race with other calls on the same service.
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
JPP_API const char* jpp_version(void);
JPP_API int jpp_version_number(void);

/* The stable lower_snake_case name of a status ("ok", "truncated", "invoice_not_found" ...); never NULL. */
JPP_API const char* jpp_error_name(int status);
/* The message of the last failed call on this thread ("" if none). Valid until the next call on this thread. */
JPP_API const char* jpp_last_error(void);

/* Free what the library returned. NULL is allowed. */
JPP_API void jpp_string_free(char* string);
JPP_API void jpp_bytes_free(uint8_t* bytes);

/* Decodes a raw transaction (hex) strictly and writes its JSON:
 * {"txid","version","locktime","size","inputs":[{"txid","vout","sequence","unlocking_bytecode"}],
 *  "outputs":[{"value","locking_bytecode","address"?,"token"?}]}. */
JPP_API int jpp_transaction_decode(const char* raw_hex, int network, char** out_json);

/* Address (CashAddr or legacy) -> locking bytecode, and back (CashAddr; token_aware picks the z/r form). */
JPP_API int jpp_address_to_locking_bytecode(const char* address, int network, uint8_t** out_bytes,
                                            size_t* out_length);
JPP_API int jpp_locking_bytecode_to_address(const uint8_t* bytecode, size_t length, int network,
                                            int token_aware, char** out_address);

/* The offline signer, for tests and for hosts that unit-test their payment logic: spends P2PKH coins of one
 * compressed WIF key with SIGHASH_ALL|FORKID. coins_json: [{"txid": display hex, "vout": n, "value": sat}];
 * outputs_json: [{"address": "...", "amount": sat}] in order; no change is added (the remainder is the fee).
 * Writes the signed transaction as hex. */
JPP_API int jpp_sign_p2pkh(const char* wif, const char* coins_json, const char* outputs_json, int network,
                           char** out_raw_hex);

/* Validates a create request (the native API's JSON body) for `network` and writes the invoice it describes,
 * storing nothing. */
JPP_API int jpp_invoice_build(const char* request_json, int network, char** out_invoice_json);

/* Verifies a transaction against the invoice a create request describes, offline and without a store.
 * `spent_outputs` is NULL (inputs not checked) or the outputs the inputs spend, as comma-separated hex of their
 * wire form. Writes the verdict as jpp_service_verify() does; an invalid payment is an error status. */
JPP_API int jpp_verify_offline(const char* request_json, int network, const char* raw_hex,
                               const char* spent_outputs, char** out_verdict_json);

/* A chain backend the host implements. Each callback returns JPP_OK or an error status (for instance the
 * value of jpp_error_code("broadcast_rejected")) and may set *out_message to a malloc()ed string that the
 * library frees with free(). Any callback may be NULL: broadcast NULL records payments without broadcasting
 * (development only); spent_outputs NULL means inputs are not checked. */
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
JPP_API int jpp_error_code(const char* name);

typedef struct jpp_service jpp_service;

/* Event callback: `type` is "payment_received" or "invoice_expired", `json` the WebSocket message. It may be
 * called on any thread that pays or announces; the strings are valid during the call only. */
typedef void (*jpp_event_callback)(void* user_data, const char* type, const char* json);

/* Opens a service over a SQLite file. `chain` may be NULL (no broadcast, inputs not checked). `public_url` is
 * the base of payment_url (e.g. "https://pay.example.com"). */
JPP_API int jpp_service_open(jpp_service** out_service, const char* db_path, int network,
                             const char* public_url, const jpp_chain_callbacks* chain);
/* Closes the service and its database; NULL is allowed. */
JPP_API void jpp_service_close(jpp_service* service);

/* Every call below writes JSON into *out_json: an invoice for create/get/pay, a verdict for verify
 * ({"valid":true,"inputs_checked":bool,"fee":n,"size":n,"message":...}). Request bodies are the native API's. */
JPP_API int jpp_service_create_invoice(jpp_service* service, const char* request_json, char** out_json);
JPP_API int jpp_service_get_invoice(jpp_service* service, const char* invoice_id, char** out_json);
JPP_API int jpp_service_verify(jpp_service* service, const char* invoice_id, const char* raw_hex, char** out_json);
JPP_API int jpp_service_pay(jpp_service* service, const char* invoice_id, const char* request_json, char** out_json);
/* Announces invoice_expired for invoices that expired unpaid; writes how many to *out_count. */
JPP_API int jpp_service_announce_expired(jpp_service* service, size_t* out_count);

/* Subscribes to every event; returns a subscription id (> 0) in *out_id. */
JPP_API int jpp_service_subscribe(jpp_service* service, jpp_event_callback callback, void* user_data,
                                  uint64_t* out_id);
JPP_API int jpp_service_unsubscribe(jpp_service* service, uint64_t id);

#ifdef __cplusplus
}
#endif

#endif /* JPP_H */
