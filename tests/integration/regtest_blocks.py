"""Blocks of a test's own making for the bcash regtest node: built here, handed to the node with submitblock.

The node mines only what its mempool holds (generatetoaddress), and bcash has no call to evict a mempool
transaction. To confirm a transaction of the test's choosing, even one that double spends a transaction in the
mempool, build the block here: mine_block(node, [raw_hex, ...]).

The rules followed are bcash's for regtest (lib/blockchain/chain.js, verifyContext and verifyInputs):
- canonical transaction order (magnetic anomaly, active on regtest since the median time past is after
  2018-11-15): the coinbase first, then the others by txid ascending, comparing the txid as a 256-bit number,
  which is the order of the txids as displayed (hex strings). A child may come before its parent;
- every transaction, the coinbase included, at least 100 bytes (MIN_TX_SIZE): the coinbase is padded;
- time above the median time past of the parent and at most two hours ahead of the node's clock;
- bits as the parent's (regtest never retargets);
- the coinbase claims at most the subsidy plus fees. It claims the subsidy only (50 BCH, halving every 150 blocks
  on regtest): the fees of the transactions are not claimed, which is valid.
The coinbase pushes the height first (BIP34, not enforced on regtest, where it activates at height 100,000,000)
and 8 random bytes, so that two blocks at one height never share a coinbase txid.
"""
import hashlib
import os
import struct
import time as _time

COIN = 100_000_000
HALVING_INTERVAL = 150  # regtest (bcash lib/protocol/networks.js)
MIN_TX_SIZE = 100  # bytes, every transaction of a block (bcash lib/protocol/consensus.js)
OP_TRUE = bytes([0x51])
VERSION = 0x20000000  # BIP9 top bits: at or above 4, as required from height 1351 on regtest


def sha256d(data):
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def txid(raw):
    """The txid (display hex) of a raw transaction (bytes or hex)."""
    raw = bytes.fromhex(raw) if isinstance(raw, str) else raw
    return sha256d(raw)[::-1].hex()


def subsidy(height, interval=HALVING_INTERVAL):
    """The block subsidy in satoshis at `height` (bcash consensus.getReward)."""
    halvings = height // interval
    return 0 if halvings >= 33 else (50 * COIN) >> halvings


def varint(n):
    if n < 0xfd:
        return bytes([n])
    if n <= 0xffff:
        return b"\xfd" + struct.pack("<H", n)
    if n <= 0xffffffff:
        return b"\xfe" + struct.pack("<I", n)
    return b"\xff" + struct.pack("<Q", n)


def push(data):
    """A script push of `data` (up to 75 bytes)."""
    assert len(data) <= 75
    return bytes([len(data)]) + data


def script_number(n):
    """`n` as a minimal script number (the BIP34 height push)."""
    if n == 0:
        return b""
    out = bytearray()
    while n:
        out.append(n & 0xff)
        n >>= 8
    if out[-1] & 0x80:
        out.append(0)
    return bytes(out)


def coinbase_tx(height, value, output_script):
    """A coinbase transaction for `height` paying `value` satoshis to `output_script`, at least MIN_TX_SIZE bytes."""
    height_push = bytes([0x50 + height]) if 1 <= height <= 16 else push(script_number(height))
    script_sig = height_push + push(os.urandom(8))
    def serialize(sig):
        return (struct.pack("<i", 1) + varint(1) + b"\x00" * 32 + struct.pack("<I", 0xffffffff)
                + varint(len(sig)) + sig + struct.pack("<I", 0xffffffff)
                + varint(1) + struct.pack("<q", value) + varint(len(output_script)) + output_script
                + struct.pack("<I", 0))
    short = MIN_TX_SIZE - len(serialize(script_sig))
    if short > 0:
        script_sig += push(b"\x00" * max(short - 1, 1))
    raw = serialize(script_sig)
    assert len(raw) >= MIN_TX_SIZE and len(script_sig) <= 100
    return raw


def merkle_root(hashes):
    """Bitcoin's merkle root of `hashes` (internal byte order), the last one of an odd level paired with itself."""
    level = list(hashes)
    while len(level) > 1:
        if len(level) % 2:
            level.append(level[-1])
        level = [sha256d(level[i] + level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


def target_of(bits):
    """The target a block hash must not exceed, from its compact form."""
    exponent, mantissa = bits >> 24, bits & 0x7fffff
    return mantissa >> (8 * (3 - exponent)) if exponent <= 3 else mantissa << (8 * (exponent - 3))


def canonical_order(raw_txs):
    """The transactions (bytes) in canonical order: by txid ascending as displayed."""
    return sorted(raw_txs, key=lambda raw: sha256d(raw)[::-1])


def build_block(node, raw_txs_hex=(), reward_address=None, parent=None, time=None):
    """A block (raw bytes, and its hash as displayed) on top of `parent` (a block hash; the node's tip by default)
    holding a coinbase and the transactions `raw_txs_hex` (hex), in canonical order whatever the order given. The
    coinbase pays the subsidy to `reward_address` (a regtest address), or to OP_TRUE without one. `time` defaults
    to now, raised above the parent's median time past when needed."""
    parent = parent or node.rpc("getbestblockhash")
    header = node.rpc("getblockheader", parent, True)
    height = header["height"] + 1
    if reward_address:
        info = node.rpc("validateaddress", reward_address)
        assert info["isvalid"], f"not a regtest address: {reward_address}"
        output_script = bytes.fromhex(info["scriptPubKey"])
    else:
        output_script = OP_TRUE
    if time is None:
        time = max(int(_time.time()), header["mediantime"] + 1)

    txs = [coinbase_tx(height, subsidy(height), output_script)]
    txs += canonical_order(bytes.fromhex(raw) for raw in raw_txs_hex)
    root = merkle_root([sha256d(raw) for raw in txs])

    bits = header["bits"]
    target = target_of(bits)
    prefix = struct.pack("<i", VERSION) + bytes.fromhex(parent)[::-1] + root + struct.pack("<II", time, bits)
    for nonce in range(1 << 32):
        head = prefix + struct.pack("<I", nonce)
        digest = sha256d(head)
        if int.from_bytes(digest, "little") <= target:
            break
    else:
        raise AssertionError("no nonce meets the target")
    return head + varint(len(txs)) + b"".join(txs), digest[::-1].hex()


def submit_block(node, raw_block):
    """Hands a raw block (bytes) to the node; raises AssertionError with the node's reason when it refuses it."""
    answer = node.rpc("submitblock", raw_block.hex())
    assert answer is None, f"the node refused the block: {answer}"


def mine_block(node, raw_txs_hex=(), reward_address=None, parent=None, time=None):
    """Builds a block holding `raw_txs_hex` (see build_block), has the node accept it, and returns its hash
    (display hex). On the tip (the default) the block becomes the new tip, and the node's mempool loses the
    block's transactions and whatever conflicts with them. Raises AssertionError if the node refuses the block
    (the reason is bcash's, e.g. "rejected: bad-txns-inputs-missingorspent")."""
    raw, block_hash = build_block(node, raw_txs_hex, reward_address, parent, time)
    submit_block(node, raw)
    return block_hash
