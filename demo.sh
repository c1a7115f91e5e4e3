#!/usr/bin/env bash
# `make demo`: start the devnet, have a trader request a claim on-chain, and show what the keeper
# reads of it over JSON-RPC. Everything runs on loopback and is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=${LGK_PYTHON:-devnet/.venv/bin/python}
KEEPER=${LGK_KEEPER:-.build/debug/lg-keeper}
work=$(mktemp -d "${TMPDIR:-/tmp}/lgk-demo.XXXXXX")
deployment="$work/deployment.json"
devnode_pid=""

cleanup() {
  if [ -n "$devnode_pid" ] && kill -0 "$devnode_pid" 2>/dev/null; then
    kill "$devnode_pid" 2>/dev/null || true
    wait "$devnode_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "Starting the devnet (py-evm behind JSON-RPC, LeverageGuard compiled by Vyper and deployed)"
"$PYTHON" devnet/devnode.py --port 0 --out "$deployment" > "$work/devnode.log" 2>&1 &
devnode_pid=$!
for _ in $(seq 1 600); do
  [ -s "$deployment" ] && break
  kill -0 "$devnode_pid" 2>/dev/null || { cat "$work/devnode.log"; echo "devnode exited early" >&2; exit 1; }
  sleep 0.1
done
[ -s "$deployment" ] || { cat "$work/devnode.log"; echo "devnode did not start within 60 s" >&2; exit 1; }
head -n 1 "$work/devnode.log"

field() { "$PYTHON" -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {}, d))" "$deployment" "$1"; }
rpc_url=$(field rpcUrl)
contract=$(field contract)
deploy_block=$(field deployBlock)
user=$(field 'users[0]["address"]')
echo "rpc $rpc_url, contract $contract deployed at block $deploy_block"

step "A trader ($user) who was liquidated on OKX requests a claim on-chain"
"$PYTHON" devnet/request_claim.py --deployment "$deployment" --user 0 \
  --order-id 680800019749904384 --inst-id BTC-USDT-SWAP --principal 2000000000000000000 --leverage 20

step "The keeper reads the chain over JSON-RPC (libcurl): chain id, head, contract code, the claim request"
"$KEEPER" probe --rpc-url "$rpc_url" --contract "$contract" --from-block "$deploy_block"

step "Done"
echo "The devnet is stopped on exit. Next issues extend this demo to verification and payment."
