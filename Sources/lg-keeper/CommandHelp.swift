/// The help of every command, in one place: `lg-keeper help COMMAND` and `lg-keeper COMMAND --help`
/// print it (main.swift intercepts `--help`/`-h` before a command parses its options). Every line
/// printed stays under 100 columns; the `CommandHelpTests` integration tests check each command.
struct CommandHelp {
    /// One line for the command list of `lg-keeper --help`.
    let summary: String
    /// The synopsis lines, each without the leading `lg-keeper `.
    let usage: [String]
    /// What it does, in paragraphs (wrapped when printed).
    let description: [String]
    /// Each option and its meaning with its default.
    let options: [(option: String, meaning: String)]
    /// The exit statuses that matter for this command.
    let exits: [(code: ExitCode, meaning: String)]
    /// Command lines to copy, each without the leading `lg-keeper `.
    let examples: [String]

    static let width = 96

    /// The help text of the command `name`; nil when no help is written for it.
    static func text(for name: String) -> String? {
        guard let help = all[name] else { return nil }
        var lines = ["lg-keeper \(name) — \(help.summary)", "", "Usage:"]
        // A line starting with a space or "(" continues the one before it.
        lines += help.usage.flatMap { line in
            line.hasPrefix(" ") || line.hasPrefix("(") ? wrap(line, indent: 12, hanging: 12) : wrap("lg-keeper " + line, indent: 2, hanging: 12)
        }
        for paragraph in help.description { lines += [""] + wrap(paragraph, indent: 0, hanging: 0) }
        if !help.options.isEmpty {
            lines += ["", "Options:"]
            for (option, meaning) in help.options {
                if option.count <= 24 {
                    let first = "  " + option + String(repeating: " ", count: 26 - option.count)
                    let body = wrap(meaning, indent: 0, hanging: 0, width: width - 28)
                    lines.append(first + body[0])
                    lines += body.dropFirst().map { String(repeating: " ", count: 28) + $0 }
                } else {
                    lines.append("  " + option)
                    lines += wrap(meaning, indent: 28, hanging: 28)
                }
            }
        }
        lines += ["", "Exit status:"]
        for (code, meaning) in help.exits.sorted(by: { $0.code.rawValue < $1.code.rawValue }) {
            let number = String(code.rawValue)
            lines += wrap(meaning, indent: 0, hanging: 0, width: width - 7).enumerated().map { index, text in
                (index == 0 ? "  " + number + String(repeating: " ", count: 5 - number.count) : String(repeating: " ", count: 7)) + text
            }
        }
        lines += ["", help.examples.count == 1 ? "Example:" : "Examples:"]
        lines += help.examples.map { "  lg-keeper " + $0 }
        return lines.joined(separator: "\n")
    }

    /// Breaks `text` at spaces into lines of at most `width` columns; the first line is indented by
    /// `indent`, the others by `hanging`.
    static func wrap(_ text: String, indent: Int, hanging: Int, width: Int = width) -> [String] {
        var lines = [String](), current = String(repeating: " ", count: indent), empty = true
        for word in text.split(separator: " ") {
            if !empty, current.count + 1 + word.count > width {
                lines.append(current)
                current = String(repeating: " ", count: hanging)
                empty = true
            }
            current += (empty ? "" : " ") + word
            empty = false
        }
        lines.append(current)
        return lines
    }

    static let configOption = (option: "--config FILE", meaning: "the configuration (default config/keeper.json); its relative paths "
        + "are read against its own directory")
    static let ok = (code: ExitCode.ok, meaning: "done")
    static let usageError = (code: ExitCode.usage, meaning: "usage: an unknown option, a missing or malformed argument")
    static let configError = (code: ExitCode.config, meaning: "the configuration is wrong (one line names the key and the fix)")
    static let noDatabase = (code: ExitCode.unavailable, meaning: "no database at store.path: run `lg-keeper index` or `run` first")
    static let logOptions: [(option: String, meaning: String)] = [
        ("--log-format logfmt|json", "the form of the log lines on stderr (default log.format, else logfmt)"),
        ("--log-level LEVEL", "debug, info, warn or error: the least severe level written (default log.level, else info)"),
    ]

    static let all: [String: CommandHelp] = [
        "account": CommandHelp(
            summary: "create, import or inspect the signer's keystore v3 file",
            usage: ["account new --keystore FILE [--kdf scrypt|pbkdf2]",
                    "account import --keystore FILE [--kdf scrypt|pbkdf2]   (the private key on stdin)",
                    "account show --keystore FILE"],
            description: [
                "new makes a fresh key; import seals an existing one, read as 64 hex digits (0x optional) from the first "
                    + "line of stdin; show decrypts a keystore and prints its address. The keystore (Web3 Secret Storage v3, "
                    + "as geth and eth-account write it) is created with mode 0600 and never overwritten. The key itself is "
                    + "never printed.",
                "The password comes from LGK_KEYSTORE_PASSWORD, else from a prompt on the terminal with echo off (asked "
                    + "twice for new and import) — never from the command line. Give the signer section the same password "
                    + "by signer.passwordEnv or signer.passwordFile.",
            ],
            options: [("--keystore FILE", "the keystore file (required)"),
                      ("--kdf scrypt|pbkdf2", "new and import: the key derivation (default scrypt, n=2^18 r=8 p=1)")],
            exits: [(.ok, "done; the address is printed"), (.problemFound, "show: wrong password"),
                    (.usage, "usage, or the keystore file exists already"),
                    (.badData, "import: stdin holds no 32-byte hex key; show: the file is not a keystore"),
                    (.unavailable, "show: the file cannot be read"),
                    (.config, "no password: LGK_KEYSTORE_PASSWORD unset and no terminal to ask")],
            examples: ["account new --keystore /etc/lg-keeper/signer.json",
                       "account import --keystore signer.json < key.txt",
                       "account show --keystore signer.json"]),

        "backup": CommandHelp(
            summary: "copy the keeper's database to a new file while the keeper runs",
            usage: ["backup --to FILE [--config FILE | --db FILE]"],
            description: [
                "An online copy with SQLite's backup API: one consistent snapshot of the database (claims, transactions, "
                    + "the index, the audit log and the encrypted OKX key vault), taken beside a running keeper without "
                    + "stopping it. The copy is written with mode 0600 and checked (PRAGMA quick_check); an existing file "
                    + "is never overwritten.",
                "The vault in the copy opens only with the vault master key in use when it was taken: keep that key "
                    + "with the backup, apart from it. Evidence files (evidence.dir) are not in the database: copy them too.",
                "To restore: stop the keeper, move the database and its -wal and -shm files aside, copy the backup to "
                    + "store.path (mode 0600), then run `lg-keeper index --once` and `lg-keeper reconcile` before "
                    + "`lg-keeper run`: the keeper catches up from the chain and adopts every verdict and payment made "
                    + "after the backup; a reconcile mismatch pauses payouts until `lg-keeper resume`.",
            ],
            options: [("--to FILE", "the new file (required); refused when it exists"),
                      ("--db FILE", "the database to copy (default store.path of --config)"),
                      configOption],
            exits: [(.ok, "the copy is written and checked"), (.usage, "usage, or --to exists already"),
                    (.unavailable, "no database to copy, or the copy cannot be written"),
                    (.software, "the copy failed its check (it is removed)"), configError],
            examples: ["backup --config /etc/lg-keeper/keeper.json --to /backup/keeper-$(date +%F).sqlite",
                       "backup --db var/keeper.sqlite --to /tmp/keeper.sqlite"]),

        "evidence": CommandHelp(
            summary: "show an evidence bundle, or recompute and check its Merkle root",
            usage: ["evidence show ID [--json] [--config FILE | --db FILE --evidence-dir DIR]",
                    "evidence verify FILE|ID [--chain [--wallet 0x…]] [--config FILE | --db FILE --evidence-dir DIR]"],
            description: [
                "show prints a bundle's order, verdict, payout, root and leaves. verify recomputes every leaf, the root, "
                    + "the bundle hash and the evidence id (docs/EVIDENCE.md) and names the first leaf that differs. "
                    + "With --chain it also compares the root with the evidenceRoot of the claim's indexed "
                    + "PayoutVerified event, read from the database (offline).",
            ],
            options: [("--json", "show: the bundle as canonical JSON"),
                      ("--chain", "verify: also compare with the indexed PayoutVerified event"),
                      ("--wallet 0x…", "with --chain: the claimant, when the bundle and its row name none"),
                      ("--db FILE", "the database (default store.path of --config, else var/keeper.sqlite)"),
                      ("--evidence-dir DIR", "where bundles are (default evidence.dir, else reports/evidence)"),
                      configOption],
            exits: [(.ok, "shown, or everything matches"),
                    (.problemFound, "a difference, no such evidence, or no matching PayoutVerified event"),
                    (.badData, "the file is not an evidence bundle"), usageError],
            examples: ["evidence show evi_20260301_0123456789abcdef",
                       "evidence verify reports/evidence/2026-03-01/evi_20260301_0123456789abcdef.json",
                       "evidence verify evi_20260301_0123456789abcdef --chain --config keeper.json"]),

        "keys": CommandHelp(
            summary: "the encrypted OKX key vault: add, list, remove, rekey traders' read-only keys",
            usage: ["keys add --wallet 0x… --alias NAME [--region www|us|eea] [--unchecked]   (credentials on stdin)",
                    "keys list", "keys remove --wallet 0x… | --alias NAME", "keys rekey",
                    "(each with [--config FILE | --db FILE])"],
            description: [
                "add reads a trader's read-only OKX key from stdin (apiKey, secretKey and passphrase on three lines, "
                    + "or a JSON object), asks OKX what the key may do (account/config, on the hosts of --config) and, "
                    + "when it can only read, seals it with AES-256-GCM under the vault master key and stores it in the "
                    + "keeper's database; claims of the wallet waiting in needs_key resume. A key that can trade or "
                    + "withdraw is never stored; --unchecked stores a key without asking OKX. list shows wallets and "
                    + "aliases, never a secret. rekey seals every key again under a new master key.",
                "The master key comes from LGK_VAULT_KEY (64 hex digits or base64 of 32 bytes) or the 0600 file "
                    + "LGK_VAULT_KEY_FILE; rekey's new one from LGK_VAULT_NEW_KEY or LGK_VAULT_NEW_KEY_FILE.",
            ],
            options: [("--wallet 0x…", "the trader's wallet (the claimant on-chain)"),
                      ("--alias NAME", "a name for the key"),
                      ("--region www|us|eea", "add: the OKX site the key was made on (default www)"),
                      ("--unchecked", "add: store the key without asking OKX whether it is read-only (audited as unchecked)"),
                      ("--db FILE", "the database (default store.path of --config, else var/keeper.sqlite)"),
                      configOption],
            exits: [(.ok, "done"), (.problemFound, "no matching key, no database, or a wrong master key"),
                    (.badData, "the credentials or wallet are malformed, the alias exists, or OKX refused the key or says it can trade or withdraw"),
                    (.unavailable, "add: OKX could not be asked whether the key is read-only"),
                    (.config, "no master key, or a key file readable by others"), usageError],
            examples: ["keys add --wallet 0xAbC…123 --alias alice --config keeper.json < alice-okx.txt",
                       "keys list --config /etc/lg-keeper/keeper.json",
                       "keys remove --alias alice"]),

        "probe": CommandHelp(
            summary: "check a node and the contract: chain id, head, code, pool asset, claim requests",
            usage: ["probe --rpc-url URL --contract 0x… [--from-block N]"],
            description: [
                "Asks the node for its chain id and head, the contract's code size and pool asset, and lists the "
                    + "ClaimRequested events since --from-block. Needs no configuration and writes nothing: use it "
                    + "to check a node and an address before writing the chain section.",
            ],
            options: [("--rpc-url URL", "the node's JSON-RPC URL (required)"),
                      ("--contract 0x…", "the LeverageGuard contract (required)"),
                      ("--from-block N", "the first block searched for claim requests (default 0)")],
            exits: [(.ok, "the node answers and there is code at the address"),
                    (.problemFound, "no contract code at the address (wrong address or chain)"),
                    (.unavailable, "the node does not answer"), usageError],
            examples: ["probe --rpc-url http://127.0.0.1:8545 --contract \"$(jq -r .contract deployment.json)\"",
                       "probe --rpc-url \"$LGK_RPC_URL\" --contract \"$CONTRACT\" --from-block 19000000"]),

        "run": CommandHelp(
            summary: "the service: follow, index, verify, settle, reconcile, alert, serve HTTP",
            usage: ["run [--config FILE] [--stop-deadline SECONDS] [--log-format logfmt|json]",
                    "    [--log-level debug|info|warn|error]"],
            description: [
                "Checks the node, the contract, the signer (the contract's keeper(), funded), the vault master key "
                    + "and the pool's asset, then loops until SIGINT/SIGTERM: follow and index the contract's logs, "
                    + "verify claims on OKX, write verdicts and pay (verifyPayout, executePayout), reconcile chain "
                    + "and database every reconcile.intervalSeconds, deliver alerts; /metrics, /healthz, /readyz and "
                    + "POST /api/verify on http.listen. A second keeper on the same database refuses to start.",
                "Logs go to stderr, one line per event. A stop signal lets the current step finish (each commits "
                    + "whole or not at all).",
            ],
            options: [configOption,
                      ("--stop-deadline SECONDS", "after a stop signal, exit 69 if the step has not ended (default 20)")]
                + logOptions,
            exits: [(.ok, "stopped by SIGINT or SIGTERM"),
                    (.problemFound, "claim processing halted (a reorg below the confirmed point)"),
                    (.badData, "the database belongs to another chain or contract"),
                    (.unavailable, "the node is unreachable at start, another keeper holds the database, or "
                        + "the stop deadline passed"),
                    (.config, "a start-up check failed: configuration, signer, vault or pool asset (do not restart)"),
                    usageError],
            examples: ["run --config /etc/lg-keeper/keeper.json",
                       "run --config keeper.json --log-format json --log-level debug"]),

        "index": CommandHelp(
            summary: "follow the contract's logs into SQLite only (no signer, no OKX)",
            usage: ["index [--once] [--config FILE] [--log-format logfmt|json] [--log-level LEVEL]"],
            description: [
                "Backfills from chain.startBlock and follows the head, validating every answer and rolling back "
                    + "reorged blocks. --once catches up to the confirmed head, prints a summary and exits: run it "
                    + "before a one-off reconcile, and after restoring a backup. It takes the database's writer lock: "
                    + "not beside a running `lg-keeper run`.",
            ],
            options: [("--once", "catch up to the confirmed head and exit"), configOption] + logOptions,
            exits: [(.ok, "caught up (--once), or stopped by a signal"),
                    (.problemFound, "claim processing is halted (a reorg below the confirmed point)"),
                    (.badData, "the database belongs to another chain or contract"),
                    (.unavailable, "the node is unreachable, or another keeper holds the database"),
                    configError, usageError],
            examples: ["index --once --config /etc/lg-keeper/keeper.json",
                       "index --config keeper.json --log-format json"]),

        "status": CommandHelp(
            summary: "head, indexed block, lag, claims by state, halted or paused",
            usage: ["status [--json] [--config FILE]"],
            description: [
                "Reads the database beside a running keeper (no lock) and asks the node for its head and whether "
                    + "the contract is paused.",
            ],
            options: [("--json", "one JSON object instead of lines"), configOption],
            exits: [(.ok, "shown"), (.problemFound, "claim processing is halted"),
                    (.unavailable, "no database, or nothing indexed yet"), configError],
            examples: ["status --config /etc/lg-keeper/keeper.json", "status --json | jq .claimsByState"]),

        "verify": CommandHelp(
            summary: "verify one OKX order and print the seed-002 response JSON",
            usage: ["verify --ord-id ID --inst-id INST [--wallet 0x…] [--principal AMOUNT] [--config FILE]",
                    "       [--db FILE] [--evidence-dir DIR] [--okx-url URL] [--simulated]"],
            description: [
                "Reads the order, the position history and the instrument with the trader's read-only key, gives "
                    + "the verdict and payout, seals the evidence (written under the evidence directory with its "
                    + "row) and prints the response on stdout. The key comes from the vault with --wallet (master key "
                    + "from LGK_VAULT_KEY or LGK_VAULT_KEY_FILE), else from LGK_OKX_API_KEY, LGK_OKX_SECRET_KEY and "
                    + "LGK_OKX_PASSPHRASE (LGK_OKX_REGION www|us|eea) — never from the command line.",
            ],
            options: [("--ord-id ID", "OKX's numeric order id (required)"),
                      ("--inst-id INST", "the instrument, e.g. BTC-USDT-SWAP (required)"),
                      ("--wallet 0x…", "take the key stored in the vault for this wallet"),
                      ("--principal AMOUNT", "the principal declared on-chain, in pool units (\"325\"); without "
                        + "it only policy.maxPayoutPerClaim caps the payout"),
                      ("--config FILE", "okx, pool and policy settings (default config/keeper.json when it "
                        + "exists, else built-in defaults)"),
                      ("--db FILE", "where the evidence row and the vault are (default store.path)"),
                      ("--evidence-dir DIR", "where bundles are written (default evidence.dir)"),
                      ("--okx-url URL", "replace every region's OKX host (https, or http on loopback)"),
                      ("--simulated", "send x-simulated-trading: 1 (OKX demo trading)")],
            exits: [(.ok, "a verdict, whatever it is"), (.problemFound, "no verdict yet (check again later), or "
                        + "no key in the vault for the wallet"),
                    (.unavailable, "OKX gave no usable answer (the response still carries error)"),
                    (.config, "no vault master key, or a bad configuration"), usageError],
            examples: ["verify --ord-id 2940071038556348417 --inst-id BTC-USDT-SWAP --principal 325",
                       "verify --ord-id 2940071038556348417 --inst-id BTC-USDT-SWAP --wallet 0xAbC…123"]),

        "claims": CommandHelp(
            summary: "list and show claims; approve or reject held ones; retry failed ones",
            usage: ["claims list [--state S] [--json]",
                    "claims show USER ORDER [--json]",
                    "claims approve|reject USER ORDER [--by NAME] [--note TEXT]",
                    "claims retry USER ORDER [--by NAME]",
                    "(each with [--config FILE])"],
            description: [
                "USER is the claimant's 0x address, ORDER the decimal order id. approve lets the keeper write a held "
                    + "verdict and pay it; reject makes it write \"not paid\" on-chain (amount 0), with the operator "
                    + "and note sealed in the evidence. retry sends a failed claim, or one held without a verdict, "
                    + "back to requested; the keeper reads the contract first and never signs a verdict twice. "
                    + "Every decision is in the audit log. The README's \"Claims: states and decisions\" says what "
                    + "to do in each state.",
            ],
            options: [("--state S", "list: only claims in state S (requested, needs_key, verifying, "
                        + "verify_pending, verified, rejected, awaiting_limit, awaiting_funds, held_review, "
                        + "execute_pending, paid, failed)"),
                      ("--json", "list and show: JSON instead of the readable form"),
                      ("--by NAME", "who decides, for the audit log (default $USER)"),
                      ("--note TEXT", "approve and reject: why, kept in the audit log and the evidence"),
                      configOption],
            exits: [(.ok, "done"), (.problemFound, "show: no such claim"),
                    (.badData, "approve, reject, retry: no such claim, or its state does not allow this "
                        + "decision (the line says why)"),
                    noDatabase, usageError],
            examples: ["claims list --state held_review",
                       "claims show 0x5080332125Ae08400Ed2435b13914214916a5073 42",
                       "claims approve 0x5080332125Ae08400Ed2435b13914214916a5073 42 --by alice --note ok"]),

        "audit": CommandHelp(
            summary: "walk the audit log's hash chain",
            usage: ["audit verify [--config FILE]"],
            description: [
                "Recomputes the hash chain of audit_log (every claim transition, decision and reconciliation) and "
                    + "names the first row that does not match.",
            ],
            options: [configOption],
            exits: [(.ok, "the chain is intact"), (.problemFound, "the chain is broken at the row named"),
                    noDatabase],
            examples: ["audit verify --config /etc/lg-keeper/keeper.json"]),

        "reconcile": CommandHelp(
            summary: "compare the chain with the database once",
            usage: ["reconcile [--json] [--config FILE]"],
            description: [
                "One pass of what `run` does every reconcile.intervalSeconds: each decided claim against getClaim, "
                    + "foreign verdicts and payouts, missing events, paidToday, the pool's balance and the signer's "
                    + "nonce, every read at one block. With reconcile.pauseOnMismatch a new mismatch pauses payouts "
                    + "until `lg-keeper resume`. Run `lg-keeper index --once` first when the keeper is stopped.",
            ],
            options: [("--json", "{clean, mismatches} as JSON"), configOption],
            exits: [(.ok, "clean"), (.problemFound, "at least one mismatch (each printed)"),
                    (.unavailable, "the node is unreachable, or no database"), configError],
            examples: ["reconcile --config /etc/lg-keeper/keeper.json", "reconcile --json | jq .mismatches"]),

        "resume": CommandHelp(
            summary: "lift a pause so that payouts continue; --halt clears a deep-reorg halt",
            usage: ["resume [--halt] [--by NAME] [--config FILE]"],
            description: [
                "After a reconciliation mismatch was investigated, lets a running keeper pay again. With --halt, "
                    + "clears the halt a reorg below the confirmed point set, once the reorged range was investigated. "
                    + "Recorded in the audit log.",
            ],
            options: [("--halt", "clear the halt instead of the pause"),
                      ("--by NAME", "who decides, for the audit log (default $USER)"), configOption],
            exits: [(.ok, "lifted, or nothing to do"), noDatabase, usageError],
            examples: ["resume --by alice --config /etc/lg-keeper/keeper.json", "resume --halt --by alice"]),

        "console": CommandHelp(
            summary: "the operator console's logins: add, remove and list operators",
            usage: ["console add-operator NAME   (the password on stdin's first line, or a prompt)",
                    "console remove-operator NAME", "console operators",
                    "(each with [--by NAME] [--config FILE])"],
            description: [
                "The console is served at /console/ on http.listen by `lg-keeper run` when console.enabled is "
                    + "true. add-operator stores a scrypt hash of the password (at least 8 characters), read from "
                    + "the first line of stdin or asked for with echo off; remove-operator ends the operator's "
                    + "sessions at their next request. Both are recorded in the audit log. The database is "
                    + "created when absent.",
            ],
            options: [("--by NAME", "who makes the change, for the audit log (default $USER)"), configOption],
            exits: [(.ok, "done"), (.badData, "the operator exists (add), does not exist (remove), or the "
                        + "password is too short"), configError, usageError],
            examples: ["console add-operator alice --config /etc/lg-keeper/keeper.json < alice.pw",
                       "console remove-operator alice --by bob"]),

        "report": CommandHelp(
            summary: "claims and payouts of one UTC day or a range of days, as csv, json or svg",
            usage: ["report --day YYYY-MM-DD [--days N] [--format csv|json|svg] [--config FILE]"],
            description: [
                "Claims by state and the payouts of the day (UTC), amounts in pool units and raw units. csv has one "
                    + "row per claim with its verdict and payout transactions; svg is a chart of claims by outcome "
                    + "and payouts against the daily limit.",
            ],
            options: [("--day YYYY-MM-DD", "the (last) day reported (required; a date that does not exist is "
                        + "refused)"),
                      ("--days N", "report N days ending with --day (default 1)"),
                      ("--format csv|json|svg", "the output (default json)"), configOption],
            exits: [(.ok, "printed"), (.badData, "--day is not a real date"), noDatabase, usageError],
            examples: ["report --day 2026-03-01 --format csv > 2026-03-01.csv",
                       "report --day 2026-03-07 --days 7 --format svg > week.svg"]),
    ]
}
