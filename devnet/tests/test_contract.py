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


def signatures(abi: list, kind: str) -> set[str]:
    return {f"{e['name']}({','.join(i['type'] for i in e['inputs'])})" for e in abi if e["type"] == kind}


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
    for name in ("ClaimRequested", "PayoutVerified", "PayoutExecuted"):
        assert indexed[name] == ["user", "orderId"]


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
