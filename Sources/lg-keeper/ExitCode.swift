/// Exit statuses from DESIGN.md §8 (sysexits.h where one fits).
enum ExitCode: Int32 {
    case ok = 0
    /// Checked and found a problem (reconcile mismatch, evidence that does not verify).
    case problemFound = 1
    case usage = 64
    case badData = 65
    case unavailable = 69
    case software = 70
    case config = 78
}
