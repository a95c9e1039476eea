#include "jpp/signer.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <secp256k1.h>

#include <algorithm>
#include <array>
#include <stdexcept>

#include "jpp/base58.hpp"

namespace jpp {
namespace {

// One context for the process, randomized once against side channels; libsecp256k1 allows concurrent use of a
// context through const functions, which signing and key derivation are.
const secp256k1_context* context() {
    static const secp256k1_context* ctx = [] {
        secp256k1_context* c = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
        std::array<unsigned char, 32> seed{};
        if (c == nullptr || RAND_bytes(seed.data(), static_cast<int>(seed.size())) != 1 ||
            secp256k1_context_randomize(c, seed.data()) != 1)
            throw std::runtime_error("cannot initialize libsecp256k1");
        OPENSSL_cleanse(seed.data(), seed.size());
        return c;
    }();
    return ctx;
}

constexpr std::uint8_t wif_mainnet = 0x80;
constexpr std::uint8_t wif_testnet = 0xef;

Hash256 hash_of(const Bytes& data) { return sha256d(data); }

Bytes p2pkh_script(const Hash160& hash) {
    Bytes script{0x76, 0xa9, 0x14};
    script.insert(script.end(), hash.begin(), hash.end());
    script.push_back(0x88);
    script.push_back(0xac);
    return script;
}

// A minimal push of up to 75 bytes: one length byte, then the data.
void push_data(Bytes& script, ByteView data) {
    script.push_back(static_cast<std::uint8_t>(data.size()));
    script.insert(script.end(), data.begin(), data.end());
}

}  // namespace

Result<PrivateKey> PrivateKey::from_bytes(ByteView secret) {
    if (secret.size() != 32)
        return make_error(Errc::invalid_private_key, "a private key is 32 bytes, got " + std::to_string(secret.size()));
    if (secp256k1_ec_seckey_verify(context(), secret.data()) != 1)
        return make_error(Errc::invalid_private_key, "private key is zero or not below the curve order");
    std::array<std::uint8_t, 32> key;
    std::copy(secret.begin(), secret.end(), key.begin());
    return PrivateKey(key);
}

Result<PrivateKey> PrivateKey::from_wif(std::string_view wif) {
    auto data = base58check_decode(wif);
    if (!data) return make_error(Errc::invalid_private_key, "WIF: " + data.error().message);
    Bytes& bytes = *data;
    if (bytes.size() != 34 || (bytes[0] != wif_mainnet && bytes[0] != wif_testnet) || bytes[33] != 0x01) {
        OPENSSL_cleanse(bytes.data(), bytes.size());
        return make_error(Errc::invalid_private_key, "WIF: expected a compressed mainnet or testnet key");
    }
    auto key = from_bytes(ByteView(bytes.data() + 1, 32));
    OPENSSL_cleanse(bytes.data(), bytes.size());
    return key;
}

std::string PrivateKey::to_wif(bool mainnet) const {
    Bytes data{mainnet ? wif_mainnet : wif_testnet};
    data.insert(data.end(), secret_.begin(), secret_.end());
    data.push_back(0x01);
    std::string wif = base58check_encode(data);
    OPENSSL_cleanse(data.data(), data.size());
    return wif;
}

std::array<std::uint8_t, 33> PrivateKey::public_key() const {
    secp256k1_pubkey pubkey;
    if (secp256k1_ec_pubkey_create(context(), &pubkey, secret_.data()) != 1)
        throw std::logic_error("a verified private key has no public key");
    std::array<std::uint8_t, 33> out;
    std::size_t length = out.size();
    secp256k1_ec_pubkey_serialize(context(), out.data(), &length, &pubkey, SECP256K1_EC_COMPRESSED);
    return out;
}

Hash160 PrivateKey::public_key_hash() const { return hash160(public_key()); }

namespace {

secp256k1_ecdsa_signature sign_digest(const std::array<std::uint8_t, 32>& secret, const Hash256& digest) {
    secp256k1_ecdsa_signature signature;
    // Default nonce function: RFC 6979, so signatures are deterministic and reproducible in tests; libsecp256k1
    // always produces low-S.
    if (secp256k1_ecdsa_sign(context(), &signature, digest.data(), secret.data(), nullptr, nullptr) != 1)
        throw std::logic_error("ECDSA signing failed with a verified key");
    return signature;
}

}  // namespace

std::array<std::uint8_t, 64> PrivateKey::sign_compact(const Hash256& digest) const {
    const secp256k1_ecdsa_signature signature = sign_digest(secret_, digest);
    std::array<std::uint8_t, 64> out;
    secp256k1_ecdsa_signature_serialize_compact(context(), out.data(), &signature);
    return out;
}

Bytes PrivateKey::sign_ecdsa(const Hash256& digest) const {
    const secp256k1_ecdsa_signature signature = sign_digest(secret_, digest);
    std::array<unsigned char, 72> der;
    std::size_t length = der.size();
    secp256k1_ecdsa_signature_serialize_der(context(), der.data(), &length, &signature);
    return Bytes(der.begin(), der.begin() + static_cast<std::ptrdiff_t>(length));
}

namespace {

// The parts of the preimage that every input of a transaction shares. Computed once per transaction and hash type
// (not once per input, which made signing n inputs take n^2 time).
struct SharedDigests {
    Hash256 prevouts{}, sequences{}, outputs{}, utxos{};
};

struct HashType {
    std::uint32_t base;
    bool anyone_can_pay, utxos;
    HashType(std::uint32_t type, bool cashtokens)
        : base(type & 0x1f), anyone_can_pay(type & sighash_anyonecanpay), utxos(cashtokens && (type & sighash_utxos)) {}
    bool all_outputs() const { return base != sighash_single && base != sighash_none; }
};

Status check_preimage_arguments(const Transaction& tx, std::span<const Output> spent, std::uint32_t sighash_type) {
    if (spent.size() != tx.inputs.size())
        return make_error(Errc::invalid_argument, std::to_string(spent.size()) + " spent outputs given for " +
                                                      std::to_string(tx.inputs.size()) + " inputs");
    if (!(sighash_type & sighash_forkid))
        return make_error(Errc::invalid_argument, "hash type without FORKID: BCH signatures always carry it");
    return {};
}

SharedDigests shared_digests(const Transaction& tx, std::span<const Output> spent, HashType type) {
    SharedDigests d;
    if (!type.anyone_can_pay) {
        Bytes prevouts;
        prevouts.reserve(tx.inputs.size() * 36);
        Writer p(prevouts);
        for (const Input& in : tx.inputs) {
            p.bytes(in.prevout.txid.bytes);
            p.u32le(in.prevout.index);
        }
        d.prevouts = hash_of(prevouts);
    }
    if (type.utxos) {
        Bytes coins;
        Writer c(coins);
        for (const Output& o : spent) write_output(c, o);
        d.utxos = hash_of(coins);
    }
    if (!type.anyone_can_pay && type.all_outputs()) {
        Bytes sequences;
        sequences.reserve(tx.inputs.size() * 4);
        Writer s(sequences);
        for (const Input& in : tx.inputs) s.u32le(in.sequence);
        d.sequences = hash_of(sequences);
    }
    if (type.all_outputs()) {
        Bytes outputs;
        Writer o(outputs);
        for (const Output& out : tx.outputs) write_output(o, out);
        d.outputs = hash_of(outputs);
    }
    return d;
}

// The preimage of one input, given the shared parts; arguments already checked.
Bytes input_preimage(const Transaction& tx, std::size_t input_index, std::span<const Output> spent,
                     ByteView script_code, std::uint32_t sighash_type, bool cashtokens, const SharedDigests& shared) {
    const HashType type(sighash_type, cashtokens);
    Bytes preimage;
    preimage.reserve(4 + 32 * 4 + 36 + 9 + script_code.size() + 8 + 4 + 4 + 4 + 80);
    Writer w(preimage);
    w.u32le(tx.version);
    w.bytes(shared.prevouts);
    if (type.utxos) w.bytes(shared.utxos);
    w.bytes(shared.sequences);

    const Input& input = tx.inputs[input_index];
    w.bytes(input.prevout.txid.bytes);
    w.u32le(input.prevout.index);
    if (cashtokens && spent[input_index].token) write_token_prefix(w, *spent[input_index].token);
    w.sized_bytes(script_code);
    w.u64le(static_cast<std::uint64_t>(spent[input_index].value));
    w.u32le(input.sequence);

    if (type.all_outputs()) {
        w.bytes(shared.outputs);
    } else if (type.base == sighash_single && input_index < tx.outputs.size()) {
        Bytes output;
        Writer o(output);
        write_output(o, tx.outputs[input_index]);
        w.bytes(hash_of(output));
    } else {
        w.bytes(Hash256{});
    }
    w.u32le(tx.locktime);
    w.u32le(sighash_type);
    return preimage;
}

}  // namespace

Result<Bytes> signature_preimage(const Transaction& tx, std::size_t input_index, std::span<const Output> spent,
                                 ByteView script_code, std::uint32_t sighash_type, bool cashtokens) {
    if (input_index >= tx.inputs.size())
        return make_error(Errc::invalid_argument, "input " + std::to_string(input_index) + " does not exist (" +
                                                      std::to_string(tx.inputs.size()) + " inputs)");
    if (Status s = check_preimage_arguments(tx, spent, sighash_type); !s) return s.error();
    const SharedDigests shared = shared_digests(tx, spent, HashType(sighash_type, cashtokens));
    return input_preimage(tx, input_index, spent, script_code, sighash_type, cashtokens, shared);
}

Result<Hash256> signature_hash(const Transaction& tx, std::size_t input_index, std::span<const Output> spent,
                               ByteView script_code, std::uint32_t sighash_type, bool cashtokens) {
    auto preimage = signature_preimage(tx, input_index, spent, script_code, sighash_type, cashtokens);
    if (!preimage) return std::move(preimage).error();
    return sha256d(*preimage);
}

Result<Transaction> build_p2pkh_transaction(const PrivateKey& key, std::span<const Coin> coins,
                                            std::span<const Output> outputs, std::uint32_t version,
                                            std::uint32_t locktime) {
    if (coins.empty()) return make_error(Errc::invalid_argument, "no coins to spend");
    if (outputs.empty()) return make_error(Errc::invalid_argument, "no outputs to pay");
    const auto pubkey = key.public_key();
    const Bytes own_script = p2pkh_script(hash160(pubkey));
    std::int64_t in = 0, out = 0;
    for (std::size_t i = 0; i < coins.size(); ++i) {
        if (coins[i].output.locking_bytecode != own_script)
            return make_error(Errc::invalid_argument, "coin " + std::to_string(i) + " is not a P2PKH coin of this key");
        if (coins[i].output.value < 0 || coins[i].output.value > max_money)
            return make_error(Errc::invalid_argument, "coin " + std::to_string(i) + " has an impossible value");
        // Both at most max_money, so the sum cannot overflow; all the coins together cannot hold more either.
        if ((in += coins[i].output.value) > max_money)
            return make_error(Errc::invalid_argument, "the coins hold more than 21,000,000 BCH together (from coin " +
                                                          std::to_string(i) + " on)");
    }
    for (const Output& o : outputs) {
        if (o.value < 0 || o.value > max_money || (out += o.value) > max_money)
            return make_error(Errc::invalid_argument, "output values outside 0..21,000,000 BCH");
    }
    if (out > in)
        return make_error(Errc::invalid_argument, "outputs spend " + std::to_string(out) + " sat but the coins hold " +
                                                      std::to_string(in) + " sat");

    Transaction tx;
    tx.version = version;
    tx.locktime = locktime;
    std::vector<Output> spent;
    for (const Coin& coin : coins) {
        tx.inputs.push_back(Input{coin.outpoint, {}, 0xffffffff});
        spent.push_back(coin.output);
    }
    tx.outputs.assign(outputs.begin(), outputs.end());

    constexpr std::uint32_t type = sighash_all | sighash_forkid;
    // The shared parts do not cover unlocking bytecode, so filling in the signatures one by one leaves them valid.
    const SharedDigests shared = shared_digests(tx, spent, HashType(type, true));
    for (std::size_t i = 0; i < tx.inputs.size(); ++i) {
        const Hash256 digest = sha256d(input_preimage(tx, i, spent, own_script, type, true, shared));
        Bytes signature = key.sign_ecdsa(digest);
        signature.push_back(static_cast<std::uint8_t>(type));
        Bytes script;
        push_data(script, signature);
        push_data(script, pubkey);
        tx.inputs[i].unlocking_bytecode = std::move(script);
    }
    return tx;
}

}  // namespace jpp
