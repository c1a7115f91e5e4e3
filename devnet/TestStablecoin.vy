# pragma version 0.4.3
"""
@title TestStablecoin
@license MIT
@notice A devnet-only stand-in for mainnet USDT: 6 decimals, symbol "USDT", and
        `transfer`, `transferFrom` and `approve` that return nothing, as Tether's
        token does (it predates ERC-20's `returns (bool)`). A pool that pays in
        this token proves it handles such tokens. The owner mints at will.
@dev    Never deploy this anywhere real: minting is unlimited.
"""

event Transfer:
    sender: indexed(address)
    receiver: indexed(address)
    value: uint256

event Approval:
    owner: indexed(address)
    spender: indexed(address)
    value: uint256


name: public(String[32])
symbol: public(String[8])
decimals: public(uint8)
totalSupply: public(uint256)
balanceOf: public(HashMap[address, uint256])
allowance: public(HashMap[address, HashMap[address, uint256]])
owner: public(address)


@deploy
def __init__():
    self.name = "Tether USD (devnet)"
    self.symbol = "USDT"
    self.decimals = 6
    self.owner = msg.sender


@internal
def _transfer(sender: address, receiver: address, amount: uint256):
    assert receiver != empty(address), "zero address"
    assert self.balanceOf[sender] >= amount, "insufficient balance"
    self.balanceOf[sender] -= amount
    self.balanceOf[receiver] += amount
    log Transfer(sender=sender, receiver=receiver, value=amount)


@external
def transfer(receiver: address, amount: uint256):
    """
    @notice Move `amount` from the caller; returns nothing (USDT's shape), reverts on failure.
    """
    self._transfer(msg.sender, receiver, amount)


@external
def transferFrom(sender: address, receiver: address, amount: uint256):
    """
    @notice Move `amount` from `sender` within the caller's allowance; returns nothing.
    """
    allowed: uint256 = self.allowance[sender][msg.sender]
    assert allowed >= amount, "insufficient allowance"
    if allowed != max_value(uint256):
        self.allowance[sender][msg.sender] = allowed - amount
    self._transfer(sender, receiver, amount)


@external
def approve(spender: address, amount: uint256):
    """
    @notice Let `spender` move up to `amount` of the caller's tokens; returns nothing.
    """
    self.allowance[msg.sender][spender] = amount
    log Approval(owner=msg.sender, spender=spender, value=amount)


@external
def mint(receiver: address, amount: uint256):
    """
    @notice Owner only: create `amount` for `receiver`.
    """
    assert msg.sender == self.owner, "not owner"
    assert receiver != empty(address), "zero address"
    self.totalSupply += amount
    self.balanceOf[receiver] += amount
    log Transfer(sender=empty(address), receiver=receiver, value=amount)
