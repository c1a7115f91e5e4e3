"""faultproxy's broadcast modes, no chain: each client's wording of geth's refusals, and the RLP
reading Nitro mode uses to find a transaction's gas limit, target and data."""

from __future__ import annotations

import pytest
from eth_account import Account

import faultproxy
from faultproxy import BROADCAST_MODES, _reword, _rlp_items, check_broadcast

WHO = "0xAb5801a7D398351b8bE11C439e05C5B3259aeC9B"

GETH = {
    "known": "already known",
    "nonce": f"nonce too low: address {WHO}, tx: 3 state: 5",
    "replace": "replacement transaction underpriced",
    "funds": f"insufficient funds for gas * price + value: address {WHO} have 7 want 21000",
    "intrinsic": "intrinsic gas too low: gas 20000, minimum needed 21000",
    "basefee": f"max fee per gas less than block base fee: address {WHO}, maxFeePerGas: 7, baseFee: 9",
}

EXPECTED = {
    "erigon": {
        "known": (-32000, "ALREADY_EXISTS: already known"), "nonce": (-32000, "INTERNAL_ERROR: nonce too low"),
        "replace": (-32000, "FEE_TOO_LOW: replacement transaction underpriced"),
        "funds": (-32000, "INTERNAL_ERROR: insufficient funds"), "intrinsic": (-32000, "INTERNAL_ERROR: IntrinsicGas"),
        "basefee": (-32000, "FEE_TOO_LOW: fee too low"),
    },
    "nethermind": {
        "known": (-32010, "AlreadyKnown"), "nonce": (-32010, "OldNonce, Current nonce: 5, nonce of rejected tx: 3"),
        "replace": (-32010, "ReplacementNotAllowed"), "funds": (-32010, "InsufficientFunds, Account balance: 7, cumulative cost: 21000"),
        "intrinsic": (-32010, GETH["intrinsic"]),
        "basefee": (-32010, "FeeTooLow, MaxFeePerGas too low. MaxFeePerGas: 7, BaseFee: 9, MaxPriorityFeePerGas:0, Block number: 0"),
    },
    "nitro": {
        "known": (-32000, GETH["known"]), "nonce": (-32000, GETH["nonce"]), "replace": (-32000, GETH["replace"]),
        "funds": (-32000, GETH["funds"]), "intrinsic": (-32000, "intrinsic gas too low"),
        "basefee": (-32000, f"max fee per gas less than block base fee: address {WHO}, maxFeePerGas: 7 baseFee: 9"),
    },
}


@pytest.mark.parametrize("mode", sorted(BROADCAST_MODES))
@pytest.mark.parametrize("name", sorted(GETH))
def test_each_mode_words_geths_refusals_as_its_client(mode, name):
    error = _reword(mode, {"code": -32000, "message": GETH[name]})
    assert (error["code"], error["message"]) == EXPECTED[mode][name]


@pytest.mark.parametrize("mode", sorted(BROADCAST_MODES))
def test_other_errors_pass_unchanged(mode):
    error = {"code": 3, "message": "execution reverted", "data": "0x08c379a0"}
    assert _reword(mode, error) is error


def test_unknown_modes_are_refused():
    check_broadcast({"fault": "none", "broadcast": "nitro"})
    check_broadcast({"fault": "none"})
    with pytest.raises(ValueError, match="unknown broadcast mode"):
        check_broadcast({"fault": "none", "broadcast": "besu"})
    with pytest.raises(ValueError):
        faultproxy.FaultState().configure({"fault": "none", "broadcast": "geth"})


def test_rlp_reads_an_eip1559_transactions_gas_target_and_data():
    account = Account.create()
    signed = account.sign_transaction({"type": 2, "chainId": 7, "nonce": 300, "maxPriorityFeePerGas": 2, "maxFeePerGas": 10**12,
                                       "gas": 123_456, "to": WHO, "value": 0, "data": "0x" + "ab" * 70})
    raw = bytes(signed.raw_transaction)
    fields = _rlp_items(raw[1:])
    assert raw[0] == 2
    assert int.from_bytes(fields[1], "big") == 300
    assert int.from_bytes(fields[4], "big") == 123_456
    assert "0x" + fields[5].hex() == WHO.lower()
    assert fields[7] == bytes.fromhex("ab" * 70)
