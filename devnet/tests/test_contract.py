"""LeverageGuard.vy: its ABI matches abi/LeverageGuard.json, and its rules hold on the devnode.

Rules that involve money run on both kinds of pool: USDT (TestStablecoin, whose `transfer`
returns nothing, as mainnet USDT's does) and the native coin.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Optional

import pytest
import vyper
from web3.exceptions import ContractLogicError
from web3.logs import DISCARD

from conftest import ETHER, Devnode, snapshot_of, transact
from contract import ABI_PATH, canonical_abi

SECONDS_PER_DAY = 86400
ROOT = b"\x5a" * 32
ZERO_ADDRESS = "0x" + "00" * 20

EXPECTED_FUNCTIONS = {
    "requestClaim(uint256,string,uint256,uint16)",
    "verifyPayout(address,uint256,uint256,bool,bytes32)",
    "executePayout(address,uint256)",
    "verifyAndPay(address,uint256,uint256,bool,bytes32)",
    "verifyPayoutBatch((address,uint256,uint256,bool,bytes32)[])",
    "verifyAndPayBatch((address,uint256,uint256,bool,bytes32)[])",
    "executePayoutBatch((address,uint256)[])",
    "getPayoutRecord(address,uint256)",
    "getClaim(address,uint256)",
    "paidToday()",
    "asset()",
    "poolBalance()",
    "deposit()",
    "depositToken(uint256)",
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
    "PayoutSkipped(address,uint256,uint8,string)",
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

# A token that reports failure the ERC-20 way: `transfer` returns False and moves nothing.
FALSE_RETURNING_TOKEN = """# pragma version 0.4.3
balanceOf: public(HashMap[address, uint256])

@external
def setBalance(holder: address, amount: uint256):
    self.balanceOf[holder] = amount

@external
def transfer(receiver: address, amount: uint256) -> bool:
    return False
"""


def abi_type(entry: dict) -> str:
    """The canonical type of an ABI input: tuples spelled out as `(t1,t2)`."""
    if entry["type"].startswith("tuple"):
        return f"({','.join(abi_type(c) for c in entry['components'])}){entry['type'].removeprefix('tuple')}"
    return entry["type"]


# A contract that can request a claim and refuses the native coin (it has no __default__).
REJECTING_RECEIVER = """# pragma version 0.4.3
interface Guard:
    def requestClaim(orderId: uint256, instId: String[64], principal: uint256, leverage: uint16): nonpayable

@external
def request(guard: address, orderId: uint256):
    extcall Guard(guard).requestClaim(orderId, "BTC-USDT-SWAP", 10**18, 10)
"""


def signatures(abi: list, kind: str) -> set[str]:
    return {f"{e['name']}({','.join(abi_type(i) for i in e['inputs'])})" for e in abi if e["type"] == kind}


def expect_revert(call, sender: str, reason: str, value: int = 0) -> None:
    """The call, simulated from `sender`, reverts with exactly this reason."""
    with pytest.raises(ContractLogicError) as info:
        call.call({"from": sender, "value": value})
    assert info.value.message == f"execution reverted: {reason}"


@dataclass
class Pool:
    """One devnode's LeverageGuard and what its pool pays in: USDT (`token`) or the native coin."""

    node: Devnode
    w3: Any
    guard: Any
    token: Optional[Any]

    @property
    def owner(self):
        return self.node.account("owner")

    @property
    def keeper(self):
        return self.node.account("keeper")

    @property
    def users(self) -> list:
        return [self.node.account("user", i) for i in range(5)]

    def units(self, whole: int) -> int:
        return self.node.units(whole)

    def balance(self, address: str) -> int:
        """What `address` holds of the pool's asset."""
        if self.token is None:
            return self.w3.eth.get_balance(address)
        return self.token.functions.balanceOf(address).call()

    def fund(self, account, amount: int):
        """Deposit `amount` from `account`: approve + depositToken, or deposit() with value."""
        if self.token is None:
            return transact(self.w3, account, self.guard.functions.deposit(), value=amount)
        transact(self.w3, account, self.token.functions.approve(self.guard.address, amount))
        return transact(self.w3, account, self.guard.functions.depositToken(amount))


def make_pool(node: Devnode, abi: list, token_abi: list) -> Pool:
    w3 = node.web3()
    token = w3.eth.contract(address=node.deployment["asset"], abi=token_abi) if node.is_token_pool else None
    return Pool(node=node, w3=w3, guard=w3.eth.contract(address=node.deployment["contract"], abi=abi), token=token)


@pytest.fixture(params=["USDT", "ETH"])
def pool(request, abi, stablecoin_compiled):
    """Each money rule runs on a USDT pool and on a native-coin pool, from a fresh snapshot."""
    node = request.getfixturevalue("devnode" if request.param == "USDT" else "native_devnode")
    with snapshot_of(node):
        yield make_pool(node, abi, stablecoin_compiled.abi)


@pytest.fixture
def usdt_pool(devnode, abi, stablecoin_compiled):
    """The USDT pool alone, for rules that do not depend on the asset."""
    return make_pool(devnode, abi, stablecoin_compiled.abi)


def request(pool: Pool, user, order_id: int, principal: int = ETHER, leverage: int = 10):
    return transact(pool.w3, user, pool.guard.functions.requestClaim(order_id, "BTC-USDT-SWAP", principal, leverage))


def verify(pool: Pool, keeper, user, order_id: int, amount: int, liquidated: bool = True):
    return transact(pool.w3, keeper, pool.guard.functions.verifyPayout(user.address, order_id, amount, liquidated, ROOT))


def verified_claim(pool: Pool, user, order_id: int, amount: int, liquidated: bool = True) -> None:
    request(pool, user, order_id)
    verify(pool, pool.keeper, user, order_id, amount, liquidated)


def move_to_midday(pool: Pool) -> None:
    """Advance the clock to 12:00 UTC of the next day, so a test cannot straddle midnight."""
    now = pool.w3.eth.get_block("latest")["timestamp"]
    target = (now // SECONDS_PER_DAY + 1) * SECONDS_PER_DAY + SECONDS_PER_DAY // 2
    pool.node.result("evm_increaseTime", target - now)
    pool.node.result("evm_mine")


def next_day(pool: Pool) -> None:
    pool.node.result("evm_increaseTime", SECONDS_PER_DAY)
    pool.node.result("evm_mine")


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
    for name in ("ClaimRequested", "PayoutVerified", "PayoutExecuted", "PayoutSkipped"):
        assert indexed[name] == ["user", "orderId"]
    batch = next(e for e in abi if e.get("name") == "verifyPayoutBatch")
    assert [c["name"] for c in batch["inputs"][0]["components"]] == [
        "user", "orderId", "amount", "liquidated", "evidenceRoot"]
    batch = next(e for e in abi if e.get("name") == "executePayoutBatch")
    assert [c["name"] for c in batch["inputs"][0]["components"]] == ["user", "orderId"]


# ---------------------------------------------------------------- claims

def test_a_claim_cannot_be_requested_twice(usdt_pool):
    pool = usdt_pool
    alice, bob = pool.users[0], pool.users[1]
    receipt = request(pool, alice, 500, principal=3 * ETHER, leverage=20)
    event = pool.guard.events.ClaimRequested().process_receipt(receipt, errors=DISCARD)[0]["args"]
    assert (event["user"], event["orderId"], event["instId"], event["principal"], event["leverage"]) == (
        alice.address, 500, "BTC-USDT-SWAP", 3 * ETHER, 20)
    claim = pool.guard.functions.getClaim(alice.address, 500).call()
    assert claim == (3 * ETHER, 20, pool.w3.eth.get_block(receipt["blockNumber"])["timestamp"], 0, False, False,
                     False, b"\0" * 32)

    expect_revert(pool.guard.functions.requestClaim(500, "ETH-USDT-SWAP", ETHER, 5), alice.address, "claim exists")
    request(pool, bob, 500)  # the key is (user, orderId)
    assert pool.guard.functions.getClaim(bob.address, 500).call()[0] == ETHER


@pytest.mark.parametrize("args, reason", [
    ((1, "", ETHER, 5), "empty instId"),
    ((1, "BTC-USDT-SWAP", 0, 5), "zero principal"),
    ((1, "BTC-USDT-SWAP", ETHER, 0), "zero leverage"),
])
def test_request_claim_validates_its_input(usdt_pool, args, reason):
    expect_revert(usdt_pool.guard.functions.requestClaim(*args), usdt_pool.users[0].address, reason)


def test_verify_payout_is_keeper_only_and_happens_once(usdt_pool):
    pool = usdt_pool
    user, guard = pool.users[0], pool.guard
    amount = pool.units(2)
    expect_revert(guard.functions.verifyPayout(user.address, 600, amount, True, ROOT), pool.keeper.address, "no claim")
    request(pool, user, 600)
    expect_revert(guard.functions.verifyPayout(user.address, 600, amount, True, ROOT), pool.owner.address, "not keeper")

    receipt = verify(pool, pool.keeper, user, 600, amount)
    event = guard.events.PayoutVerified().process_receipt(receipt, errors=DISCARD)[0]["args"]
    assert dict(event) == {"user": user.address, "orderId": 600, "amount": amount, "liquidated": True,
                           "evidenceRoot": ROOT}
    claim = guard.functions.getClaim(user.address, 600).call()
    assert claim[3:] == (amount, True, True, False, ROOT)
    assert guard.functions.getPayoutRecord(user.address, 600).call() == [600, amount, True, False]
    expect_revert(guard.functions.verifyPayout(user.address, 600, 0, False, ROOT), pool.keeper.address,
                  "already verified")


# ---------------------------------------------------------------- the pool's asset

def test_asset_and_pool_balance_name_what_the_pool_pays_in(pool):
    deployment = pool.node.deployment
    assert pool.guard.functions.asset().call() == deployment["asset"]
    assert pool.guard.functions.poolBalance().call() == pool.units(1_000) == pool.balance(pool.guard.address)
    if pool.token is None:
        assert (deployment["asset"], deployment["assetSymbol"], deployment["assetDecimals"]) == (ZERO_ADDRESS, "ETH", 18)
    else:
        assert (deployment["assetSymbol"], deployment["assetDecimals"]) == ("USDT", 6)
        assert (pool.token.functions.symbol().call(), pool.token.functions.decimals().call()) == ("USDT", 6)
        assert pool.w3.eth.get_balance(pool.guard.address) == 0, "a token pool holds no native coin"


def test_the_test_stablecoin_returns_nothing_from_transfer_like_usdt(stablecoin_compiled):
    functions = {e["name"]: e for e in stablecoin_compiled.abi if e["type"] == "function"}
    for name in ("transfer", "transferFrom", "approve"):
        assert functions[name]["outputs"] == [], f"{name} must return nothing, as mainnet USDT's does"


def test_deposit_token_pulls_the_approved_amount(usdt_pool):
    pool = usdt_pool
    user, guard, token = pool.users[1], pool.guard, pool.token
    amount = pool.units(250)
    expect_revert(guard.functions.depositToken(amount), user.address, "insufficient allowance")
    expect_revert(guard.functions.depositToken(0), user.address, "zero deposit")
    user_before = pool.balance(user.address)

    receipt = pool.fund(user, amount)
    event = guard.events.FundsDeposited().process_receipt(receipt, errors=DISCARD)[0]["args"]
    assert (event["sender"], event["amount"]) == (user.address, amount)
    assert guard.functions.poolBalance().call() == pool.units(1_250)
    assert pool.balance(user.address) == user_before - amount
    assert token.functions.allowance(user.address, guard.address).call() == 0
    expect_revert(guard.functions.depositToken(1), user.address, "insufficient allowance")


def test_a_token_pool_refuses_native_deposits(usdt_pool):
    pool = usdt_pool
    user = pool.users[1]
    expect_revert(pool.guard.functions.deposit(), user.address, "token pool: use depositToken", value=ETHER)
    with pytest.raises(ContractLogicError):  # plain transfers are refused too
        pool.w3.eth.call({"from": user.address, "to": pool.guard.address, "value": ETHER})


def test_a_native_pool_takes_deposit_and_refuses_deposit_token(native_devnode, abi, stablecoin_compiled):
    pool = make_pool(native_devnode, abi, stablecoin_compiled.abi)
    user = pool.users[1]
    receipt = pool.fund(user, 3 * ETHER)
    event = pool.guard.events.FundsDeposited().process_receipt(receipt, errors=DISCARD)[0]["args"]
    assert (event["sender"], event["amount"]) == (user.address, 3 * ETHER)
    assert pool.guard.functions.poolBalance().call() == pool.w3.eth.get_balance(pool.guard.address) == 1003 * ETHER
    expect_revert(pool.guard.functions.deposit(), user.address, "zero deposit")
    expect_revert(pool.guard.functions.depositToken(ETHER), user.address, "native pool: use deposit")
    with pytest.raises(ContractLogicError):  # plain transfers bypass the accounting: refused
        pool.w3.eth.call({"from": user.address, "to": pool.guard.address, "value": ETHER})


def deploy(pool: Pool, compiled_abi: list, bytecode: bytes, *args):
    """Deploy a contract from the owner; returns its receipt."""
    factory = pool.w3.eth.contract(abi=compiled_abi, bytecode=bytecode)
    return transact(pool.w3, pool.owner, factory.constructor(*args))


def test_a_token_whose_transfer_returns_false_cannot_pay(usdt_pool, compiled):
    pool = usdt_pool
    source = vyper.compile_code(FALSE_RETURNING_TOKEN, output_formats=["abi", "bytecode"])
    bytecode = bytes.fromhex(source["bytecode"].removeprefix("0x"))
    token = pool.w3.eth.contract(address=deploy(pool, source["abi"], bytecode)["contractAddress"], abi=source["abi"])
    address = deploy(pool, compiled.abi, compiled.bytecode, token.address, pool.units(100))["contractAddress"]
    guard = pool.w3.eth.contract(address=address, abi=compiled.abi)
    transact(pool.w3, pool.owner, token.functions.setBalance(guard.address, pool.units(1_000)))
    transact(pool.w3, pool.owner, guard.functions.setKeeper(pool.keeper.address))
    transact(pool.w3, pool.owner, guard.functions.setDailyPayoutLimit(pool.units(100)))
    user = pool.users[0]
    transact(pool.w3, user, guard.functions.requestClaim(1, "BTC-USDT-SWAP", ETHER, 10))
    transact(pool.w3, pool.keeper, guard.functions.verifyPayout(user.address, 1, pool.units(5), True, ROOT))

    assert guard.functions.asset().call() == token.address
    assert guard.functions.poolBalance().call() == pool.units(1_000)
    expect_revert(guard.functions.executePayout(user.address, 1), pool.keeper.address, "transfer failed")
    expect_revert(guard.functions.withdraw(pool.units(1)), pool.owner.address, "transfer failed")

    # A batch skips the item instead, with its effects undone.
    receipt = transact(pool.w3, pool.keeper, guard.functions.executePayoutBatch([(user.address, 1)]))
    assert [dict(e["args"]) for e in guard.events.PayoutSkipped().process_receipt(receipt, errors=DISCARD)] == [
        {"user": user.address, "orderId": 1, "action": 2, "reason": "transfer failed"}]
    assert guard.events.PayoutExecuted().process_receipt(receipt, errors=DISCARD) == ()
    assert guard.functions.getClaim(user.address, 1).call()[6] is False
    assert guard.functions.paidToday().call() == 0


def test_the_asset_must_be_a_contract(usdt_pool, compiled):
    factory = usdt_pool.w3.eth.contract(abi=compiled.abi, bytecode=compiled.bytecode)
    with pytest.raises(ContractLogicError) as info:
        factory.constructor(usdt_pool.users[0].address, 1).estimate_gas({"from": usdt_pool.owner.address})
    assert info.value.message == "execution reverted: asset is not a contract"


# ---------------------------------------------------------------- payouts

def test_execute_payout_transfers_to_the_user(pool):
    user, guard = pool.users[2], pool.guard
    amount = pool.units(5)
    verified_claim(pool, user, 700, amount)
    user_before, pool_before = pool.balance(user.address), pool.balance(guard.address)

    receipt = transact(pool.w3, pool.keeper, guard.functions.executePayout(user.address, 700))
    assert receipt["status"] == 1
    assert pool.balance(user.address) == user_before + amount
    assert pool.balance(guard.address) == pool_before - amount == guard.functions.poolBalance().call()
    event = guard.events.PayoutExecuted().process_receipt(receipt, errors=DISCARD)[0]["args"]
    assert dict(event) == {"user": user.address, "orderId": 700, "amount": amount}
    assert guard.functions.getPayoutRecord(user.address, 700).call() == [700, amount, True, True]
    assert guard.functions.getClaim(user.address, 700).call()[6] is True
    assert guard.functions.paidToday().call() == amount
    expect_revert(guard.functions.executePayout(user.address, 700), pool.keeper.address, "already claimed")


def test_execute_payout_preconditions(pool):
    user, guard = pool.users[0], pool.guard
    keeper = pool.keeper.address
    expect_revert(guard.functions.executePayout(user.address, 800), keeper, "no claim")
    request(pool, user, 800)
    expect_revert(guard.functions.executePayout(user.address, 800), keeper, "not verified")
    verify(pool, pool.keeper, user, 800, pool.units(1))
    expect_revert(guard.functions.executePayout(user.address, 800), pool.owner.address, "not keeper")
    expect_revert(guard.functions.executePayout(user.address, 800), user.address, "not keeper")

    verified_claim(pool, user, 801, 0, liquidated=False)
    expect_revert(guard.functions.executePayout(user.address, 801), keeper, "not liquidated")

    transact(pool.w3, pool.owner, guard.functions.setDailyPayoutLimit(pool.units(10_000)))
    verified_claim(pool, user, 802, pool.units(1_001))
    expect_revert(guard.functions.executePayout(user.address, 802), keeper, "insufficient pool")


def test_daily_payout_limit_is_enforced_per_utc_day(pool):
    move_to_midday(pool)
    alice, bob, guard = pool.users[0], pool.users[1], pool.guard
    verified_claim(pool, alice, 900, pool.units(60))
    verified_claim(pool, bob, 901, pool.units(50))

    transact(pool.w3, pool.keeper, guard.functions.executePayout(alice.address, 900))
    assert guard.functions.paidToday().call() == pool.units(60)
    expect_revert(guard.functions.executePayout(bob.address, 901), pool.keeper.address, "daily limit")

    next_day(pool)
    assert guard.functions.paidToday().call() == 0
    transact(pool.w3, pool.keeper, guard.functions.executePayout(bob.address, 901))
    assert guard.functions.paidToday().call() == pool.units(50)


def test_daily_payout_limit_is_set_by_the_owner(usdt_pool):
    pool = usdt_pool
    expect_revert(pool.guard.functions.setDailyPayoutLimit(1), pool.keeper.address, "not owner")
    receipt = transact(pool.w3, pool.owner, pool.guard.functions.setDailyPayoutLimit(pool.units(7)))
    event = pool.guard.events.DailyPayoutLimitChanged().process_receipt(receipt, errors=DISCARD)[0]["args"]
    assert (event["previous"], event["current"]) == (pool.units(100), pool.units(7))
    assert pool.guard.functions.dailyPayoutLimit().call() == pool.units(7)


def test_pause_stops_payouts_until_unpaused(usdt_pool):
    pool = usdt_pool
    user, guard = pool.users[3], pool.guard
    verified_claim(pool, user, 1000, pool.units(1))
    expect_revert(guard.functions.pause(), pool.keeper.address, "not owner")

    receipt = transact(pool.w3, pool.owner, guard.functions.pause())
    assert guard.events.Paused().process_receipt(receipt, errors=DISCARD)[0]["args"]["account"] == pool.owner.address
    assert guard.functions.paused().call() is True
    expect_revert(guard.functions.executePayout(user.address, 1000), pool.keeper.address, "paused")
    expect_revert(guard.functions.pause(), pool.owner.address, "paused")

    receipt = transact(pool.w3, pool.owner, guard.functions.unpause())
    assert guard.events.Unpaused().process_receipt(receipt, errors=DISCARD)[0]["args"]["account"] == pool.owner.address
    assert transact(pool.w3, pool.keeper, guard.functions.executePayout(user.address, 1000))["status"] == 1


# ---------------------------------------------------------------- pool and roles

def test_withdraw_is_owner_only_and_daily_limited(pool):
    move_to_midday(pool)
    owner, guard = pool.owner, pool.guard
    expect_revert(guard.functions.withdraw(pool.units(1)), pool.keeper.address, "not owner")
    assert guard.functions.dailyWithdrawLimit().call() == pool.units(100)
    owner_before = pool.balance(owner.address)

    receipt = transact(pool.w3, owner, guard.functions.withdraw(pool.units(60)))
    event = guard.events.FundsWithdrawn().process_receipt(receipt, errors=DISCARD)[0]["args"]
    assert (event["to"], event["amount"]) == (owner.address, pool.units(60))
    assert pool.balance(guard.address) == guard.functions.poolBalance().call() == pool.units(940)
    if pool.token is not None:  # the owner's gas is paid in ETH, so only a token balance adds up exactly
        assert pool.balance(owner.address) == owner_before + pool.units(60)
    expect_revert(guard.functions.withdraw(pool.units(50)), owner.address, "daily limit")
    next_day(pool)
    assert transact(pool.w3, owner, guard.functions.withdraw(pool.units(50)))["status"] == 1
    assert guard.functions.poolBalance().call() == pool.units(890)


def test_set_keeper_hands_over_the_keeper_role(usdt_pool):
    pool = usdt_pool
    old, new, user, guard = pool.keeper, pool.users[4], pool.users[0], pool.guard
    expect_revert(guard.functions.setKeeper(new.address), old.address, "not owner")
    expect_revert(guard.functions.setKeeper(ZERO_ADDRESS), pool.owner.address, "zero address")

    receipt = transact(pool.w3, pool.owner, guard.functions.setKeeper(new.address))
    event = guard.events.KeeperChanged().process_receipt(receipt, errors=DISCARD)[0]["args"]
    assert (event["previous"], event["current"]) == (old.address, new.address)
    request(pool, user, 1100)
    expect_revert(guard.functions.verifyPayout(user.address, 1100, 1, True, ROOT), old.address, "not keeper")
    assert verify(pool, new, user, 1100, pool.units(1))["status"] == 1


# ---------------------------------------------------------------- verifyAndPay and the batches

VERIFY, PAY = 1, 2
CLAIM_EVENTS = ("PayoutVerified", "PayoutExecuted", "PayoutSkipped")


def verdict(user, order_id: int, amount: int, liquidated: bool = True) -> tuple:
    """A `Verdict` tuple, (user, orderId, amount, liquidated, evidenceRoot)."""
    address = user if isinstance(user, str) else user.address
    return (address, order_id, amount, liquidated, ROOT)


def key(user, order_id: int) -> tuple:
    """A `ClaimKey` tuple, (user, orderId)."""
    return (user if isinstance(user, str) else user.address, order_id)


def claim_events(pool: Pool, receipt) -> list[tuple]:
    """The receipt's PayoutVerified / PayoutExecuted / PayoutSkipped logs in log order, as
    (name, orderId, detail): the amount paid, or (action, reason) for a skip."""
    found = []
    for name in CLAIM_EVENTS:
        for event in getattr(pool.guard.events, name)().process_receipt(receipt, errors=DISCARD):
            args = event["args"]
            detail = (args["action"], args["reason"]) if name == "PayoutSkipped" else args["amount"]
            found.append((event["logIndex"], name, args["orderId"], detail))
    return [entry[1:] for entry in sorted(found)]


def claimed(pool: Pool, user, order_id: int) -> tuple[bool, bool]:
    """(verified, claimed) of a claim."""
    claim = pool.guard.functions.getClaim(user.address, order_id).call()
    return claim[5], claim[6]


def test_verify_and_pay_records_and_pays_in_one_transaction(pool):
    user, guard = pool.users[1], pool.guard
    amount = pool.units(7)
    request(pool, user, 2000)
    user_before = pool.balance(user.address)

    receipt = transact(pool.w3, pool.keeper, guard.functions.verifyAndPay(user.address, 2000, amount, True, ROOT))
    assert claim_events(pool, receipt) == [("PayoutVerified", 2000, amount), ("PayoutExecuted", 2000, amount)]
    assert guard.functions.getClaim(user.address, 2000).call()[3:] == (amount, True, True, True, ROOT)
    assert pool.balance(user.address) == user_before + amount
    assert guard.functions.paidToday().call() == amount
    keeper = pool.keeper.address
    expect_revert(guard.functions.verifyAndPay(user.address, 2000, amount, True, ROOT), keeper, "already verified")
    expect_revert(guard.functions.executePayout(user.address, 2000), keeper, "already claimed")


def test_verify_and_pay_reverts_with_the_single_calls_reasons(pool):
    move_to_midday(pool)
    user, guard, keeper = pool.users[0], pool.guard, pool.keeper.address

    def refused(order_id: int, amount: int, reason: str, liquidated: bool = True, sender: str = keeper):
        expect_revert(guard.functions.verifyAndPay(user.address, order_id, amount, liquidated, ROOT), sender, reason)

    refused(2100, pool.units(1), "no claim")
    request(pool, user, 2100)
    refused(2100, pool.units(1), "not keeper", sender=pool.owner.address)
    refused(2100, pool.units(1), "not keeper", sender=user.address)
    refused(2100, 0, "not liquidated", liquidated=False)
    refused(2100, 0, "zero amount")
    refused(2100, pool.units(1_001), "insufficient pool")
    refused(2100, pool.units(101), "daily limit")
    transact(pool.w3, pool.owner, guard.functions.pause())
    refused(2100, pool.units(1), "paused")
    assert claimed(pool, user, 2100) == (False, False)
    verify(pool, pool.keeper, user, 2100, pool.units(1))
    refused(2100, pool.units(1), "already verified")


def test_verify_payout_batch_records_each_verdict_or_skips_it(usdt_pool):
    pool = usdt_pool
    alice, bob, guard = pool.users[0], pool.users[1], pool.guard
    request(pool, alice, 2200)
    request(pool, bob, 2201)
    verified_claim(pool, alice, 2202, pool.units(1))
    items = [
        verdict(alice, 2200, pool.units(3)),
        verdict(bob, 2299, pool.units(3)),                      # never requested
        verdict(alice, 2202, pool.units(9)),                    # verified before
        verdict(bob, 2201, 0, liquidated=False),
        verdict(alice, 2200, pool.units(4), liquidated=False),  # the same claim again: the first verdict stands
    ]

    receipt = transact(pool.w3, pool.keeper, guard.functions.verifyPayoutBatch(items))
    assert claim_events(pool, receipt) == [
        ("PayoutVerified", 2200, pool.units(3)),
        ("PayoutSkipped", 2299, (VERIFY, "no claim")),
        ("PayoutSkipped", 2202, (VERIFY, "already verified")),
        ("PayoutVerified", 2201, 0),
        ("PayoutSkipped", 2200, (VERIFY, "already verified")),
    ]
    assert guard.functions.getClaim(alice.address, 2200).call()[3:] == (pool.units(3), True, True, False, ROOT)
    assert guard.functions.getClaim(bob.address, 2201).call()[3:] == (0, False, True, False, ROOT)
    assert guard.functions.getClaim(alice.address, 2202).call()[3] == pool.units(1)
    assert pool.guard.events.PayoutSkipped().process_receipt(receipt, errors=DISCARD)[0]["args"]["user"] == bob.address


def test_verify_and_pay_batch_pays_what_it_can_and_keeps_the_other_verdicts(pool):
    move_to_midday(pool)
    users, guard = pool.users, pool.guard
    for i, order_id in enumerate((2300, 2301, 2302, 2304, 2305, 2306)):
        request(pool, users[i % 5], order_id)
    verified_claim(pool, users[3], 2303, pool.units(2))
    before = [pool.balance(u.address) for u in users]
    items = [
        verdict(users[0], 2300, pool.units(50)),
        verdict(users[1], 2301, pool.units(5), liquidated=False),  # recorded, nothing to pay, no skip
        verdict(users[2], 2302, 0),                                # liquidated, amount 0: the same
        verdict(users[3], 2303, pool.units(2)),                    # verified before
        verdict(users[4], 2399, pool.units(2)),                    # never requested
        verdict(users[3], 2304, pool.units(1_001)),
        verdict(users[4], 2305, pool.units(60)),                   # 50 + 60 > the daily 100
        verdict(users[0], 2306, pool.units(40)),
    ]

    receipt = transact(pool.w3, pool.keeper, guard.functions.verifyAndPayBatch(items))
    assert claim_events(pool, receipt) == [
        ("PayoutVerified", 2300, pool.units(50)), ("PayoutExecuted", 2300, pool.units(50)),
        ("PayoutVerified", 2301, pool.units(5)),
        ("PayoutVerified", 2302, 0),
        ("PayoutSkipped", 2303, (VERIFY, "already verified")),
        ("PayoutSkipped", 2399, (VERIFY, "no claim")),
        ("PayoutVerified", 2304, pool.units(1_001)), ("PayoutSkipped", 2304, (PAY, "insufficient pool")),
        ("PayoutVerified", 2305, pool.units(60)), ("PayoutSkipped", 2305, (PAY, "daily limit")),
        ("PayoutVerified", 2306, pool.units(40)), ("PayoutExecuted", 2306, pool.units(40)),
    ]
    assert pool.balance(users[0].address) == before[0] + pool.units(90)
    if pool.token is not None:  # the others paid no gas in the token
        assert [pool.balance(u.address) for u in users[1:]] == before[1:]
    assert guard.functions.paidToday().call() == pool.units(90)
    assert guard.functions.poolBalance().call() == pool.units(910)
    assert claimed(pool, users[3], 2303) == (True, False)
    assert claimed(pool, users[3], 2304) == (True, False)
    assert claimed(pool, users[4], 2305) == (True, False)

    # The verdict stays recorded: the claim is paid later, once, by executePayout.
    next_day(pool)
    receipt = transact(pool.w3, pool.keeper, guard.functions.executePayout(users[4].address, 2305))
    assert claim_events(pool, receipt) == [("PayoutExecuted", 2305, pool.units(60))]


def test_verify_and_pay_batch_while_paused_records_the_verdicts_only(usdt_pool):
    pool = usdt_pool
    user, guard = pool.users[2], pool.guard
    request(pool, user, 2400)
    request(pool, user, 2401)
    transact(pool.w3, pool.owner, guard.functions.pause())

    items = [verdict(user, 2400, pool.units(1)), verdict(user, 2401, pool.units(2))]
    receipt = transact(pool.w3, pool.keeper, guard.functions.verifyAndPayBatch(items))
    assert claim_events(pool, receipt) == [
        ("PayoutVerified", 2400, pool.units(1)), ("PayoutSkipped", 2400, (PAY, "paused")),
        ("PayoutVerified", 2401, pool.units(2)), ("PayoutSkipped", 2401, (PAY, "paused")),
    ]
    receipt = transact(pool.w3, pool.keeper, guard.functions.executePayoutBatch([key(user, 2400), key(user, 2401)]))
    assert claim_events(pool, receipt) == [
        ("PayoutSkipped", 2400, (PAY, "paused")), ("PayoutSkipped", 2401, (PAY, "paused"))]

    transact(pool.w3, pool.owner, guard.functions.unpause())
    receipt = transact(pool.w3, pool.keeper, guard.functions.executePayoutBatch([key(user, 2400), key(user, 2401)]))
    assert claim_events(pool, receipt) == [
        ("PayoutExecuted", 2400, pool.units(1)), ("PayoutExecuted", 2401, pool.units(2))]


def test_execute_payout_batch_pays_what_it_can_and_skips_the_rest(pool):
    move_to_midday(pool)
    users, guard = pool.users, pool.guard
    verified_claim(pool, users[0], 2500, pool.units(30))
    request(pool, users[1], 2501)                                     # not verified
    verified_claim(pool, users[2], 2502, 0, liquidated=False)
    verified_claim(pool, users[3], 2503, pool.units(1))
    transact(pool.w3, pool.keeper, guard.functions.executePayout(users[3].address, 2503))
    verified_claim(pool, users[4], 2504, 0)                           # liquidated, amount 0
    verified_claim(pool, users[0], 2505, pool.units(1_001))
    verified_claim(pool, users[1], 2506, pool.units(80))              # 1 + 30 + 80 > the daily 100
    verified_claim(pool, users[2], 2507, pool.units(69))
    before = [pool.balance(u.address) for u in users]
    items = [key(users[0], 2500), key(users[4], 2599), key(users[1], 2501), key(users[2], 2502),
             key(users[3], 2503), key(users[0], 2500), key(users[4], 2504), key(users[0], 2505),
             key(users[1], 2506), key(users[2], 2507)]

    receipt = transact(pool.w3, pool.keeper, guard.functions.executePayoutBatch(items))
    assert claim_events(pool, receipt) == [
        ("PayoutExecuted", 2500, pool.units(30)),
        ("PayoutSkipped", 2599, (PAY, "no claim")),
        ("PayoutSkipped", 2501, (PAY, "not verified")),
        ("PayoutSkipped", 2502, (PAY, "not liquidated")),
        ("PayoutSkipped", 2503, (PAY, "already claimed")),
        ("PayoutSkipped", 2500, (PAY, "already claimed")),  # the same claim twice in one batch
        ("PayoutSkipped", 2504, (PAY, "zero amount")),
        ("PayoutSkipped", 2505, (PAY, "insufficient pool")),
        ("PayoutSkipped", 2506, (PAY, "daily limit")),
        ("PayoutExecuted", 2507, pool.units(69)),
    ]
    assert pool.balance(users[0].address) == before[0] + pool.units(30)
    if pool.token is not None:
        assert pool.balance(users[2].address) == before[2] + pool.units(69)
        assert [pool.balance(users[i].address) for i in (1, 3, 4)] == [before[i] for i in (1, 3, 4)]
    assert guard.functions.paidToday().call() == pool.units(100)
    assert guard.functions.poolBalance().call() == pool.units(900)
    assert [claimed(pool, users[i], o) for i, o in ((0, 2500), (2, 2507), (1, 2506), (0, 2505))] == [
        (True, True), (True, True), (True, False), (True, False)]


def test_the_batches_are_keeper_only(usdt_pool):
    pool = usdt_pool
    user, guard = pool.users[0], pool.guard
    request(pool, user, 2600)
    for sender in (pool.owner.address, user.address):
        expect_revert(guard.functions.verifyPayoutBatch([verdict(user, 2600, 1)]), sender, "not keeper")
        expect_revert(guard.functions.verifyAndPayBatch([verdict(user, 2600, 1)]), sender, "not keeper")
        expect_revert(guard.functions.executePayoutBatch([key(user, 2600)]), sender, "not keeper")
        expect_revert(guard.functions.verifyPayoutBatch([]), sender, "not keeper")


def test_an_empty_batch_does_nothing(usdt_pool):
    pool = usdt_pool
    for call in (pool.guard.functions.verifyPayoutBatch([]), pool.guard.functions.verifyAndPayBatch([]),
                 pool.guard.functions.executePayoutBatch([])):
        receipt = transact(pool.w3, pool.keeper, call)
        assert receipt["status"] == 1
        assert receipt["logs"] == []


def test_a_batch_holds_at_most_max_batch_items(usdt_pool):
    pool = usdt_pool
    user = pool.users[0]
    assert transact(pool.w3, pool.keeper, pool.guard.functions.executePayoutBatch([key(user, 1)] * 256))["status"] == 1
    with pytest.raises(ContractLogicError):
        pool.guard.functions.executePayoutBatch([key(user, 1)] * 257).call({"from": pool.keeper.address})


def test_a_receiver_that_refuses_the_native_coin_is_skipped_with_its_effects_undone(native_devnode, abi,
                                                                                    stablecoin_compiled):
    pool = make_pool(native_devnode, abi, stablecoin_compiled.abi)
    move_to_midday(pool)
    guard, keeper, user = pool.guard, pool.keeper, pool.users[0]
    source = vyper.compile_code(REJECTING_RECEIVER, output_formats=["abi", "bytecode"])
    bytecode = bytes.fromhex(source["bytecode"].removeprefix("0x"))
    receiver = pool.w3.eth.contract(address=deploy(pool, source["abi"], bytecode)["contractAddress"], abi=source["abi"])
    for order_id in (2700, 2701, 2702):
        transact(pool.w3, pool.owner, receiver.functions.request(guard.address, order_id))
    verify(pool, keeper, receiver, 2700, pool.units(10))
    verified_claim(pool, user, 2710, pool.units(20))
    user_before = pool.balance(user.address)

    expect_revert(guard.functions.executePayout(receiver.address, 2700), keeper.address, "transfer failed")
    receipt = transact(pool.w3, keeper, guard.functions.executePayoutBatch([key(receiver.address, 2700),
                                                                          key(user, 2710)]))
    assert claim_events(pool, receipt) == [
        ("PayoutSkipped", 2700, (PAY, "transfer failed")), ("PayoutExecuted", 2710, pool.units(20))]
    assert guard.functions.getClaim(receiver.address, 2700).call()[5:7] == (True, False)
    assert guard.functions.paidToday().call() == pool.units(20)
    assert pool.balance(user.address) == user_before + pool.units(20)
    assert pool.balance(receiver.address) == 0

    expect_revert(guard.functions.verifyAndPay(receiver.address, 2701, pool.units(10), True, ROOT), keeper.address,
                  "transfer failed")
    receipt = transact(pool.w3, keeper, guard.functions.verifyAndPayBatch([verdict(receiver.address, 2701, pool.units(10)),
                                                                          verdict(receiver.address, 2702, pool.units(5))]))
    assert claim_events(pool, receipt) == [
        ("PayoutVerified", 2701, pool.units(10)), ("PayoutSkipped", 2701, (PAY, "transfer failed")),
        ("PayoutVerified", 2702, pool.units(5)), ("PayoutSkipped", 2702, (PAY, "transfer failed"))]
    assert guard.functions.getClaim(receiver.address, 2701).call()[5:7] == (True, False)
    assert guard.functions.paidToday().call() == pool.units(20)
    assert guard.functions.poolBalance().call() == pool.units(980)


def test_each_claim_gets_one_verified_and_one_executed_event_whatever_records_and_pays_it(pool):
    users, guard, keeper = pool.users, pool.guard, pool.keeper
    first = pool.w3.eth.block_number + 1
    orders = [(users[i % 5], 2800 + i) for i in range(8)]
    for user, order_id in orders:
        request(pool, user, order_id)
    amount = pool.units(1)
    half = [verdict(u, o, amount) for u, o in orders[:4]]
    rest = [verdict(u, o, amount) for u, o in orders[4:]]
    keys = [key(u, o) for u, o in orders]

    transact(pool.w3, keeper, guard.functions.verifyPayoutBatch(half))
    transact(pool.w3, keeper, guard.functions.verifyAndPayBatch(half + rest))  # pays the rest only
    transact(pool.w3, keeper, guard.functions.executePayoutBatch(keys))       # pays the first half
    transact(pool.w3, keeper, guard.functions.executePayoutBatch(keys))       # nothing left
    transact(pool.w3, keeper, guard.functions.verifyAndPayBatch(half + rest))  # nothing left
    expect_revert(guard.functions.verifyAndPay(users[0].address, 2800, amount, True, ROOT), keeper.address,
                  "already verified")

    counts: dict = {}
    for name in ("PayoutVerified", "PayoutExecuted"):
        for log in getattr(guard.events, name)().get_logs(from_block=first):
            entry = counts.setdefault((log["args"]["user"], log["args"]["orderId"]), {})
            entry[name] = entry.get(name, 0) + 1
    assert counts == {(u.address, o): {"PayoutVerified": 1, "PayoutExecuted": 1} for u, o in orders}
    assert guard.functions.paidToday().call() == 8 * amount


# Measured on devnode (devnet/devchain.py) on 2026-12-06, gas used by the whole transaction
# (21,000 and calldata included), per item; receivers are the devnet's 5 users in turn, so most
# items pay an already-warm receiver, as a cascade from fewer traders than claims does.
# The day's payout counters already hold a value (the first payout ever pays ~40,000 more once).
# Most of a verdict is its two fresh storage slots (amount, evidence root: 22,100 each); the flags
# share the slot of the request time, so a verdict and a payment only rewrite it.
#                                   USDT pool    native pool
#   verifyPayout                       77,463       77,499
#   executePayout                      62,829       56,338
#   verifyAndPay                      109,594      103,139
#   verifyPayoutBatch   per item, 1    85,266       85,302
#                                10    57,387       57,423
#                               100    54,599       54,635
#   executePayoutBatch  per item, 1    65,579       59,088
#                                10    23,237       24,466
#                               100    17,083       20,004
#   verifyAndPayBatch   per item, 1   117,495      111,040
#                                10    70,585       71,850
#                               100    63,974       66,931
GAS_BATCH_SIZES = (1, 10, 100)


def test_gas_per_item(pool):
    """Prints the gas figures (run with -s) and bounds them, so a costlier contract is noticed."""
    users, guard, keeper = pool.users, pool.guard, pool.keeper
    transact(pool.w3, pool.owner, guard.functions.setDailyPayoutLimit(pool.units(1_000)))
    amount = pool.units(1)
    next_order = iter(range(3000, 10_000))
    figures: dict[str, int] = {}

    def claims(count: int) -> list[tuple]:
        made = [(users[i % 5], next(next_order)) for i in range(count)]
        for user, order_id in made:
            request(pool, user, order_id)
        return made

    def gas(call) -> int:
        receipt = transact(pool.w3, keeper, call)
        assert receipt["status"] == 1
        assert not pool.guard.events.PayoutSkipped().process_receipt(receipt, errors=DISCARD)
        return receipt["gasUsed"]

    # The first payout ever sets the day counters from zero (about 40,000 gas once); not measured.
    [(user, order_id)] = claims(1)
    transact(pool.w3, keeper, guard.functions.verifyAndPay(user.address, order_id, amount, True, ROOT))
    [(user, order_id)] = claims(1)
    figures["verifyPayout"] = gas(guard.functions.verifyPayout(user.address, order_id, amount, True, ROOT))
    figures["executePayout"] = gas(guard.functions.executePayout(user.address, order_id))
    [(user, order_id)] = claims(1)
    figures["verifyAndPay"] = gas(guard.functions.verifyAndPay(user.address, order_id, amount, True, ROOT))
    for size in GAS_BATCH_SIZES:
        made = claims(size)
        figures[f"verifyPayoutBatch/{size}"] = gas(guard.functions.verifyPayoutBatch(
            [verdict(u, o, amount) for u, o in made])) // size
        figures[f"executePayoutBatch/{size}"] = gas(guard.functions.executePayoutBatch(
            [key(u, o) for u, o in made])) // size
        made = claims(size)
        figures[f"verifyAndPayBatch/{size}"] = gas(guard.functions.verifyAndPayBatch(
            [verdict(u, o, amount) for u, o in made])) // size

    asset = "USDT" if pool.token is not None else "ETH"
    for name, value in figures.items():
        print(f"gas {asset} {name}: {value}")
    # verifyAndPay costs less than verifyPayout + executePayout, and a batch of 100 at least
    # 15,000 less per item than one call (most of the 21,000 a transaction costs), for each function.
    assert figures["verifyAndPay"] < figures["verifyPayout"] + figures["executePayout"]
    for single, batch in (("verifyPayout", "verifyPayoutBatch"), ("executePayout", "executePayoutBatch"),
                          ("verifyAndPay", "verifyAndPayBatch")):
        assert figures[f"{batch}/100"] < figures[single] - 15_000, (single, figures)
    assert figures["verifyAndPayBatch/100"] < 75_000, figures
