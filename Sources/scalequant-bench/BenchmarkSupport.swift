import ScaleQuant

/// A named benchmark: `run` prints its own rows.
struct Benchmark: Sendable {
    /// The name given on the command line (`scalequant-bench NAME`).
    let name: String
    /// One line saying what it measures.
    let summary: String
    /// Runs the benchmark and prints its results.
    let run: @Sendable () -> Void
}

/// Monotonic timing with `ContinuousClock`.
enum Timing {
    /// Seconds taken by one call of `body`.
    static func seconds(_ body: () -> Void) -> Double {
        let clock = ContinuousClock()
        let elapsed = clock.measure(body)
        let (s, attoseconds) = elapsed.components
        return Double(s) + Double(attoseconds) * 1e-18
    }

    /// The best (smallest) time over `repetitions` runs of `body`, in seconds.
    static func bestOf(_ repetitions: Int, _ body: () -> Void) -> Double {
        var best = Double.infinity
        for _ in 0..<max(1, repetitions) { best = min(best, seconds(body)) }
        return best
    }
}

/// Keeps a value observable so the optimizer cannot delete the computation that produced it: it is folded into a
/// global checksum that ``BlackHole/report()`` prints at the end of the run.
enum BlackHole {
    /// The running checksum (written only from the main thread).
    nonisolated(unsafe) static var sink: UInt64 = 0

    /// Folds every element of `buffer` into the checksum.
    @inline(never)
    static func consume(_ buffer: UnsafeMutableBufferPointer<Double>) {
        var h = sink
        for x in buffer { h = (h ^ x.bitPattern) &* 0x100_0000_01b3; h ^= h >> 29 }
        sink = h
    }

    /// Prints the checksum (its value is meaningless; printing it makes every consumed result observable).
    static func report() {
        print("checksum \(String(sink, radix: 16))")
    }
}

/// A table printer: a header, then rows whose columns are aligned (first column left, the others right).
struct RowPrinter {
    /// Column headers.
    let headers: [String]
    /// Accumulated rows.
    private(set) var rows: [[String]] = []

    /// Creates a printer with these column headers.
    init(_ headers: [String]) { self.headers = headers }

    /// Adds a row (as many cells as headers).
    mutating func add(_ cells: [String]) { rows.append(cells) }

    /// Prints the table.
    func print() {
        let all = [headers] + rows
        let widths = headers.indices.map { c in all.map { $0[c].count }.max() ?? 0 }
        for row in all {
            var line = ""
            for (c, cell) in row.enumerated() {
                let pad = String(repeating: " ", count: widths[c] - cell.count)
                line += c == 0 ? cell + pad : "  " + pad + cell
            }
            Swift.print(line)
        }
    }
}

/// `x` with `digits` digits after the decimal point.
func fixed(_ x: Double, _ digits: Int) -> String { NumberText.fixed(x, digits) }

/// `x` in scientific notation with 3 significant digits.
func sci(_ x: Double) -> String { NumberText.scientific(x) }
