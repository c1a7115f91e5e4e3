#!/usr/bin/env python3
"""Writes the fuzz seed corpora (Fuzz/corpus/<target>/) from test vectors and the devnet's
scenarios. Run with the devnet's venv (eth-abi, eth-account, eth-utils):
    devnet/.venv/bin/python Fuzz/make-corpus.py
The files are committed; this script only documents and reproduces where they come from."""
import json, os, re
from eth_abi import encode
from eth_account import Account
from eth_utils import keccak

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Fuzz", "corpus")

def write(target, name, data):
    os.makedirs(os.path.join(OUT, target), exist_ok=True)
    with open(os.path.join(OUT, target, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())

# RLP: ethereum/tests vectors (Tests/EthereumTests/Fixtures/rlptest.json) and two signed transactions.
vectors = json.load(open(os.path.join(ROOT, "Tests/EthereumTests/Fixtures/rlptest.json")))
for name in ["shortstring", "longstring", "bigint", "listsoflists2", "dictTest1", "longList2", "mediumint5", "multiList"]:
    if name in vectors:
        write("rlp", name, bytes.fromhex(vectors[name]["out"][2:]))
key = "0x" + "11" * 32
legacy = Account.sign_transaction({"nonce": 7, "gasPrice": 10**9, "gas": 21000, "to": "0x" + "22" * 20,
                                   "value": 10**18, "data": b"", "chainId": 1337}, key)
eip1559 = Account.sign_transaction({"type": 2, "nonce": 3, "maxFeePerGas": 2 * 10**9, "maxPriorityFeePerGas": 10**9,
                                    "gas": 90000, "to": "0x" + "33" * 20, "value": 0, "data": b"\x12\x34\x56\x78",
                                    "chainId": 1337, "accessList": []}, key)
write("rlp", "tx-legacy", bytes(legacy.raw_transaction))
write("rlp", "tx-eip1559", bytes(eip1559.raw_transaction))

# ABI: mode 0 (type text), 1 (fixed type list), 2 (LeverageGuard log), 3 (revert data).
write("abi", "spec-dynamic", b"\x00(uint256,uint32[],bytes10,bytes)\n" + encode(["uint256", "uint32[]", "bytes10", "bytes"],
      [0x123, [0x456, 0x789], b"1234567890", b"Hello, world!"]))
write("abi", "spec-nested", b"\x00(uint256[][],string[])\n" + encode(["uint256[][]", "string[]"], [[[1, 2], [3]], ["one", "two", "three"]]))
write("abi", "get-claim", b"\x01\x03" + encode(["uint256", "uint16", "uint64", "uint256", "bool", "bool", "bool", "bytes32"],
      [325 * 10**18, 20, 1700000000, 162 * 10**18, True, True, False, b"\xab" * 32]))
write("abi", "tuples", b"\x01\x08" + encode(["(uint256,uint256[])", "(address,string)[]"],
      [(1, [2, 3]), [("0x" + "44" * 20, "a"), ("0x" + "55" * 20, "bc")]]))
user = bytes(12) + b"\x66" * 20
write("abi", "claim-requested", b"\x02\x00\x03" + user + (2940071038556348417).to_bytes(32, "big")
      + encode(["string", "uint256", "uint16"], ["BTC-USDT-SWAP", 325 * 10**18, 20]))
write("abi", "payout-verified", b"\x02\x01\x03" + user + (7).to_bytes(32, "big") + encode(["uint256", "bool", "bytes32"], [10**18, True, b"\x01" * 32]))
write("abi", "revert-error", b"\x03" + keccak(b"Error(string)")[:4] + encode(["string"], ["claim exists"]))
write("abi", "revert-panic", b"\x03" + keccak(b"Panic(uint256)")[:4] + encode(["uint256"], [0x11]))

# JSON.
write("json", "object", '{"a":[1,-2.5e+3,true,false,null],"b":{"c":"d\\u00e9\\ud83d\\ude00\\n"}}')
write("json", "number", "115792089237316195423570985008687907853269984665640564039457584007913129639935")
write("json", "nested", "[[[[{\"k\":[]}]]]]")
write("json", "string", '"\\"\\\\\\/\\b\\f\\n\\r\\t"')

# JSON-RPC: first byte = number of requests - 1 (mod 4), then the body. Seeds named refused-* are
# answers the decoder must refuse with its error (FuzzRegressionTests checks both kinds).
h = lambda b: "0x" + b.hex()
log = {"address": "0x" + "77" * 20, "topics": [h(keccak(b"ClaimRequested(address,uint256,string,uint256,uint16)")), h(user), h((5).to_bytes(32, "big"))],
       "data": h(encode(["string", "uint256", "uint16"], ["BTC-USDT-SWAP", 325 * 10**18, 20])), "blockNumber": "0x10",
       "blockHash": h(b"\x88" * 32), "transactionHash": h(b"\x99" * 32), "transactionIndex": "0x0", "logIndex": "0x1", "removed": False}
header = {"number": "0x10", "hash": h(b"\x88" * 32), "parentHash": h(b"\x87" * 32), "timestamp": "0x65000000",
          "baseFeePerGas": "0x3b9aca00", "gasLimit": "0x1c9c380", "gasUsed": "0x5208"}
receipt = {"transactionHash": h(b"\x99" * 32), "blockHash": h(b"\x88" * 32), "blockNumber": "0x10", "from": "0x" + "aa" * 20,
           "to": "0x" + "77" * 20, "contractAddress": None, "gasUsed": "0x5208", "effectiveGasPrice": "0x3b9aca00", "status": "0x1", "logs": [log]}
rpc = lambda i, result: {"jsonrpc": "2.0", "id": i, "result": result}
write("jsonrpc", "block-number", b"\x00" + json.dumps(rpc(1, "0x1b4")).encode())
write("jsonrpc", "logs", b"\x00" + json.dumps(rpc(1, [log])).encode())
write("jsonrpc", "receipt", b"\x00" + json.dumps(rpc(1, receipt)).encode())
write("jsonrpc", "batch-header-logs", b"\x01" + json.dumps([rpc(2, [log]), rpc(1, header)]).encode())
write("jsonrpc", "fee-history", b"\x00" + json.dumps(rpc(1, {"oldestBlock": "0xf", "baseFeePerGas": ["0x1", "0x2"], "gasUsedRatio": [0.5], "reward": [["0x3b9aca00"]]})).encode())
write("jsonrpc", "revert", b"\x00" + json.dumps({"jsonrpc": "2.0", "id": 1, "error": {"code": 3, "message": "execution reverted",
      "data": h(keccak(b"Error(string)")[:4] + encode(["string"], ["paused"]))}}).encode())
write("jsonrpc", "refused-batch", b"\x02" + json.dumps({"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "batch too large"}}).encode())

# OKX: envelopes of the devnet scenarios' records (relative times made absolute), and errors.
def absolute(record):
    return {k: (str(1700000000000 + len(v)) if isinstance(v, str) and v.startswith("now") else v) for k, v in record.items()}
scenario = json.load(open(os.path.join(ROOT, "devnet/scenarios/01-full-liquidation-long.json")))
account = scenario["accounts"][0]
envelope = lambda data: json.dumps({"code": "0", "msg": "", "data": data}).encode()
write("okx", "orders", envelope([absolute(o) for o in account["orders"]]))
for key_name in ("positionsHistory", "positions_history", "positions"):
    if key_name in account:
        write("okx", "positions-history", envelope([absolute(p) for p in account[key_name]]))
        break
if "fills" in account:
    write("okx", "fills", envelope([absolute(f) for f in account["fills"]]))
instruments = json.load(open(os.path.join(ROOT, "devnet/scenarios/instruments.json")))["instruments"]
write("okx", "instruments", envelope(instruments[:2]))
write("okx", "error-sign", b'{"code":"50113","msg":"Invalid Sign","data":[]}')
write("okx", "error-numeric-code", b'{"code":50011,"msg":"Too Many Requests"}')

# HTTP: first byte even = small limits, odd = the server's defaults.
body = b'{"exchange":"okx","ordId":"2940071038556348417","instId":"BTC-USDT-SWAP","keyMode":"alias","keyAlias":"okx-main-001"}'
write("http", "verify", b"\x01POST /api/verify HTTP/1.1\r\nHost: 127.0.0.1:9464\r\nContent-Type: application/json\r\n"
      b"X-Timestamp: 1700000000\r\nX-Signature: " + b"ab" * 32 + b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
write("http", "metrics", b"\x00GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n")
write("http", "pipelined", b"\x00GET /healthz HTTP/1.0\r\n\r\nGET /readyz?x=1 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
write("http", "expect", b"\x00POST /api/verify HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello")
