#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import ScaleQuant

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

    /// The handler for ``GraphCoordinateDescentOptions/progress`` that shows where a long quantization is (stage,
    /// sweep, node or layer, time left in the sweep) on the same line, prefixed by `prefix` (e.g. `cd e4m3`);
    /// `nil` when this indicator is disabled. The library throttles the reports; the first second stays silent.
    func descentHandler(prefix: String) -> (@Sendable (QuantizationProgress) -> Void)? {
        guard enabled else { return nil }
        return { p in
            guard p.elapsed > 1 else { return }
            let columns = terminalColumns()
            var line = "\(prefix): \(p.line)"
            if line.count > columns - 1 { line = String(line.prefix(max(columns - 2, 10))) + "…" }
            writeStderr("\r" + line + "\u{1B}[K")
        }
    }
}

/// The terminal's width from `COLUMNS` or `TIOCGWINSZ` (100 when unknown).
private func terminalColumns() -> Int {
    var size = winsize()
    if ioctl(2, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
    return 100
}

/// Writes text to file descriptor 2 unbuffered.
private func writeStderr(_ s: String) {
    var bytes = Array(s.utf8)
    _ = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
}
