"""LeverageGuard.vy: its ABI matches abi/LeverageGuard.json, and its rules hold on the devnode."""

from __future__ import annotations

import json

import pytest
from web3.exceptions import ContractLogicError

from conftest import ETHER, transact
from contract import ABI_PATH, canonical_abi

SECONDS_PER_DAY = 86400
ROOT = b"\x5a" * 32

EXPECTED_FUNCTIONS = {
    "requestClaim(uint256,string,uint256,uint16)",
    "verifyPayout(address,uint256,uint256,bool,bytes32)",
    "executePayout(address,uint256)",
    "getPayoutRecord(address,uint256)",
    "getClaim(address,uint256)",
    "paidToday()",
    "deposit()",
    "withdraw(uint256)",
    "pause()",
    "unpause()",
    "setKeeper(address)",
    "setDailyPayoutLimit(uint256)",
    "owner()",
    "keeper()",
    "paused()",
    "dailyPayoutLimit()",
    "dailyWithdrawLimit()",
}
EXPECTED_EVENTS = {
    "ClaimRequested(address,uint256,string,uint256,uint16)",
    "PayoutVerified(address,uint256,uint256,bool,bytes32)",
    "PayoutExecuted(address,uint256,uint256)",
    "FundsDeposited(address,uint256)",
    "FundsWithdrawn(address,uint256)",
    "Paused(address)",
    "Unpaused(address)",
    "KeeperChanged(address,address)",
    "DailyPayoutLimitChanged(uint256,uint256)",
}
CLAIM_COMPONENTS = [
    ("principal", "uint256"), ("leverage", "uint16"), ("requestedAt", "uint256"), ("amount", "uint256"),
    ("liquidated", "bool"), ("verified", "bool"), ("claimed", "bool"), ("evidenceRoot", "bytes32"),
]


def signatures(abi: list, kind: str) -> set[str]:
    return {f"{e['name']}({','.join(i['type'] for i in e['inputs'])})" for e in abi if e["type"] == kind}


def expect_revert(call, sender: str, reason: str) -> None:
    """The call, simulated from `sender`, reverts with exactly this reason."""
    with pytest.raises(ContractLogicError) as info:
        call.call({"from": sender})
    assert info.value.message == f"execution reverted: {reason}"


@pytest.fixture
def roles(devnode):
    class Roles:
        owner = devnode.account("owner")
        keeper = devnode.account("keeper")
        users = [devnode.account("user", i) for i in range(5)]

    return Roles


def request(w3, guard, user, order_id: int, principal: int = ETHER, leverage: int = 10):
    return transact(w3, user, guard.functions.requestClaim(order_id, "BTC-USDT-SWAP", principal, leverage))


def verify(w3, guard, keeper, user, order_id: int, amount: int, liquidated: bool = True):
    return transact(w3, keeper, guard.functions.verifyPayout(user.address, order_id, amount, liquidated, ROOT))


def verified_claim(w3, guard, roles, user, order_id: int, amount: int, liquidated: bool = True) -> None:
    request(w3, guard, user, order_id)
    verify(w3, guard, roles.keeper, user, order_id, amount, liquidated)


def move_to_midday(devnode, w3) -> None:
    """Advance the clock to 12:00 UTC of the next day, so a test cannot straddle midnight."""
    now = w3.eth.get_block("latest")["timestamp"]
    target = (now // SECONDS_PER_DAY + 1) * SECONDS_PER_DAY + SECONDS_PER_DAY // 2
    devnode.result("evm_increaseTime", target - now)
    devnode.result("evm_mine")


def next_day(devnode) -> None:
    devnode.result("evm_increaseTime", SECONDS_PER_DAY)
    devnode.result("evm_mine")


# ---------------------------------------------------------------- the interface

def test_compiled_abi_equals_committed_abi(compiled):
    committed = json.loads(ABI_PATH.read_text())
    assert canonical_abi(compiled.abi) == canonical_abi(committed)


def test_committed_abi_is_the_designed_interface(abi):
    assert signatures(abi, "function") == EXPECTED_FUNCTIONS
    assert signatures(abi, "event") == EXPECTED_EVENTS
    get_claim = next(e for e in abi if e.get("name") == "getClaim")
    components = get_claim["outputs"][0]["components"]
    assert [(c["name"], c["type"]) for c in components] == CLAIM_COMPONENTS
    record = next(e for e in abi if e.get("name") == "getPayoutRecord")
    assert [o["type"] for o in record["outputs"]] == ["uint256", "uint256", "bool", "bool"]
    indexed = {e["name"]: [i["name"] for i in e["inputs"] if i["indexed"]] for e in abi if e["type"] == "event"}
    for name in ("ClaimRequested", "PayoutVerified", "PayoutExecuted"):
        assert indexed[name] == ["user", "orderId"]


# ---------------------------------------------------------------- claims

def test_a_claim_cannot_be_requested_twice(w3, guard, roles):
    alice, bob = roles.users[0], roles.users[1]
    receipt = request(w3, guard, alice, 500, principal=3 * ETHER, leverage=20)
    event = guard.events.ClaimRequested().process_receipt(receipt)[0]["args"]
    assert (event["user"], event["orderId"], event["instId"], event["principal"], event["leverage"]) == (
        alice.address, 500, "BTC-USDT-SWAP", 3 * ETHER, 20)
    claim = guard.functions.getClaim(alice.address, 500).call()
    assert claim == (3 * ETHER, 20, w3.eth.get_block(receipt["blockNumber"])["timestamp"], 0, False, False,
                     False, b"\0" * 32)

    expect_revert(guard.functions.requestClaim(500, "ETH-USDT-SWAP", ETHER, 5), alice.address, "claim exists")
    request(w3, guard, bob, 500)  # the key is (user, orderId)
    assert guard.functions.getClaim(bob.address, 500).call()[0] == ETHER


@pytest.mark.parametrize("args, reason", [
    ((1, "", ETHER, 5), "empty instId"),
    ((1, "BTC-USDT-SWAP", 0, 5), "zero principal"),
    ((1, "BTC-USDT-SWAP", ETHER, 0), "zero leverage"),
])
def test_request_claim_validates_its_input(guard, roles, args, reason):
    expect_revert(guard.functions.requestClaim(*args), roles.users[0].address, reason)


def test_verify_payout_is_keeper_only_and_happens_once(w3, guard, roles):
    user = roles.users[0]
    expect_revert(guard.functions.verifyPayout(user.address, 600, ETHER, True, ROOT), roles.keeper.address, "no claim")
    request(w3, guard, user, 600)
    expect_revert(guard.functions.verifyPayout(user.address, 600, ETHER, True, ROOT), roles.owner.address, "not keeper")

    receipt = verify(w3, guard, roles.keeper, user, 600, 2 * ETHER)
    event = guard.events.PayoutVerified().process_receipt(receipt)[0]["args"]
    assert dict(event) == {"user": user.address, "orderId": 600, "amount": 2 * ETHER, "liquidated": True,
                           "evidenceRoot": ROOT}
    claim = guard.functions.getClaim(user.address, 600).call()
    assert claim[3:] == (2 * ETHER, True, True, False, ROOT)
    assert guard.functions.getPayoutRecord(user.address, 600).call() == [600, 2 * ETHER, True, False]
    expect_revert(guard.functions.verifyPayout(user.address, 600, 0, False, ROOT), roles.keeper.address,
                  "already verified")


# ---------------------------------------------------------------- payouts

def test_execute_payout_transfers_to_the_user(w3, guard, roles):
    user = roles.users[2]
    verified_claim(w3, guard, roles, user, 700, 5 * ETHER)
    user_before, pool_before = w3.eth.get_balance(user.address), w3.eth.get_balance(guard.address)

    receipt = transact(w3, roles.keeper, guard.functions.executePayout(user.address, 700))
    assert receipt["status"] == 1
    assert w3.eth.get_balance(user.address) == user_before + 5 * ETHER
    assert w3.eth.get_balance(guard.address) == pool_before - 5 * ETHER
    event = guard.events.PayoutExecuted().process_receipt(receipt)[0]["args"]
    assert dict(event) == {"user": user.address, "orderId": 700, "amount": 5 * ETHER}
    assert guard.functions.getPayoutRecord(user.address, 700).call() == [700, 5 * ETHER, True, True]
    assert guard.functions.getClaim(user.address, 700).call()[6] is True
    assert guard.functions.paidToday().call() == 5 * ETHER
    expect_revert(guard.functions.executePayout(user.address, 700), roles.keeper.address, "already claimed")


def test_execute_payout_preconditions(w3, guard, roles):
    user = roles.users[0]
    keeper = roles.keeper.address
    expect_revert(guard.functions.executePayout(user.address, 800), keeper, "no claim")
    request(w3, guard, user, 800)
    expect_revert(guard.functions.executePayout(user.address, 800), keeper, "not verified")
    verify(w3, guard, roles.keeper, user, 800, ETHER)
    expect_revert(guard.functions.executePayout(user.address, 800), roles.owner.address, "not keeper")
    expect_revert(guard.functions.executePayout(user.address, 800), user.address, "not keeper")

    verified_claim(w3, guard, roles, user, 801, 0, liquidated=False)
    expect_revert(guard.functions.executePayout(user.address, 801), keeper, "not liquidated")

    transact(w3, roles.owner, guard.functions.setDailyPayoutLimit(10_000 * ETHER))
    verified_claim(w3, guard, roles, user, 802, 1_001 * ETHER)
    expect_revert(guard.functions.executePayout(user.address, 802), keeper, "insufficient pool")


def test_daily_payout_limit_is_enforced_per_utc_day(devnode, w3, guard, roles):
    move_to_midday(devnode, w3)
    alice, bob = roles.users[0], roles.users[1]
    verified_claim(w3, guard, roles, alice, 900, 60 * ETHER)
    verified_claim(w3, guard, roles, bob, 901, 50 * ETHER)

    transact(w3, roles.keeper, guard.functions.executePayout(alice.address, 900))
    assert guard.functions.paidToday().call() == 60 * ETHER
    expect_revert(guard.functions.executePayout(bob.address, 901), roles.keeper.address, "daily limit")

    next_day(devnode)
    assert guard.functions.paidToday().call() == 0
    transact(w3, roles.keeper, guard.functions.executePayout(bob.address, 901))
    assert guard.functions.paidToday().call() == 50 * ETHER


def test_daily_payout_limit_is_set_by_the_owner(w3, guard, roles):
    expect_revert(guard.functions.setDailyPayoutLimit(1), roles.keeper.address, "not owner")
    receipt = transact(w3, roles.owner, guard.functions.setDailyPayoutLimit(7 * ETHER))
    event = guard.events.DailyPayoutLimitChanged().process_receipt(receipt)[0]["args"]
    assert (event["previous"], event["current"]) == (100 * ETHER, 7 * ETHER)
    assert guard.functions.dailyPayoutLimit().call() == 7 * ETHER


def test_pause_stops_payouts_until_unpaused(w3, guard, roles):
    user = roles.users[3]
    verified_claim(w3, guard, roles, user, 1000, ETHER)
    expect_revert(guard.functions.pause(), roles.keeper.address, "not owner")

    receipt = transact(w3, roles.owner, guard.functions.pause())
    assert guard.events.Paused().process_receipt(receipt)[0]["args"]["account"] == roles.owner.address
    assert guard.functions.paused().call() is True
    expect_revert(guard.functions.executePayout(user.address, 1000), roles.keeper.address, "paused")
    expect_revert(guard.functions.pause(), roles.owner.address, "paused")

    receipt = transact(w3, roles.owner, guard.functions.unpause())
    assert guard.events.Unpaused().process_receipt(receipt)[0]["args"]["account"] == roles.owner.address
    assert transact(w3, roles.keeper, guard.functions.executePayout(user.address, 1000))["status"] == 1


# ---------------------------------------------------------------- pool and roles

def test_withdraw_is_owner_only_and_daily_limited(devnode, w3, guard, roles):
    move_to_midday(devnode, w3)
    owner = roles.owner
    expect_revert(guard.functions.withdraw(ETHER), roles.keeper.address, "not owner")
    assert guard.functions.dailyWithdrawLimit().call() == 100 * ETHER

    receipt = transact(w3, owner, guard.functions.withdraw(60 * ETHER))
    event = guard.events.FundsWithdrawn().process_receipt(receipt)[0]["args"]
    assert (event["to"], event["amount"]) == (owner.address, 60 * ETHER)
    assert w3.eth.get_balance(guard.address) == 940 * ETHER
    expect_revert(guard.functions.withdraw(50 * ETHER), owner.address, "daily limit")
    next_day(devnode)
    assert transact(w3, owner, guard.functions.withdraw(50 * ETHER))["status"] == 1


def test_set_keeper_hands_over_the_keeper_role(w3, guard, roles):
    old, new, user = roles.keeper, roles.users[4], roles.users[0]
    expect_revert(guard.functions.setKeeper(new.address), old.address, "not owner")
    expect_revert(guard.functions.setKeeper("0x" + "00" * 20), roles.owner.address, "zero address")

    receipt = transact(w3, roles.owner, guard.functions.setKeeper(new.address))
    event = guard.events.KeeperChanged().process_receipt(receipt)[0]["args"]
    assert (event["previous"], event["current"]) == (old.address, new.address)
    request(w3, guard, user, 1100)
    expect_revert(guard.functions.verifyPayout(user.address, 1100, 1, True, ROOT), old.address, "not keeper")
    assert verify(w3, guard, new, user, 1100, ETHER)["status"] == 1


def test_deposit_adds_to_the_pool(w3, guard, roles):
    user = roles.users[1]
    receipt = transact(w3, user, guard.functions.deposit(), value=3 * ETHER)
    event = guard.events.FundsDeposited().process_receipt(receipt)[0]["args"]
    assert (event["sender"], event["amount"]) == (user.address, 3 * ETHER)
    assert w3.eth.get_balance(guard.address) == 1003 * ETHER
    expect_revert(guard.functions.deposit(), user.address, "zero deposit")
    with pytest.raises(ContractLogicError):  # plain transfers bypass the accounting: refused
        w3.eth.call({"from": user.address, "to": guard.address, "value": ETHER})
