#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch

/// A one-line progress indicator on standard error, shown only when standard error is a terminal, not `--quiet`,
/// and the run has taken more than a second.
struct ProgressIndicator {
    let enabled: Bool
    let start = DispatchTime.now().uptimeNanoseconds
    var shown = false

    init(quiet: Bool) { enabled = !quiet && isatty(2) != 0 }

    /// Reports `done` of `total` steps, the last one named `label`.
    mutating func update(_ done: Int, _ total: Int, _ label: String) {
        guard enabled else { return }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        guard elapsed > 1 || shown else { return }
        shown = true
        let line = "\r[\(done)/\(total)] \(label) (\(Int(elapsed)) s)\u{1B}[K"
        writeStderr(line)
        if done == total { writeStderr("\n") }
    }

    /// Clears the line if anything was shown.
    func finish() { if enabled && shown { writeStderr("\r\u{1B}[K") } }
}

/// Writes text to file descriptor 2 unbuffered.
private func writeStderr(_ s: String) {
    var bytes = Array(s.utf8)
    _ = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
}
