import CCurl
import Foundation
import Synchronization
import Threads

/// Runs libcurl transfers side by side on one thread of its own through a `curl_multi` handle, so that
/// how many are in flight is not bounded by threads (a blocking `curl_easy_perform` holds one each, and
/// libdispatch did not add threads for transfers waiting on the network: BENCHMARKS.md, the cascade).
///
/// One driver serves the process: its thread starts with the first transfer and lives as long as the
/// process, so the many short-lived clients (tests create hundreds) cost no thread each. Idle
/// connections are not the multi handle's but each client's own (`ConnectionCache`).
///
/// Unchecked `Sendable`: `multi` is used by the driver's thread alone, except `curl_multi_wakeup`,
/// which libcurl allows from any thread; the submissions are guarded by a mutex.
final class CurlMultiDriver: @unchecked Sendable {
    /// Nil only if libcurl could not create the multi handle (out of memory).
    static let shared: CurlMultiDriver? = CurlMultiDriver()

    /// A transfer handed to the driver and what to do once libcurl has finished it.
    private struct Submission: Sendable {
        let transfer: CurlTransfer
        let completion: @Sendable (CURLcode) -> Void
    }

    private let multi: UnsafeMutableRawPointer
    private let submitted = Mutex<[Submission]>([])

    private init?() {
        _ = HTTPClient.globalInit
        guard let multi = curl_multi_init() else { return nil }
        self.multi = multi
        // One transfer per connection, as each had with its own easy handle before: no HTTP/2
        // multiplexing of many requests onto one connection (HTTP/2 is still negotiated per connection).
        CCurl_multi_setopt_long(multi, CURLMOPT_PIPELINING, CURLPIPE_NOTHING)
        let thread = Thread { [self] in run() }
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Starts `transfer` without waiting; `completion` runs on the driver's thread with libcurl's result
    /// once the transfer has ended and libcurl no longer uses its handle. It must return quickly.
    func start(_ transfer: CurlTransfer, completion: @escaping @Sendable (CURLcode) -> Void) {
        submitted.withLock { $0.append(Submission(transfer: transfer, completion: completion)) }
        // Ends a `curl_multi_poll` under way, or the next one at once, so the transfer starts now.
        curl_multi_wakeup(multi)
    }

    private func run() {
        ThreadName.set("lgk-curl")  // not the name of the thread that started it (`top -H`, gdb)
        // Held here until done: the submission keeps the transfer's body, header list and sink alive.
        var running = [UnsafeMutableRawPointer: Submission]()
        while true {
            let new = submitted.withLock { pending in
                defer { pending.removeAll() }
                return pending
            }
            for submission in new {
                let curl = submission.transfer.handle.curl
                if curl_multi_add_handle(multi, curl) == CURLM_OK {
                    running[curl] = submission
                } else {
                    // Only a handle already in use or out of memory; the request was never sent.
                    submission.completion(CURLE_FAILED_INIT)
                }
            }
            var stillRunning: Int32 = 0
            curl_multi_perform(multi, &stillRunning)
            var queued: Int32 = 0
            while let message = curl_multi_info_read(multi, &queued) {
                guard message.pointee.msg == CURLMSG_DONE, let curl = message.pointee.easy_handle else { continue }
                // Read before removing the handle: removal invalidates the message.
                let code = message.pointee.data.result
                curl_multi_remove_handle(multi, curl)
                running.removeValue(forKey: curl)?.completion(code)
            }
            // Sleeps until a socket is ready, libcurl's next timeout (connect and total deadlines), a
            // wakeup from `start`, or at most a second, which bounds the cost of a missed event.
            if curl_multi_poll(multi, nil, 0, 1_000, nil) != CURLM_OK {
                // Polling failed (CURLM_UNRECOVERABLE_POLL); pausing keeps a retry from spinning a core.
                Thread.sleep(forTimeInterval: 0.01)
            }
        }
    }
}
