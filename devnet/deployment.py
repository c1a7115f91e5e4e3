"""Dev accounts, the LeverageGuard deployment, and the deployment file.

The accounts' keys are derived from fixed labels, so every devnode run has the
same addresses. They are published in the deployment file: dev-only, never
fund them anywhere real.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Sequence

from eth._utils.address import generate_contract_address
from eth_abi import encode as abi_encode
from eth_account import Account
from eth_utils import function_signature_to_4byte_selector, keccak, to_checksum_address

from contract import CompiledContract
from devchain import CallRequest, DevChain

ETHER = 10**18
GAS_HEADROOM_PERCENT = 20
DEV_KEY_NAMESPACE = b"leverageguard-devnet:"


@dataclass(frozen=True)
class DevAccount:
    """A dev-only account: EIP-55 address and 0x-hex private key."""

    address: str
    private_key: str

    @classmethod
    def from_label(cls, label: str) -> "DevAccount":
        key = keccak(DEV_KEY_NAMESPACE + label.encode())
        return cls(address=Account.from_key(key).address, private_key="0x" + key.hex())

    @property
    def raw_address(self) -> bytes:
        return bytes.fromhex(self.address[2:])

    def to_json(self) -> dict:
        return {"address": self.address, "privateKey": self.private_key}


@dataclass(frozen=True)
class DevAccounts:
    """The owner, the keeper and the users of one devnet."""

    owner: DevAccount
    keeper: DevAccount
    users: tuple[DevAccount, ...]

    @classmethod
    def generate(cls, user_count: int) -> "DevAccounts":
        return cls(
            owner=DevAccount.from_label("owner"),
            keeper=DevAccount.from_label("keeper"),
            users=tuple(DevAccount.from_label(f"user-{i}") for i in range(user_count)),
        )


@dataclass(frozen=True)
class PoolAsset:
    """What the pool pays in: the native coin, or a token deployed for the devnet."""

    symbol: str
    decimals: int
    is_token: bool

    def units(self, whole: int) -> int:
        """`whole` coins or tokens in the asset's smallest unit."""
        return whole * 10**self.decimals


NATIVE_ETH = PoolAsset(symbol="ETH", decimals=18, is_token=False)
TEST_USDT = PoolAsset(symbol="USDT", decimals=6, is_token=True)  # TestStablecoin.vy
ZERO_ADDRESS = "0x" + "00" * 20


@dataclass(frozen=True)
class DevnetSettings:
    """Balances (wei) and the pool's funding and limits (whole units of the pool's asset).

    With a token pool the owner and every user also hold that token: the owner to fund the
    pool, the users to have something a payout visibly adds to.
    """

    user_count: int = 5
    owner_balance: int = 10_000 * ETHER
    keeper_balance: int = 100 * ETHER
    user_balance: int = 100 * ETHER
    pool_asset: PoolAsset = NATIVE_ETH
    pool_deposit: int = 1_000
    daily_payout_limit: int = 100
    daily_withdraw_limit: int = 100
    owner_token_balance: int = 1_000_000
    user_token_balance: int = 10_000

    def genesis_alloc(self, accounts: DevAccounts) -> dict[bytes, int]:
        alloc = {accounts.owner.raw_address: self.owner_balance, accounts.keeper.raw_address: self.keeper_balance}
        alloc.update({user.raw_address: self.user_balance for user in accounts.users})
        return alloc


@dataclass(frozen=True)
class Deployment:
    """Where LeverageGuard lives on this devnet, and what its pool pays in."""

    contract: str
    deploy_block: int
    asset: str = ZERO_ADDRESS  # the token's address; zero for the native coin
    asset_symbol: str = NATIVE_ETH.symbol
    asset_decimals: int = NATIVE_ETH.decimals


class DeploymentError(RuntimeError):
    """A setup transaction did not succeed."""


def encode_call(signature: str, types: Sequence[str], args: Sequence[Any]) -> bytes:
    """Calldata for `signature`, e.g. encode_call("setKeeper(address)", ["address"], [addr])."""
    return function_signature_to_4byte_selector(signature) + abi_encode(list(types), list(args))


def transact(chain: DevChain, account: DevAccount, to: Optional[bytes], data: bytes, value: int = 0) -> Any:
    """Sign an EIP-1559 transaction, send it through the pool (automine), check it succeeded.

    Returns the block it was mined in.
    """
    request = CallRequest(sender=account.raw_address, to=to, value=value, data=data)
    gas = chain.estimate_gas(request) * (100 + GAS_HEADROOM_PERCENT) // 100
    base_fee = chain.next_base_fee(chain.head().block_number)
    tx = Account.sign_transaction(
        {
            "type": 2,
            "chainId": chain.chain_id,
            "nonce": chain.pending_nonce(account.raw_address),
            "to": to_checksum_address(to) if to else b"",
            "value": value,
            "data": data,
            "gas": gas,
            "maxPriorityFeePerGas": 10**9,
            "maxFeePerGas": 2 * base_fee + 10**9,
        },
        account.private_key,
    )
    tx_hash = chain.send_raw_transaction(bytes(tx.raw_transaction))
    found = chain.find_transaction(tx_hash)
    if found is None or found[1] is None:
        raise DeploymentError(f"setup transaction {tx_hash.hex()} was not mined")
    _, block, index = found
    receipt = chain.receipts(block)[index]
    if receipt.state_root != b"\x01":
        raise DeploymentError(f"setup transaction {tx_hash.hex()} failed")
    return block


def deploy_stablecoin(chain: DevChain, compiled: CompiledContract, accounts: DevAccounts, settings: DevnetSettings) -> bytes:
    """Deploy TestStablecoin from the owner and mint the owner's and every user's balance; returns its address."""
    owner, asset = accounts.owner, settings.pool_asset
    nonce = chain.pending_nonce(owner.raw_address)
    transact(chain, owner, None, compiled.bytecode)
    token = generate_contract_address(owner.raw_address, nonce)
    mint = "mint(address,uint256)"
    transact(chain, owner, token, encode_call(mint, ["address", "uint256"], [owner.address, asset.units(settings.owner_token_balance)]))
    for user in accounts.users:
        transact(chain, owner, token, encode_call(mint, ["address", "uint256"], [user.address, asset.units(settings.user_token_balance)]))
    return token


def deploy_leverage_guard(
    chain: DevChain, compiled: CompiledContract, accounts: DevAccounts, settings: DevnetSettings,
    stablecoin: Optional[CompiledContract] = None,
) -> Deployment:
    """Deploy from the owner, set the keeper, fund the pool, set the daily payout limit.

    A token pool (`settings.pool_asset.is_token`) first deploys `stablecoin` (TestStablecoin) and
    mints balances; the owner then funds the pool with `approve` + `depositToken`. The chain must
    be automining.
    """
    owner, asset = accounts.owner, settings.pool_asset
    token: Optional[bytes] = None
    if asset.is_token:
        if stablecoin is None:
            raise DeploymentError("a token pool needs the compiled TestStablecoin")
        token = deploy_stablecoin(chain, stablecoin, accounts, settings)
    token_address = to_checksum_address(token) if token else ZERO_ADDRESS
    creation = compiled.bytecode + abi_encode(
        ["address", "uint256"], [token_address, asset.units(settings.daily_withdraw_limit)])
    nonce = chain.pending_nonce(owner.raw_address)
    deploy_block = transact(chain, owner, None, creation)
    contract = generate_contract_address(owner.raw_address, nonce)
    transact(chain, owner, contract, encode_call("setKeeper(address)", ["address"], [accounts.keeper.address]))
    deposit = asset.units(settings.pool_deposit)
    if token:
        transact(chain, owner, token, encode_call("approve(address,uint256)", ["address", "uint256"], [contract, deposit]))
        transact(chain, owner, contract, encode_call("depositToken(uint256)", ["uint256"], [deposit]))
    else:
        transact(chain, owner, contract, encode_call("deposit()", [], []), value=deposit)
    transact(
        chain, owner, contract,
        encode_call("setDailyPayoutLimit(uint256)", ["uint256"], [asset.units(settings.daily_payout_limit)]),
    )
    return Deployment(contract=to_checksum_address(contract), deploy_block=deploy_block.number, asset=token_address,
                      asset_symbol=asset.symbol, asset_decimals=asset.decimals)


def deployment_document(rpc_url: str, chain_id: int, deployment: Deployment, accounts: DevAccounts) -> dict:
    """The deployment file's content."""
    return {
        "rpcUrl": rpc_url,
        "chainId": chain_id,
        "contract": deployment.contract,
        "deployBlock": deployment.deploy_block,
        "asset": deployment.asset,
        "assetSymbol": deployment.asset_symbol,
        "assetDecimals": deployment.asset_decimals,
        "owner": accounts.owner.to_json(),
        "keeper": accounts.keeper.to_json(),
        "users": [user.to_json() for user in accounts.users],
    }


def write_atomically(path: Path, document: dict) -> None:
    """Write JSON to a temporary file in the same directory, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(document, handle, indent=2)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
