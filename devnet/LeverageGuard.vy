# pragma version 0.4.3
"""
@title LeverageGuard
@license MIT
@notice Liquidation-insurance pool. A user requests a claim for one of their
        exchange orders; the keeper verifies the liquidation off-chain, records
        the verdict and the Merkle root of its evidence (`verifyPayout`), and
        pays liquidated claims from the pool (`executePayout`), or both at
        once (`verifyAndPay`). The batch forms (`verifyPayoutBatch`,
        `verifyAndPayBatch`, `executePayoutBatch`) skip an item that cannot be
        done, reporting it by `PayoutSkipped` with the reason the single call
        would revert with, instead of reverting the whole batch.
@dev    The claim key is (user, orderId). Pausing stops payouts only: users can
        still request claims, the keeper can still record verdicts, and the
        owner can still withdraw (within the daily withdrawal limit).
        Daily limits use UTC days: day = block.timestamp // 86400.
        The pool pays in one asset fixed at deployment: an ERC-20 token (a
        stablecoin such as USDT) or, for the zero address, the chain's native coin.
        Tokens whose `transfer` returns nothing (mainnet USDT) are accepted.
        Exactly one `PayoutVerified` and at most one `PayoutExecuted` are ever
        logged per claim, whichever functions record and pay it.
"""

from ethereum.ercs import IERC20

SECONDS_PER_DAY: constant(uint256) = 86400
MAX_BATCH: constant(uint256) = 256
ACTION_VERIFY: constant(uint8) = 1
ACTION_PAY: constant(uint8) = 2

# Bits of StoredClaim.state below the request time.
LIQUIDATED: constant(uint256) = 1
VERIFIED: constant(uint256) = 2
CLAIMED: constant(uint256) = 4
FLAG_BITS: constant(uint256) = 8


struct Claim:
    principal: uint256
    leverage: uint16
    requestedAt: uint256
    amount: uint256
    liquidated: bool
    verified: bool
    claimed: bool
    evidenceRoot: bytes32


# A claim as stored. `state` is requestedAt << FLAG_BITS | LIQUIDATED | VERIFIED | CLAIMED: one slot,
# set by requestClaim, so that a verdict and a payment rewrite a slot already set (about 2,900 gas)
# instead of setting fresh ones (22,100 each). `getClaim` returns the unpacked `Claim`.
struct StoredClaim:
    principal: uint256
    leverage: uint16
    state: uint256
    amount: uint256
    evidenceRoot: bytes32


# The keeper's verdict for one claim, as `verifyPayout` takes it.
struct Verdict:
    user: address
    orderId: uint256
    amount: uint256
    liquidated: bool
    evidenceRoot: bytes32


struct ClaimKey:
    user: address
    orderId: uint256


event ClaimRequested:
    user: indexed(address)
    orderId: indexed(uint256)
    instId: String[64]
    principal: uint256
    leverage: uint16

event PayoutVerified:
    user: indexed(address)
    orderId: indexed(uint256)
    amount: uint256
    liquidated: bool
    evidenceRoot: bytes32

event PayoutExecuted:
    user: indexed(address)
    orderId: indexed(uint256)
    amount: uint256

# A batch item that was not done. `action` is 1 for the verdict, 2 for the
# payment; `reason` is what verifyPayout or executePayout would revert with.
event PayoutSkipped:
    user: indexed(address)
    orderId: indexed(uint256)
    action: uint8
    reason: String[32]

event FundsDeposited:
    sender: indexed(address)
    amount: uint256

event FundsWithdrawn:
    to: indexed(address)
    amount: uint256

event Paused:
    account: address

event Unpaused:
    account: address

event KeeperChanged:
    previous: indexed(address)
    current: indexed(address)

event DailyPayoutLimitChanged:
    previous: uint256
    current: uint256


# The token the pool pays in; the zero address means the native coin.
asset: public(immutable(address))

owner: public(address)
keeper: public(address)
paused: public(bool)
dailyPayoutLimit: public(uint256)
dailyWithdrawLimit: public(uint256)

# claims[user][orderId]; state == 0 means "no claim".
claims: HashMap[address, HashMap[uint256, StoredClaim]]

payoutDay: uint256
paidOnPayoutDay: uint256
withdrawDay: uint256
withdrawnOnWithdrawDay: uint256


@deploy
def __init__(poolAsset: address, dailyWithdrawLimit: uint256):
    """
    @notice The deployer becomes the owner. No keeper and a zero daily payout
            limit until the owner sets them, so nothing can be paid by default.
    @param poolAsset The ERC-20 token the pool holds and pays, or the zero
           address for the native coin; fixed for the contract's life.
    @param dailyWithdrawLimit Cap on the owner's withdrawals per UTC day; fixed
           for the contract's life so a stolen owner key cannot drain the pool.
    """
    assert poolAsset == empty(address) or poolAsset.is_contract, "asset is not a contract"
    asset = poolAsset
    self.owner = msg.sender
    self.dailyWithdrawLimit = dailyWithdrawLimit


# ---------------------------------------------------------------- internals

@internal
@view
def _today() -> uint256:
    return block.timestamp // SECONDS_PER_DAY


@internal
@view
def _pool_balance() -> uint256:
    if asset == empty(address):
        return self.balance
    return staticcall IERC20(asset).balanceOf(self)


@internal
def _try_send(receiver: address, amount: uint256) -> bool:
    """
    @dev Pays `amount` of the asset; False if the payment failed without
         reverting: a native-coin receiver that refused it, or a token whose
         `transfer` returned False. A token's `transfer` that returns nothing
         counts as success (`default_return_value`); one that reverts reverts
         the caller, a whole batch included.
    """
    if asset == empty(address):
        return raw_call(receiver, b"", value=amount, revert_on_failure=False)
    return extcall IERC20(asset).transfer(receiver, amount, default_return_value=True)


@internal
def _send(receiver: address, amount: uint256):
    assert self._try_send(receiver, amount), "transfer failed"


@internal
@view
def _paid_today() -> uint256:
    if self.payoutDay != self._today():
        return 0
    return self.paidOnPayoutDay


@internal
@view
def _verify_failure(user: address, orderId: uint256) -> String[32]:
    """
    @dev Why `verifyPayout` would refuse this claim now; empty if it would not.
    """
    state: uint256 = self.claims[user][orderId].state
    if state == 0:
        return "no claim"
    if state & VERIFIED != 0:
        return "already verified"
    return ""


@internal
def _record_verdict(verdict: Verdict):
    """
    @dev Stores a verdict `_verify_failure` accepted and logs PayoutVerified.
    """
    state: uint256 = self.claims[verdict.user][verdict.orderId].state | VERIFIED
    if verdict.liquidated:
        state |= LIQUIDATED
    self.claims[verdict.user][verdict.orderId].state = state
    self.claims[verdict.user][verdict.orderId].amount = verdict.amount
    self.claims[verdict.user][verdict.orderId].evidenceRoot = verdict.evidenceRoot
    log PayoutVerified(user=verdict.user, orderId=verdict.orderId, amount=verdict.amount,
                       liquidated=verdict.liquidated, evidenceRoot=verdict.evidenceRoot)


@internal
@view
def _pay_failure(user: address, orderId: uint256) -> String[32]:
    """
    @dev Why `executePayout` would refuse this claim now, in the order it
         checks; empty if it would pay. A failed transfer is found only by
         trying it (`_pay`).
    """
    if self.paused:
        return "paused"
    state: uint256 = self.claims[user][orderId].state
    if state == 0:
        return "no claim"
    if state & VERIFIED == 0:
        return "not verified"
    if state & LIQUIDATED == 0:
        return "not liquidated"
    if state & CLAIMED != 0:
        return "already claimed"
    amount: uint256 = self.claims[user][orderId].amount
    if amount == 0:
        return "zero amount"
    if self._pool_balance() < amount:
        return "insufficient pool"
    if self._paid_today() + amount > self.dailyPayoutLimit:
        return "daily limit"
    return ""


@internal
def _pay(user: address, orderId: uint256) -> bool:
    """
    @dev Pays a claim `_pay_failure` accepted. Effects come before the
         transfer; if the transfer fails they are undone and False is
         returned, with no PayoutExecuted. The event is logged only after a
         successful transfer; the callers are @nonreentrant.
    """
    amount: uint256 = self.claims[user][orderId].amount
    state: uint256 = self.claims[user][orderId].state
    day_before: uint256 = self.payoutDay
    paid_before: uint256 = self.paidOnPayoutDay
    self.paidOnPayoutDay = self._paid_today() + amount
    self.payoutDay = self._today()
    self.claims[user][orderId].state = state | CLAIMED

    if not self._try_send(user, amount):
        self.claims[user][orderId].state = state
        self.payoutDay = day_before
        self.paidOnPayoutDay = paid_before
        return False
    log PayoutExecuted(user=user, orderId=orderId, amount=amount)
    return True


@internal
@view
def _only_owner():
    assert msg.sender == self.owner, "not owner"


@internal
@view
def _only_keeper():
    assert msg.sender == self.keeper, "not keeper"


# ---------------------------------------------------------------- user

@external
def requestClaim(orderId: uint256, instId: String[64], principal: uint256, leverage: uint16):
    """
    @notice Open a claim for one of the caller's exchange orders.
    @dev Reverts "claim exists" if (msg.sender, orderId) was requested before.
    """
    assert self.claims[msg.sender][orderId].state == 0, "claim exists"
    assert len(instId) > 0, "empty instId"
    assert principal > 0, "zero principal"
    assert leverage > 0, "zero leverage"

    # Only the three fields a request sets: writing zeros to fresh slots costs gas for nothing.
    self.claims[msg.sender][orderId].principal = principal
    self.claims[msg.sender][orderId].leverage = leverage
    self.claims[msg.sender][orderId].state = block.timestamp << FLAG_BITS
    log ClaimRequested(user=msg.sender, orderId=orderId, instId=instId, principal=principal, leverage=leverage)


# ---------------------------------------------------------------- keeper

@external
def verifyPayout(user: address, orderId: uint256, amount: uint256, liquidated: bool, evidenceRoot: bytes32):
    """
    @notice Record the keeper's verdict for a claim, once.
    @param amount Payout owed if `liquidated`.
    @param evidenceRoot Merkle root of the keeper's evidence bundle.
    """
    self._only_keeper()
    reason: String[32] = self._verify_failure(user, orderId)
    assert len(reason) == 0, reason
    self._record_verdict(Verdict(user=user, orderId=orderId, amount=amount, liquidated=liquidated,
                                 evidenceRoot=evidenceRoot))


@external
@nonreentrant
def executePayout(user: address, orderId: uint256):
    """
    @notice Pay a verified, liquidated, unpaid claim from the pool, within the
            on-chain daily payout limit.
    @dev Reverts with the first failing check: "paused", "no claim", "not
         verified", "not liquidated", "already claimed", "zero amount",
         "insufficient pool", "daily limit", then "transfer failed".
    """
    self._only_keeper()
    reason: String[32] = self._pay_failure(user, orderId)
    assert len(reason) == 0, reason
    assert self._pay(user, orderId), "transfer failed"


@external
@nonreentrant
def verifyAndPay(user: address, orderId: uint256, amount: uint256, liquidated: bool, evidenceRoot: bytes32):
    """
    @notice Record a verdict and pay it in one transaction: `verifyPayout`
            then `executePayout`, all or nothing.
    @dev Reverts with `verifyPayout`'s reasons first, then `executePayout`'s
         (so a verdict that is not liquidated, or of amount 0, reverts "not
         liquidated" or "zero amount": record it with `verifyPayout`).
         Logs PayoutVerified then PayoutExecuted.
    """
    self._only_keeper()
    reason: String[32] = self._verify_failure(user, orderId)
    assert len(reason) == 0, reason
    self._record_verdict(Verdict(user=user, orderId=orderId, amount=amount, liquidated=liquidated,
                                 evidenceRoot=evidenceRoot))
    reason = self._pay_failure(user, orderId)
    assert len(reason) == 0, reason
    assert self._pay(user, orderId), "transfer failed"


@external
def verifyPayoutBatch(items: DynArray[Verdict, MAX_BATCH]):
    """
    @notice Record many verdicts. An item `verifyPayout` would refuse ("no
            claim", "already verified") is skipped with PayoutSkipped(action=1);
            the others are recorded with PayoutVerified. Reverts only for the
            caller ("not keeper"), never for an item.
    """
    self._only_keeper()
    for verdict: Verdict in items:
        reason: String[32] = self._verify_failure(verdict.user, verdict.orderId)
        if len(reason) != 0:
            log PayoutSkipped(user=verdict.user, orderId=verdict.orderId, action=ACTION_VERIFY, reason=reason)
            continue
        self._record_verdict(verdict)


@external
@nonreentrant
def verifyAndPayBatch(items: DynArray[Verdict, MAX_BATCH]):
    """
    @notice Record many verdicts and pay those that can be paid now.
    @dev Each item: the verdict as in `verifyPayoutBatch` (a skipped verdict
         ends the item). Then, if liquidated with an amount above 0, the
         payment as in `executePayoutBatch`; a payment that cannot be done is
         skipped with PayoutSkipped(action=2) and the verdict stays recorded,
         for `executePayout` or `executePayoutBatch` to pay later. A verdict
         not liquidated or of amount 0 is only recorded, without a skip.
    """
    self._only_keeper()
    for verdict: Verdict in items:
        reason: String[32] = self._verify_failure(verdict.user, verdict.orderId)
        if len(reason) != 0:
            log PayoutSkipped(user=verdict.user, orderId=verdict.orderId, action=ACTION_VERIFY, reason=reason)
            continue
        self._record_verdict(verdict)
        if not verdict.liquidated or verdict.amount == 0:
            continue
        reason = self._pay_failure(verdict.user, verdict.orderId)
        if len(reason) == 0 and not self._pay(verdict.user, verdict.orderId):
            reason = "transfer failed"
        if len(reason) != 0:
            log PayoutSkipped(user=verdict.user, orderId=verdict.orderId, action=ACTION_PAY, reason=reason)


@external
@nonreentrant
def executePayoutBatch(items: DynArray[ClaimKey, MAX_BATCH]):
    """
    @notice Pay many verified claims. An item `executePayout` would refuse is
            skipped with PayoutSkipped(action=2, reason); the others are paid
            with PayoutExecuted.
    @dev A native-coin payment the receiver refuses is skipped ("transfer
         failed") with its effects undone. A token whose `transfer` reverts
         reverts the whole batch; one that returns False is skipped. A
         receiver is called with all the gas left, so one that burns it can
         make the batch run out of gas: the keeper then pays it alone.
    """
    self._only_keeper()
    for key: ClaimKey in items:
        reason: String[32] = self._pay_failure(key.user, key.orderId)
        if len(reason) == 0 and not self._pay(key.user, key.orderId):
            reason = "transfer failed"
        if len(reason) != 0:
            log PayoutSkipped(user=key.user, orderId=key.orderId, action=ACTION_PAY, reason=reason)


# ---------------------------------------------------------------- views

@external
@view
def getPayoutRecord(user: address, orderId: uint256) -> (uint256, uint256, bool, bool):
    """
    @notice The seed contract's record view: (orderId, amount, verified, claimed).
    """
    state: uint256 = self.claims[user][orderId].state
    return orderId, self.claims[user][orderId].amount, state & VERIFIED != 0, state & CLAIMED != 0


@external
@view
def getClaim(user: address, orderId: uint256) -> Claim:
    """
    @notice Everything stored for a claim; all zero if it was never requested.
    """
    stored: StoredClaim = self.claims[user][orderId]
    return Claim(
        principal=stored.principal,
        leverage=stored.leverage,
        requestedAt=stored.state >> FLAG_BITS,
        amount=stored.amount,
        liquidated=stored.state & LIQUIDATED != 0,
        verified=stored.state & VERIFIED != 0,
        claimed=stored.state & CLAIMED != 0,
        evidenceRoot=stored.evidenceRoot,
    )


@external
@view
def paidToday() -> uint256:
    """
    @notice Amount paid out during the current UTC day.
    """
    return self._paid_today()


# ---------------------------------------------------------------- pool and owner

@external
@view
def poolBalance() -> uint256:
    """
    @notice What the pool holds, in the asset's smallest unit.
    """
    return self._pool_balance()


@external
@payable
def deposit():
    """
    @notice Add native coin to a native-coin pool.
    """
    assert asset == empty(address), "token pool: use depositToken"
    assert msg.value > 0, "zero deposit"
    log FundsDeposited(sender=msg.sender, amount=msg.value)


@external
@nonreentrant
def depositToken(amount: uint256):
    """
    @notice Add `amount` of the pool's token, pulled from the caller, who must
            have approved this contract for it first.
    @dev The event reports what arrived, so that the pool's accounting holds
         for a token that takes a fee on transfer.
    """
    assert asset != empty(address), "native pool: use deposit"
    assert amount > 0, "zero deposit"
    before: uint256 = staticcall IERC20(asset).balanceOf(self)
    assert extcall IERC20(asset).transferFrom(msg.sender, self, amount, default_return_value=True), "transfer failed"
    received: uint256 = staticcall IERC20(asset).balanceOf(self) - before
    assert received > 0, "zero deposit"
    log FundsDeposited(sender=msg.sender, amount=received)


@external
@nonreentrant
def withdraw(amount: uint256):
    """
    @notice Owner withdraws pool funds to itself, within the daily withdrawal limit.
    """
    self._only_owner()
    assert amount > 0, "zero amount"
    assert self._pool_balance() >= amount, "insufficient pool"

    today: uint256 = self._today()
    withdrawn: uint256 = self.withdrawnOnWithdrawDay
    if self.withdrawDay != today:
        withdrawn = 0
    assert withdrawn + amount <= self.dailyWithdrawLimit, "daily limit"

    self.withdrawDay = today
    self.withdrawnOnWithdrawDay = withdrawn + amount
    log FundsWithdrawn(to=msg.sender, amount=amount)

    self._send(msg.sender, amount)


@external
def pause():
    """
    @notice Stop payouts.
    """
    self._only_owner()
    assert not self.paused, "paused"
    self.paused = True
    log Paused(account=msg.sender)


@external
def unpause():
    """
    @notice Resume payouts.
    """
    self._only_owner()
    assert self.paused, "not paused"
    self.paused = False
    log Unpaused(account=msg.sender)


@external
def setKeeper(keeper: address):
    """
    @notice Replace the keeper account.
    """
    self._only_owner()
    assert keeper != empty(address), "zero address"
    previous: address = self.keeper
    self.keeper = keeper
    log KeeperChanged(previous=previous, current=keeper)


@external
def setDailyPayoutLimit(limit: uint256):
    """
    @notice Set the most the keeper may pay out per UTC day.
    """
    self._only_owner()
    previous: uint256 = self.dailyPayoutLimit
    self.dailyPayoutLimit = limit
    log DailyPayoutLimitChanged(previous=previous, current=limit)
