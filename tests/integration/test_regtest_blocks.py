"""Blocks built by the tests (regtest_blocks.py) and accepted by a real bcash regtest node."""

import pytest

from conftest import PAYER_WIF, Funds, address_of, pay_tx, txid_of, wait_for
import regtest_blocks
from regtest_blocks import mine_block

PAYER = address_of(PAYER_WIF)


@pytest.fixture(scope="module")
def funds(node):
    return Funds(node, count=10)


def send(node, raw):
    """sendrawtransaction, then waiting for the mempool: bcash answers before it has taken the transaction in."""
    node.rpc("sendrawtransaction", raw)
    wait_for(lambda: txid_of(raw) in node.rpc("getrawmempool"), 10, "the transaction in the mempool")


def block_txids(node, block_hash):
    return node.rpc("getblock", block_hash, True, False)["tx"]


def parent_and_child_sorting_first(funds):
    """A transaction and a child spending its first output whose txid sorts before the parent's (the amount is
    varied until it does): in canonical order the child comes first."""
    parent = pay_tx(funds.coin(), [{"address": PAYER, "amount": 1_000_000}])
    parent_coin = {"txid": txid_of(parent), "vout": 0, "value": 1_000_000}
    for extra in range(64):
        child = pay_tx(parent_coin, [{"address": PAYER, "amount": 10_000 + extra}])
        if txid_of(child) < txid_of(parent):
            return parent, child
    raise AssertionError("no child sorting before its parent in 64 tries")


def test_empty_block_becomes_the_tip(node, funds):
    height = node.rpc("getblockcount")
    block_hash = mine_block(node)
    assert node.rpc("getblockcount") == height + 1
    assert node.rpc("getbestblockhash") == block_hash
    assert len(block_txids(node, block_hash)) == 1  # the coinbase alone


def test_block_confirms_a_double_spend_of_a_mempool_transaction(node, funds):
    coin = funds.coin()
    first = pay_tx(coin, [{"address": PAYER, "amount": 10_000}])
    second = pay_tx(coin, [{"address": PAYER, "amount": 20_000}])
    send(node, first)

    block_hash = mine_block(node, [second])
    assert node.rpc("getbestblockhash") == block_hash
    assert txid_of(second) in block_txids(node, block_hash)
    assert txid_of(first) not in node.rpc("getrawmempool")
    assert txid_of(second) not in node.rpc("getrawmempool")


def test_parent_and_child_in_one_block_in_canonical_order(node, funds):
    parent, child = parent_and_child_sorting_first(funds)
    block_hash = mine_block(node, [parent, child])
    assert node.rpc("getbestblockhash") == block_hash
    txids = block_txids(node, block_hash)
    assert txids[1:] == [txid_of(child), txid_of(parent)]
    assert node.rpc("gettxout", txid_of(parent), 0) is None  # spent by the child in the same block
    assert node.rpc("gettxout", txid_of(child), 0)["confirmations"] == 1


def test_node_refuses_a_block_out_of_canonical_order(node, funds, monkeypatch):
    parent, child = parent_and_child_sorting_first(funds)
    # Parent before child, the order of blocks before canonical ordering; here the txids descend.
    monkeypatch.setattr(regtest_blocks, "canonical_order",
                        lambda txs: sorted(txs, key=lambda raw: raw != bytes.fromhex(parent)))
    tip = node.rpc("getbestblockhash")
    with pytest.raises(AssertionError, match="tx-ordering"):
        mine_block(node, [child, parent])
    assert node.rpc("getbestblockhash") == tip


def test_refused_block_raises_and_changes_nothing(node, funds):
    tip = node.rpc("getbestblockhash")
    unknown_coin = {"txid": "11" * 32, "vout": 0, "value": 1_000_000}
    with pytest.raises(AssertionError, match="bad-txns-inputs-missingorspent"):
        mine_block(node, [pay_tx(unknown_coin, [{"address": PAYER, "amount": 10_000}])])
    assert node.rpc("getbestblockhash") == tip


def test_block_on_an_older_parent_makes_a_fork_that_wins_when_longer(node, funds):
    fork_point = node.rpc("getbestblockhash")
    replaced = mine_block(node)
    side = mine_block(node, parent=fork_point)
    assert node.rpc("getbestblockhash") == replaced  # same work: the first seen stays
    longer = mine_block(node, parent=side)
    assert node.rpc("getbestblockhash") == longer
    assert node.rpc("getblockhash", node.rpc("getblockcount") - 1) == side


def test_block_pays_the_subsidy_to_the_reward_address(node, funds):
    block_hash = mine_block(node, reward_address=PAYER)
    block = node.rpc("getblock", block_hash, True, True)
    out = block["tx"][0]["vout"][0]
    assert out["value"] == 50 * 0.5 ** ((block["height"]) // 150)
    assert out["scriptPubKey"]["addresses"] == [PAYER]


def test_invalidated_blocks_transactions_do_not_return_to_the_mempool(node, funds):
    """bcash's invalidateblock resets the chain to the block's parent, and a reset empties the mempool: the
    block's transactions are not put back, and whatever else the mempool held is dropped too."""
    in_block = pay_tx(funds.coin(), [{"address": PAYER, "amount": 10_000}])
    send(node, in_block)
    block_hash = node.rpc("generatetoaddress", 1, PAYER)[0]
    assert txid_of(in_block) in block_txids(node, block_hash)
    waiting = pay_tx(funds.coin(), [{"address": PAYER, "amount": 10_000}])
    send(node, waiting)

    node.rpc("invalidateblock", block_hash)
    assert node.rpc("getbestblockhash") != block_hash
    assert node.rpc("getrawmempool") == []
    # Both can be confirmed again by a block of the test's own.
    block_hash = mine_block(node, [in_block, waiting])
    assert set(block_txids(node, block_hash)[1:]) == {txid_of(in_block), txid_of(waiting)}


def test_reorg_returns_transactions_to_the_mempool_only_when_it_is_not_empty(node, funds):
    """A longer fork disconnects the tip: bcash puts the disconnected block's transactions back only if its
    mempool holds something at that moment, and then evicts those spending a coinbase output."""
    parent = pay_tx(funds.coin(), [{"address": PAYER, "amount": 1_000_000}])
    mine_block(node, [parent])
    change = round(node.rpc("gettxout", txid_of(parent), 1)["value"] * 100_000_000)
    coins = [{"txid": txid_of(parent), "vout": 0, "value": 1_000_000},
             {"txid": txid_of(parent), "vout": 1, "value": change}]

    for mempool_held_something in (False, True):
        spend = pay_tx(coins.pop(0), [{"address": PAYER, "amount": 10_000}])
        from_coinbase = pay_tx(funds.coin(), [{"address": PAYER, "amount": 10_000}])
        fork_point = node.rpc("getbestblockhash")
        mine_block(node, [spend, from_coinbase])
        if mempool_held_something:
            other = pay_tx(funds.coin(), [{"address": PAYER, "amount": 10_000}])
            send(node, other)
        assert node.rpc("getrawmempool") == ([txid_of(other)] if mempool_held_something else [])
        mine_block(node, parent=mine_block(node, parent=fork_point))
        mempool = node.rpc("getrawmempool")
        assert (txid_of(spend) in mempool) is mempool_held_something
        assert txid_of(from_coinbase) not in mempool
        if mempool_held_something:
            assert txid_of(other) not in mempool  # it spends a coinbase output too
