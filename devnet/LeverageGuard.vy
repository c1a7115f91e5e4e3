# pragma version 0.4.3
"""
@title LeverageGuard
@license MIT
@notice Liquidation-insurance pool. A user requests a claim for one of their
        exchange orders; the keeper verifies the liquidation off-chain, records
        the verdict and the Merkle root of its evidence (`verifyPayout`), and
        pays liquidated claims from the pool (`executePayout`).
@dev    The claim key is (user, orderId). Pausing stops payouts only: users can
        still request claims, the keeper can still record verdicts, and the
        owner can still withdraw (within the daily withdrawal limit).
        Daily limits use UTC days: day = block.timestamp // 86400.
        The pool pays in one asset fixed at deployment: an ERC-20 token (a
        stablecoin such as USDT) or, for the zero address, the chain's native coin.
        Tokens whose `transfer` returns nothing (mainnet USDT) are accepted.
"""

from ethereum.ercs import IERC20

SECONDS_PER_DAY: constant(uint256) = 86400


struct Claim:
    principal: uint256
    leverage: uint16
    requestedAt: uint256
    amount: uint256
    liquidated: bool
    verified: bool
    claimed: bool
    evidenceRoot: bytes32


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

# claims[user][orderId]; requestedAt == 0 means "no claim".
claims: HashMap[address, HashMap[uint256, Claim]]

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
def _send(receiver: address, amount: uint256):
    """
    @dev Pays `amount` of the asset. A token's `transfer` that returns nothing
         counts as success (`default_return_value`); one that returns False or
         reverts fails the payment.
    """
    if asset == empty(address):
        success: bool = raw_call(receiver, b"", value=amount, revert_on_failure=False)
        assert success, "transfer failed"
    else:
        assert extcall IERC20(asset).transfer(receiver, amount, default_return_value=True), "transfer failed"


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
    assert self.claims[msg.sender][orderId].requestedAt == 0, "claim exists"
    assert len(instId) > 0, "empty instId"
    assert principal > 0, "zero principal"
    assert leverage > 0, "zero leverage"

    self.claims[msg.sender][orderId] = Claim(
        principal=principal,
        leverage=leverage,
        requestedAt=block.timestamp,
        amount=0,
        liquidated=False,
        verified=False,
        claimed=False,
        evidenceRoot=empty(bytes32),
    )
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
    claim: Claim = self.claims[user][orderId]
    assert claim.requestedAt != 0, "no claim"
    assert not claim.verified, "already verified"

    claim.amount = amount
    claim.liquidated = liquidated
    claim.verified = True
    claim.evidenceRoot = evidenceRoot
    self.claims[user][orderId] = claim
    log PayoutVerified(user=user, orderId=orderId, amount=amount, liquidated=liquidated, evidenceRoot=evidenceRoot)


@external
@nonreentrant
def executePayout(user: address, orderId: uint256):
    """
    @notice Pay a verified, liquidated, unpaid claim from the pool, within the
            on-chain daily payout limit.
    """
    self._only_keeper()
    assert not self.paused, "paused"
    claim: Claim = self.claims[user][orderId]
    assert claim.requestedAt != 0, "no claim"
    assert claim.verified, "not verified"
    assert claim.liquidated, "not liquidated"
    assert not claim.claimed, "already claimed"
    assert claim.amount > 0, "zero amount"
    assert self._pool_balance() >= claim.amount, "insufficient pool"

    today: uint256 = self._today()
    paid: uint256 = self.paidOnPayoutDay
    if self.payoutDay != today:
        paid = 0
    assert paid + claim.amount <= self.dailyPayoutLimit, "daily limit"

    # Effects before the interaction.
    self.payoutDay = today
    self.paidOnPayoutDay = paid + claim.amount
    self.claims[user][orderId].claimed = True
    log PayoutExecuted(user=user, orderId=orderId, amount=claim.amount)

    self._send(user, claim.amount)


# ---------------------------------------------------------------- views

@external
@view
def getPayoutRecord(user: address, orderId: uint256) -> (uint256, uint256, bool, bool):
    """
    @notice The seed contract's record view: (orderId, amount, verified, claimed).
    """
    claim: Claim = self.claims[user][orderId]
    return orderId, claim.amount, claim.verified, claim.claimed


@external
@view
def getClaim(user: address, orderId: uint256) -> Claim:
    """
    @notice Everything stored for a claim; all zero if it was never requested.
    """
    return self.claims[user][orderId]


@external
@view
def paidToday() -> uint256:
    """
    @notice Amount paid out during the current UTC day.
    """
    if self.payoutDay != self._today():
        return 0
    return self.paidOnPayoutDay


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
